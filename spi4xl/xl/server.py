"""`spi4xl serve`: the Populate / Validate / Score jobs as xlwings Server scripts, plus the Office.js add-in.

Licence: this module uses xlwings PRO (`xlwings.server` and the remote engine behind
`xw.Book(json=...)`), which is dual-licensed: PolyForm Noncommercial 1.0.0, or a paid xlwings PRO
licence for any commercial use (internal use inside a company counts as commercial). It runs only
with a licence key in XLWINGS_LICENSE_KEY; spi4xl never sets one.

Endpoints (the same paths xlwings Server uses, so xlwings' own clients can call them):
- POST /xlwings/custom-scripts-call/{script}: the workbook as xlwings clients send it (Office.js
  add-in, or xlwings' VBA client `RunRemotePython`); returns the actions the client replays.
  Scripts: populate, validate, score, and per interface language a sheet-button variant bound
  to the named shapes of the .xlsx templates (`@script(button="[spi4xl_score]Start!E6")`).
- GET /xlwings/custom-scripts-meta: the scripts, their `include` sheet lists and buttons.
- GET /manifest.xml, /taskpane.html, /commands.html, /static/*: the Office.js add-in.

Bounds: a script call must be JSON (Content-Type application/json, 415 otherwise); a body over
SPI4XL_MAX_PAYLOAD_BYTES (default 20 MB) gets 413; a body that is not JSON 400, a payload of the
wrong shape (any part: sheets, values, names...) or a workbook that is not an spi4xl one (or a
broken one) 422 with the reason, never 500; only the sheets a script needs are read (the others'
values are dropped). When SPI4XL_SERVER_TOKEN is set, script calls need `Authorization: Bearer
<token>` (401 otherwise). Clients other than Office.js (xlwings' VBA and Office Scripts clients) only
get the 37 action kinds they can replay; anything else is refused with 500 rather than sent. Every
refusal's `detail` is one coded error line (`error [read.not_spi4xl]: ...`) in the workbook's
language, else the request's Accept-Language.

Jobs run off the event loop, in worker processes (one per core unless SPI4XL_SERVER_WORKERS says
otherwise): the JSON is parsed, the job run and its answer serialized there, so /healthz and the
add-in's files stay fast under load. A worker runs one job at a time, which the remote engine needs
(its alerts go to the most recently opened book). At most SPI4XL_SERVER_QUEUE calls (default 256)
are in progress at once; the next ones get 503 with Retry-After before their body is read. Workers
end with the server (on Linux the kernel kills them when it dies).
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import json
import logging
import multiprocessing
import os
import re
import signal
import time
import types
from itertools import chain
from contextlib import asynccontextmanager
from pathlib import Path
from pickle import PickleBuffer
from typing import Any
from xml.sax.saxutils import escape

import orjson
import xlwings as xw
import xlwings.server
from fastapi import FastAPI, HTTPException, Request
from starlette.types import Receive, Scope, Send
from fastapi.responses import FileResponse, Response

from spi4xl.errors import Spi4xlError
from spi4xl.processes import die_with_parent
from spi4xl.ui import LANGUAGES, ui, ui_language
from spi4xl.workbook import layout as L
from spi4xl.workbook import shapes
from spi4xl.xl import adapter
from spi4xl.xl.workers import Pool, WorkerDied

log = logging.getLogger("spi4xl.server")

STATIC = Path(__file__).resolve().parent / "static"
MAX_PAYLOAD_ENV = "SPI4XL_MAX_PAYLOAD_BYTES"
TOKEN_ENV = "SPI4XL_SERVER_TOKEN"
BASE_URL_ENV = "SPI4XL_BASE_URL"
DEFAULT_MAX_PAYLOAD = 20 * 1024 * 1024
WORKERS_ENV = "SPI4XL_SERVER_WORKERS"
QUEUE_ENV = "SPI4XL_SERVER_QUEUE"
DEFAULT_QUEUE = 256
DOCS_ENV = "SPI4XL_SERVER_DOCS"
ADDIN_ID = "5c7f0a3e-2b1d-4e6a-9f43-8d2c1b0e7a65"  # the add-in's identity in Office; keep it stable
OFFICE_JS = "Office.js"
_SCRIPT_RX = re.compile(r"^[a-z_]{1,40}$")
# The HTTP status of each refusal; any other error is about the workbook itself: 422.
STATUS = {"server.token": 401, "server.too_large": 413, "server.unknown_script": 404, "server.unreplayable": 500,
          "server.not_json": 400, "server.payload_refused": 400, "server.not_json_type": 415, "server.busy": 503, "server.restarted": 503}


# --- scripts ------------------------------------------------------------------------------------
def _script(job: str, button: str | None = None, suffix: str = "") -> Any:
    def run(book: xw.Book) -> None:
        adapter.JOBS[job](book)

    run.__name__ = run.__qualname__ = job + suffix
    run.__annotations__ = {"book": xw.Book, "return": None}  # objects, not texts: xlwings reads them on every call
    run.__doc__ = adapter.JOBS[job].__doc__
    include = adapter.sheet_names_for(adapter.JOB_ROLES[job])
    name = job.capitalize() + (f" ({suffix.rsplit('_', 1)[-1]} sheet button)" if button else "")
    return xlwings.server.script(name=name, include=include, button=button)(run)


def build_scripts() -> types.SimpleNamespace:
    """populate/validate/score for the task pane and ribbon, and `<job>_button_<lang>` per sheet button."""
    scripts = {job: _script(job) for job in adapter.JOBS}
    for lang in LANGUAGES:
        start = ui(L.START.title_key, lang)
        for job in adapter.JOBS:
            suffix = f"_button_{lang}"
            scripts[job + suffix] = _script(job, shapes.button_ref(job, start), suffix)
    return types.SimpleNamespace(**scripts)


SCRIPTS = build_scripts()


def script_include(script_name: str) -> set[str]:
    include = getattr(SCRIPTS, script_name).__xlscript__["include"]
    return set(include)


# --- request checks -----------------------------------------------------------------------------
def max_payload() -> int:
    try:
        return int(os.environ.get(MAX_PAYLOAD_ENV, DEFAULT_MAX_PAYLOAD))
    except ValueError:
        return DEFAULT_MAX_PAYLOAD


def request_language(accept: str) -> str:
    """The first of our languages in an Accept-Language header (browsers list them by preference)."""
    for part in accept.split(","):
        lang = part.split(";")[0].strip()[:2].lower()
        if lang in LANGUAGES:
            return lang
    return ui_language()


def answer(exc: Spi4xlError, lang: str) -> tuple[int, str]:
    """An error as clients show it: its HTTP status, and its coded line in `lang`."""
    return STATUS.get(exc.code, 422), exc.line(lang)


def check_token(authorization: str) -> None:
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        return
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise Spi4xlError("server.token")


async def read_body(receive: Receive, declared: str | None) -> bytes | None:
    """The request's body, refused past max_payload(); None when the client left before sending it all."""
    limit = max_payload()
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Spi4xlError("server.too_large", limit=limit)
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk, more = message.get("body", b""), message.get("more_body", False)
        size += len(chunk)
        if size > limit:
            raise Spi4xlError("server.too_large", limit=limit)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_SCALAR_TYPES = frozenset((str, int, float, bool, type(None)))  # what JSON cells can be
