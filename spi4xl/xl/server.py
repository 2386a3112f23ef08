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

Bounds: a request body over SPI4XL_MAX_PAYLOAD_BYTES (default 20 MB) gets 413; only the sheets a
script needs are read (the others' values are dropped); a malformed payload gets 400, a workbook
that is not an spi4xl one (or a broken one) 422 with the reason. When SPI4XL_SERVER_TOKEN is set,
script calls need `Authorization: Bearer <token>` (401 otherwise). Clients other than Office.js
(xlwings' VBA and Office Scripts clients) only get the 37 action kinds they can replay; anything
else is refused with 500 rather than sent. Every refusal's `detail` is one coded error line
(`error [read.not_spi4xl]: ...`) in the workbook's language, else the request's Accept-Language.

Jobs run synchronously inside the request (tens of milliseconds): a request never yields while
its book is open, which the remote engine needs (its alerts go to the most recently opened book).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import types
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import xlwings as xw
import xlwings.server
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from spi4xl.errors import Spi4xlError
from spi4xl.ui import LANGUAGES, ui, ui_language
from spi4xl.workbook import layout as L
from spi4xl.workbook import shapes
from spi4xl.xl import adapter

log = logging.getLogger("spi4xl.server")

STATIC = Path(__file__).resolve().parent / "static"
MAX_PAYLOAD_ENV = "SPI4XL_MAX_PAYLOAD_BYTES"
TOKEN_ENV = "SPI4XL_SERVER_TOKEN"
BASE_URL_ENV = "SPI4XL_BASE_URL"
DEFAULT_MAX_PAYLOAD = 20 * 1024 * 1024
ADDIN_ID = "5c7f0a3e-2b1d-4e6a-9f43-8d2c1b0e7a65"  # the add-in's identity in Office; keep it stable
OFFICE_JS = "Office.js"
_SCRIPT_RX = re.compile(r"^[a-z_]{1,40}$")
# The HTTP status of each refusal; any other error is about the workbook itself: 422.
STATUS = {"server.token": 401, "server.too_large": 413, "server.unknown_script": 404, "server.unreplayable": 500,
          "server.not_json": 400, "server.not_object": 400, "server.payload_client": 400, "server.payload_book": 400,
          "server.payload_names": 400, "server.payload_sheets": 400, "server.payload_sheet": 400,
          "server.payload_refused": 400, "server.payload_malformed": 400}


# --- scripts ------------------------------------------------------------------------------------
def _script(job: str, button: str | None = None, suffix: str = "") -> Any:
    def run(book: xw.Book) -> None:
        adapter.JOBS[job](book)

    run.__name__ = run.__qualname__ = job + suffix
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


def request_language(request: Request) -> str:
    """The first of our languages in the request's Accept-Language (browsers list them by preference)."""
    for part in request.headers.get("accept-language", "").split(","):
        lang = part.split(";")[0].strip()[:2].lower()
        if lang in LANGUAGES:
            return lang
    return ui_language()


def refusal(exc: Spi4xlError, lang: str) -> HTTPException:
    """An error as the HTTP answer clients show: its status, and its coded line in `lang` as the detail."""
    status = STATUS.get(exc.code, 422)
    return HTTPException(status, exc.line(lang), headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)


def check_token(request: Request) -> None:
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        return
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise Spi4xlError("server.token")


async def read_body(request: Request) -> bytes:
    limit = max_payload()
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Spi4xlError("server.too_large", limit=limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Spi4xlError("server.too_large", limit=limit)
    return bytes(body)


def parse_payload(body: bytes) -> dict[str, Any]:
    """The client's JSON, checked for the shape the remote engine relies on (400 when it is not)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Spi4xlError("server.not_json", error=type(exc).__name__, detail=str(exc)[:120]) from None
    if not isinstance(data, dict):
        raise Spi4xlError("server.not_object")
    if not isinstance(data.get("client"), str) or not isinstance(data.get("version"), str):
        raise Spi4xlError("server.payload_client")
    if not isinstance(data.get("book"), dict) or not isinstance(data["book"].get("name"), str):
        raise Spi4xlError("server.payload_book")
    if not isinstance(data.get("names", []), list):
        raise Spi4xlError("server.payload_names")
    sheets = data.get("sheets")
    if not isinstance(sheets, list) or not sheets:
        raise Spi4xlError("server.payload_sheets")
    for i, sheet in enumerate(sheets):
        if not isinstance(sheet, dict) or not isinstance(sheet.get("name"), str) \
                or not isinstance(sheet.get("values"), list) \
                or not all(isinstance(row, list) for row in sheet["values"]):
            raise Spi4xlError("server.payload_sheet", index=i)
    data.setdefault("names", [])
    data["book"].setdefault("active_sheet_index", 0)
    data["book"].setdefault("selection", None)
    for sheet in sheets:
        sheet.setdefault("pictures", [])
        sheet.setdefault("tables", [])
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


# --- add-in files -------------------------------------------------------------------------------
def base_url(request: Request) -> str:
    return (os.environ.get(BASE_URL_ENV) or str(request.base_url)).rstrip("/")


def manifest(base: str) -> str:
    labels = {f"{k}.Label": ui(f"button.{k}") for k in adapter.JOBS}
    text = (STATIC / "manifest.xml").read_text(encoding="utf-8")
    values = {"BASE_URL": escape(base, {'"': "&quot;"}), "ADDIN_ID": ADDIN_ID, **{k: escape(v) for k, v in labels.items()}}
    return re.sub(r"\{\{(\w+(?:\.\w+)?)\}\}", lambda m: values[m[1]], text)


async def run_script(script_name: str, request: Request, lang: str) -> JSONResponse:
    """Check the request, run the script on its workbook, and answer the actions its client replays."""
    check_token(request)
    if not _SCRIPT_RX.match(script_name) or not hasattr(SCRIPTS, script_name):
        raise Spi4xlError("server.unknown_script", script=script_name, known=", ".join(sorted(vars(SCRIPTS))))
    data = parse_payload(await read_body(request))
    restrict(data, script_include(script_name))
    try:
        book = xw.Book(json=data)
    except xw.XlwingsError as exc:
        raise Spi4xlError("server.payload_refused", detail=str(exc)) from None
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise Spi4xlError("server.payload_malformed", error=type(exc).__name__, detail=str(exc)) from None
    try:
        await xlwings.server.custom_scripts_call(SCRIPTS, script_name, None, typehint_to_value={xw.Book: book})
        actions = book.json()["actions"]
    except Spi4xlError as exc:  # about the workbook: in its own language
        raise refusal(exc, adapter.book_language(book) or lang) from None
    finally:
        book.close()
    refuse_unreplayable(data["client"], actions)
    log.info("%s: %r, %d actions for %r", script_name, data["book"]["name"], len(actions), data["client"])
    return JSONResponse({"actions": actions})


# --- app ----------------------------------------------------------------------------------------
def create_app() -> FastAPI:
    app = FastAPI(title="spi4xl", description="Populate, Validate and Score for spi4xl audit workbooks "
                  "(xlwings Server scripts and an Office.js add-in)", docs_url=None, redoc_url=None)

    @app.post("/xlwings/custom-scripts-call/{script_name}")
    async def custom_scripts_call(script_name: str, request: Request) -> JSONResponse:
        lang = request_language(request)
        try:
            return await run_script(script_name, request, lang)
        except Spi4xlError as exc:
            raise refusal(exc, lang) from None

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

    return app


app = create_app()