_NAME_FIELDS = (("name", str), ("sheet_index", int), ("address", str), ("book_scope", bool),
                ("scope_sheet_name", (str, type(None))), ("scope_sheet_index", (int, type(None))))


def json_loads(body: bytes) -> Any:
    """JSON text as Python values: orjson (twice as fast as json on a payload), json for what orjson refuses
    (lone surrogates, NaN, Infinity), so a body is refused only as json refuses it. Integers past 64 bits read
    as floats, as Excel holds every number and as a file of the same values reads."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def json_dumps(value: Any) -> bytes:
    """An answer as UTF-8 JSON: orjson (ten times json here), dates and other values as str() gives them, as json
    with default=str; NaN as null (json writes NaN, which no JSON client reads); json for integers past 64 bits."""
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, default=str).encode()


def scalar_cells(rows: list[list[Any]]) -> bool:
    """Whether every cell of these rows (lists) is a JSON scalar, not a list or an object. The rows' JSON holds one
    "[" per row and the outer one, and no "{", when no cell is a list or an object: a quarter of the time of testing
    each cell's type, which is done when the JSON says otherwise (a text holding "[" or "{", or a cell to refuse)."""
    try:
        text = orjson.dumps(rows)
    except orjson.JSONEncodeError:  # what orjson does not write (lone surrogates, integers past 64 bits)
        text = b"{"
    if text.count(b"[") == len(rows) + 1 and b"{" not in text:
        return True
    return _SCALAR_TYPES.issuperset(map(type, chain.from_iterable(rows)))


def parse_payload(body: bytes) -> dict[str, Any]:
    """The client's JSON (400 when it is not JSON), checked for the shape the remote engine relies on (422)."""
    try:
        data = json_loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Spi4xlError("server.not_json", error=type(exc).__name__, detail=str(exc)[:120]) from None
    if not isinstance(data, dict):
        raise Spi4xlError("server.not_object")
    if not isinstance(data.get("client"), str) or not isinstance(data.get("version"), str):
        raise Spi4xlError("server.payload_client")
    book = data.get("book")
    if not isinstance(book, dict) or not isinstance(book.get("name"), str):
        raise Spi4xlError("server.payload_book")
    if not isinstance(book.setdefault("active_sheet_index", 0), int) or \
            not isinstance(book.setdefault("selection", None), (str, type(None))):
        raise Spi4xlError("server.payload_book_fields")
    sheets = data.get("sheets")
    if not isinstance(sheets, list) or not sheets:
        raise Spi4xlError("server.payload_sheets")
    for i, sheet in enumerate(sheets):
        if not isinstance(sheet, dict) or not isinstance(sheet.get("name"), str) \
                or not isinstance(sheet.get("values"), list) or not all(isinstance(row, list) for row in sheet["values"]):
            raise Spi4xlError("server.payload_sheet", index=i)
        if not scalar_cells(sheet["values"]):
            raise Spi4xlError("server.payload_cells", index=i, sheet=sheet["name"][:40])
        for key in ("pictures", "tables"):
            if not isinstance(sheet.setdefault(key, []), list):
                raise Spi4xlError("server.payload_sheet_list", index=i, key=key)
    names = data.setdefault("names", [])
    if not isinstance(names, list):
        raise Spi4xlError("server.payload_names")
    for i, entry in enumerate(names):
        for key, kind in _NAME_FIELDS:
            if not isinstance(entry, dict) or key not in entry or not isinstance(entry[key], kind) \
                    or (kind is int and isinstance(entry[key], bool)):
                raise Spi4xlError("server.payload_name", index=i, key=key, keys=", ".join(k for k, _ in _NAME_FIELDS))
        if not 0 <= entry["sheet_index"] < len(sheets):
            raise Spi4xlError("server.payload_name_sheet", index=i, sheet_index=entry["sheet_index"])
    return data


def restrict(data: dict[str, Any], include: set[str]) -> None:
    """Drop the values of sheets the script does not read, whatever the client sent."""
    for sheet in data["sheets"]:
        if sheet["name"] not in include:
            sheet["values"] = [[]]


def refuse_unreplayable(client: str, actions: list[dict[str, Any]]) -> None:
    if client == OFFICE_JS:
        return
    unknown = sorted({a.get("func") for a in actions} - adapter.VBA_ACTIONS)
    if unknown:
        raise Spi4xlError("server.unreplayable", client=client, actions=", ".join(unknown))


# --- jobs, in worker processes ---------------------------------------------------------------------
def _from_xlwings(exc: BaseException) -> bool:
    """Whether an exception was raised inside xlwings' remote engine (reading a payload part it did not expect)."""
    tb, last = exc.__traceback__, None
    while tb is not None:
        last, tb = tb.tb_frame.f_code.co_filename, tb.tb_next
    return last is not None and f"{os.sep}xlwings{os.sep}" in last


_RUNNER: list[asyncio.Runner] = []


def _loop() -> asyncio.Runner:
    """This worker's event loop for xlwings' script calls, made once: asyncio.run makes and closes one per call."""
    if not _RUNNER:
        _RUNNER.append(asyncio.Runner())
    return _RUNNER[0]


def run_job(script_name: str, body: bytes, lang: str) -> tuple[int, Any]:
    """One script call from parsing to the serialized answer: (200, JSON bytes) or (status, coded line); errors
    about the workbook speak its language, the others `lang` (the request's)."""
    started = time.perf_counter()
    try:
        data = parse_payload(body)
        restrict(data, script_include(script_name))
        try:
            book = xw.Book(json=data)
        except xw.XlwingsError as exc:
            raise Spi4xlError("server.payload_refused", detail=str(exc)) from None
        try:
            context = contextvars.copy_context()  # a fresh one per call, as asyncio.run gives
            context.run(adapter.PLAIN_PAYLOAD.set, adapter.json_is_plain(body))
            _loop().run(xlwings.server.custom_scripts_call(SCRIPTS, script_name, None, typehint_to_value={xw.Book: book}),
                        context=context)
            actions = book.json()["actions"]
        except Spi4xlError as exc:
            return answer(exc, adapter.book_language(book) or lang)
        finally:
            book.close()
        refuse_unreplayable(data["client"], actions)
    except Spi4xlError as exc:
        return answer(exc, lang)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        if not _from_xlwings(exc):
            raise
        return answer(Spi4xlError("server.payload_malformed", error=type(exc).__name__, detail=str(exc)[:200]), lang)
    log.info("%s: %r, %d actions for %r in %.0f ms", script_name, data["book"]["name"], len(actions), data["client"],
             (time.perf_counter() - started) * 1000)
    return 200, json_dumps({"actions": actions})


def _worker_start() -> None:
    die_with_parent(os.getppid())  # the fork server, which ends with the server
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle


def _context():
    """Workers forked from a fork server that preloaded this module (never from the threaded server itself:
    a fork copies locks other threads hold), else spawned."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _setting(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


class Jobs:
    """The worker processes and the count of calls in progress (queued or running)."""

    def __init__(self, workers: int | None = None, limit: int | None = None) -> None:
        self.workers = workers or _setting(WORKERS_ENV, os.cpu_count() or 1)
        self.limit = limit or _setting(QUEUE_ENV, DEFAULT_QUEUE)
        self.pending, self.pool = 0, Pool(self.workers, _context(), run_job, _worker_start)

    def retry_after(self) -> str:
        return str(max(1, round(self.pending * 0.02 / self.workers)))

    async def run(self, script_name: str, body: bytes, lang: str) -> tuple[int, Any]:
        try:
            return await self.pool.run(script_name, PickleBuffer(body), lang)  # the body beside the pickle, not in it
        except WorkerDied as exc:  # killed, out of memory: a fresh worker serves the next calls
            log.error("a worker process died during %s (%s); a fresh one serves the next calls", script_name, exc)
            return answer(Spi4xlError("server.restarted"), lang)

    def close(self) -> None:
        self.pool.close()


# --- add-in files -------------------------------------------------------------------------------
def base_url(request: Request) -> str:
    return (os.environ.get(BASE_URL_ENV) or str(request.base_url)).rstrip("/")


def manifest(base: str) -> str:
    labels = {f"{k}.Label": ui(f"button.{k}") for k in adapter.JOBS}
    text = (STATIC / "manifest.xml").read_text(encoding="utf-8")
    values = {"BASE_URL": escape(base, {'"': "&quot;"}), "ADDIN_ID": ADDIN_ID, **{k: escape(v) for k, v in labels.items()}}
    return re.sub(r"\{\{(\w+(?:\.\w+)?)\}\}", lambda m: values[m[1]], text)


# --- script calls: plain ASGI -------------------------------------------------------------------------
CALL_PATH = "/xlwings/custom-scripts-call/"
_JSON = (b"content-type", b"application/json")


def _headers(scope: Scope) -> dict[bytes, str]:
    """The request's headers by lower-case name; the first of repeated ones, as Starlette reads them."""
    return {name: value.decode("latin-1") for name, value in reversed(scope["headers"])}


def detail(status: int, text: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    """A refusal as FastAPI answers an HTTPException: {"detail": text} in compact UTF-8 JSON."""
    body = json.dumps({"detail": text}, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return status, body, [_JSON, *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items())]


def refusal(exc: Spi4xlError, lang: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    status, line = answer(exc, lang)
    return detail(status, line, {"WWW-Authenticate": "Bearer"} if status == 401 else headers)


async def script_call(jobs: Jobs, script_name: str, scope: Scope, receive: Receive) -> tuple[int, bytes, list] | None:
    """One script call: (status, body, headers), None when the client left before its body was in."""
    headers = _headers(scope)
    lang = request_language(headers.get(b"accept-language", ""))
    try:
        check_token(headers.get(b"authorization", ""))
        if not _SCRIPT_RX.match(script_name) or not hasattr(SCRIPTS, script_name):
            raise Spi4xlError("server.unknown_script", script=script_name, known=", ".join(sorted(vars(SCRIPTS))))
        media = headers.get(b"content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise Spi4xlError("server.not_json_type", media=media or "-")
        if jobs.pending >= jobs.limit:
            return refusal(Spi4xlError("server.busy", pending=jobs.pending), lang, {"Retry-After": jobs.retry_after()})
        jobs.pending += 1
        try:
            body = await read_body(receive, headers.get(b"content-length"))
            if body is None:
                return None
            status, reply = await jobs.run(script_name, body, lang)
        finally:
            jobs.pending -= 1
    except Spi4xlError as exc:
        return refusal(exc, lang)
    if status != 200:
        return detail(status, reply, {"Retry-After": "1"} if status == 503 else None)
    return 200, reply, [_JSON]


class Server:
    """The ASGI app. Script calls (every Populate, Validate, Score) are answered here in plain ASGI, everything else
    (add-in files, scripts' meta, /healthz, docs, lifespan) by FastAPI: its request, routing, dependency and
    response objects cost ~0.4 ms of the server process's CPU per call, a fifth of what a call cost it there."""

    def __init__(self, api: FastAPI) -> None:
        self.api = api

    @property
    def state(self) -> Any:
        return self.api.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        name = path[len(CALL_PATH):]
        if scope["type"] != "http" or not path.startswith(CALL_PATH) or not name or "/" in name:
            return await self.api(scope, receive, send)
        if scope["method"] == "POST":
            answered = await script_call(self.api.state.jobs, name, scope, receive)
            if answered is None:
                return
        else:
            answered = detail(405, "Method Not Allowed", {"Allow": "POST"})
        status, body, headers = answered
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-length", str(len(body)).encode()), *headers]})
        await send({"type": "http.response.body", "body": body})


# --- app ----------------------------------------------------------------------------------------
# --- app ----------------------------------------------------------------------------------------
def create_app(docs: bool | None = None, workers: int | None = None) -> Server:
    """The server; OpenAPI docs (/docs, /openapi.json) only when asked (`docs` or SPI4XL_SERVER_DOCS=1)."""
    docs = os.environ.get(DOCS_ENV) == "1" if docs is None else docs

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.jobs = Jobs(workers)
        try:
            yield
        finally:
            app.state.jobs.close()

    app = FastAPI(title="spi4xl", description="Populate, Validate and Score for spi4xl audit workbooks "
                  "(xlwings Server scripts and an Office.js add-in)", lifespan=lifespan,
                  docs_url="/docs" if docs else None, redoc_url=None, openapi_url="/openapi.json" if docs else None)

    @app.get("/xlwings/custom-scripts-meta")
    async def custom_scripts_meta() -> list[dict[str, Any]]:
        return xlwings.server.custom_scripts_meta(SCRIPTS)

    @app.get("/manifest.xml")
    async def manifest_xml(request: Request) -> Response:
        return Response(manifest(base_url(request)), media_type="application/xml")

    def page(name: str):
        async def serve() -> FileResponse:
            return FileResponse(STATIC / name, media_type="text/html")
        return serve

    for name in ("taskpane.html", "commands.html", "alert.html"):
        app.get(f"/{name}")(page(name))

    @app.get("/static/{name}")
    async def static(name: str) -> FileResponse:
        path = STATIC / name
        if not re.fullmatch(r"[\w.-]+\.(js|css|png|svg)", name) or not path.is_file():
            raise HTTPException(404, "not found")
        return FileResponse(path)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "xlwings": xw.__version__}

    return Server(app)


app = create_app()
