"""`spi4xl serve` through FastAPI's TestClient: the jobs as xlwings Server scripts, their bounds, the add-in files.

Payloads come from real workbooks recalculated in LibreOffice; the actions the server returns are
replayed onto a copy, which must then give what `spi4xl score` / `spi4xl validate` give on the original.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xlwings as xw

from audits import CATALOG, random_audit
from spi4xl.cli import main
from spi4xl.ui import ui
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook.render import render
from spi4xl.workbook import shapes
from spi4xl.xl import adapter
from xl_helpers import (VBA_ACTIONS, duplicate_a_code, enable_xlwings_pro, payload, replay, role_sheet, set_settings,
                        table)

pytestmark = pytest.mark.server
CALL = "/xlwings/custom-scripts-call/"
NS = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1",
      "v": "http://schemas.microsoft.com/office/taskpaneappversionoverrides",
      "bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


@pytest.fixture(autouse=True)
def licence(monkeypatch: pytest.MonkeyPatch) -> None:
    enable_xlwings_pro(monkeypatch)  # xlwings PRO with the non-commercial key, in tests only
    for name in ("SPI4XL_SERVER_TOKEN", "SPI4XL_MAX_PAYLOAD_BYTES", "SPI4XL_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def client():
    from fastapi.testclient import TestClient

    from spi4xl.xl.server import app

    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, libreoffice) -> Path:
    tmp = tmp_path_factory.mktemp("server")
    audit = random_audit(21, "es", fill=0.75)
    audit.org["women_clients"] = audit.org["active_clients"] + 1
    render(CATALOG, "es", audit, tmp / "rendered.xlsx")
    libreoffice.recalculate(tmp / "rendered.xlsx", tmp / "filled.xlsx")
    return tmp / "filled.xlsx"


def include(client, script: str) -> list[str]:
    meta = {m["function_name"]: m for m in client.get("/xlwings/custom-scripts-meta").json()}
    return meta[script]["include"].split(",")


def call(client, script: str, path: Path, kind: str, **headers: str):
    return client.post(CALL + script, json=payload(path, kind, include(client, script)), headers=headers)


def replay_response(response, src: Path, dst: Path, lo, kind: str) -> dict:
    assert response.status_code == 200, response.text
    actions = response.json()["actions"]
    if kind != "Office.js":
        assert {a["func"] for a in actions} <= VBA_ACTIONS
    log = replay(actions, src, dst.with_name("replayed-" + dst.name))
    lo.recalculate(dst.with_name("replayed-" + dst.name), dst)
    return log


def cli_json(capsys, *args: str) -> dict:
    main([*args, "--json"])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("with_dates", [True, False])
def test_the_server_answers_what_the_adapter_writes(client, tmp_path: Path, with_dates: bool) -> None:
    """Dates reach the reader through the server as they do on a book made from the payload (the server skips the
    per-sheet date check when the body holds no ISO date text)."""
    audit = random_audit(22, "fr", fill=0.6)
    if with_dates:
        audit.metadata.update(start_date=dt.date(2016, 1, 2), end_date=dt.date(2016, 1, 9))
        audit.org["reporting_date"] = dt.date(2016, 12, 31)
    else:
        for key in ("start_date", "end_date"):
            audit.metadata.pop(key, None)
        audit.org.pop("reporting_date", None)
    path = render(CATALOG, "fr", audit, tmp_path / "book.xlsx")
    for job in ("validate", "score"):
        data = payload(path, "Office.js", include(client, job))
        body = json.dumps(data).encode()
        assert adapter.json_is_plain(body) != with_dates
        book = xw.Book(json=data)
        adapter.JOBS[job](book)
        response = client.post(CALL + job, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        assert response.json()["actions"] == json.loads(json.dumps(book.json()["actions"], default=str))
        if job == "validate":
            written = json.dumps(response.json()["actions"])
            assert "meta.invalid" not in written and "org.invalid" not in written


@pytest.mark.parametrize("kind", ["VBA", "Office.js"])
@pytest.mark.libreoffice
def test_score_through_the_server_gives_spi4xl_score(client, filled: Path, tmp_path: Path, libreoffice, capsys, kind: str) -> None:
    want = cli_json(capsys, "score", str(filled))
    replay_response(call(client, "score", filled, kind), filled, tmp_path / "scored.xlsx", libreoffice, kind)
    got = cli_json(capsys, "score", str(tmp_path / "scored.xlsx"))
    assert got == want
    rows = {(r["level"], r["code"] or ""): r for r in table(role_sheet(tmp_path / "scored.xlsx", "results")[1]) if r["level"]}
    assert rows[("overall", "")]["score"] == pytest.approx(want["overall"]["score"])
    for code, unit in want["dimensions"].items():
        assert rows[("dimension", code)]["answered"] == unit["answered"]
        assert rows[("dimension", code)]["score"] == pytest.approx(unit["score"])


@pytest.mark.parametrize("kind", ["VBA", "Office.js"])
@pytest.mark.libreoffice
def test_validate_through_the_server_gives_spi4xl_validate(client, filled: Path, tmp_path: Path, libreoffice, capsys,
                                                             kind: str) -> None:
    main(["validate", str(filled), "--json"])
    want = json.loads(capsys.readouterr().out)
    assert want["counts"]["error"] > 0
    replay_response(call(client, "validate", filled, kind), filled, tmp_path / "validated.xlsx", libreoffice, kind)
    rows = table(role_sheet(tmp_path / "validated.xlsx", "findings")[1])
    lang = read_workbook(filled).audit.language
    assert [(r["finding"], r["severity"], r["item"] or "", r["cell"] or "") for r in rows] == \
        [(f["code"], ui(f"finding_severity.{f['severity']}", lang), f["item"], f["cell"]) for f in want["findings"]]
    main(["validate", str(tmp_path / "validated.xlsx"), "--json"])
    assert json.loads(capsys.readouterr().out) == want


@pytest.mark.libreoffice
def test_populate_through_the_server_switches_language(client, filled: Path, tmp_path: Path, libreoffice) -> None:
    set_settings(filled, tmp_path / "set.xlsx", language="en")
    libreoffice.recalculate(tmp_path / "set.xlsx", tmp_path / "en.xlsx")
    before = read_workbook(tmp_path / "en.xlsx").audit
    replay_response(call(client, "populate_button_es", tmp_path / "en.xlsx", "VBA"), tmp_path / "en.xlsx",
                    tmp_path / "populated.xlsx", libreoffice, "VBA")
    after = read_workbook(tmp_path / "populated.xlsx")
    assert after.sheets["questionnaire"] == ui("sheet.questionnaire", "en") and after.audit.language == "en"
    for field in ("answers", "comments", "flags", "evidence", "org", "metadata", "unparsed"):
        assert getattr(after.audit, field) == getattr(before, field), field


# --- bounds ------------------------------------------------------------------------------------------
@pytest.mark.libreoffice
def test_vba_clients_never_get_actions_they_cannot_replay(client, filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spi4xl.xl.server import run_job  # what a worker process runs, here in this process to patch the job

    def bold(book) -> None:
        book.sheets[0]["A1"].font.bold = True  # setFontProperty: only Office.js replays it

    monkeypatch.setitem(adapter.JOBS, "score", bold)
    body = lambda kind: json.dumps(payload(filled, kind, include(client, "score"))).encode()  # noqa: E731
    status, detail = run_job("score", body("VBA"), "en")
    assert status == 500 and "setFontProperty" in detail
    assert run_job("score", body("Office.js"), "en")[0] == 200


@pytest.mark.libreoffice
def test_payload_size_is_bounded(client, filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.dumps(payload(filled, "VBA", include(client, "score"))).encode()
    post = lambda: client.post(CALL + "score", content=body, headers={"Content-Type": "application/json"})  # noqa: E731
    monkeypatch.setenv("SPI4XL_MAX_PAYLOAD_BYTES", str(len(body) - 1))
    response = post()
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    monkeypatch.setenv("SPI4XL_MAX_PAYLOAD_BYTES", str(len(body)))
    assert post().status_code == 200


GOOD = {"client": "VBA", "version": "0.37.8", "book": {"name": "a.xlsx"}, "sheets": [{"name": "S", "values": [[1]]}]}
NAME = {"name": "q_answer", "sheet_index": 0, "address": "D2:D31", "book_scope": True, "scope_sheet_name": None,
        "scope_sheet_index": None}


@pytest.mark.parametrize("body,status,message", [
    (b"{not json", 400, "not JSON"),
    (b"\xff\xfe", 400, "not JSON"),
    (json.dumps({"client": "VBA", "version": "0.1.0", "book": {"name": "a.xlsx"},
                 "sheets": [{"name": "S", "values": [[1]]}]}).encode(), 400, "xlwings version"),
    (b"[1, 2]", 422, "JSON object"),
    (json.dumps({"client": "VBA", "version": "0.37.8", "book": {"name": "a.xlsx"}}).encode(), 422, "'sheets'"),
    (json.dumps({**GOOD, "sheets": [{"name": "S", "values": "x"}]}).encode(), 422, "sheet 0"),
    (json.dumps({**GOOD, "sheets": [{"name": "S", "values": [[{"a": 1}]]}]}).encode(), 422, "cell values"),
    (json.dumps({**GOOD, "sheets": [{"name": "S", "values": [[1]], "tables": {}}]}).encode(), 422, "'tables'"),
    (json.dumps({**GOOD, "book": {"name": "a.xlsx", "active_sheet_index": "0"}}).encode(), 422, "active_sheet_index"),
    (json.dumps({**GOOD, "names": {}}).encode(), 422, "'names'"),
    (json.dumps({**GOOD, "names": [{k: v for k, v in NAME.items() if k != "book_scope"}]}).encode(), 422, "book_scope"),
    (json.dumps({**GOOD, "names": [{**NAME, "sheet_index": 7}]}).encode(), 422, "sheet_index 7"),
    (json.dumps({**GOOD, "names": [{**NAME, "sheet_index": True}]}).encode(), 422, "sheet_index"),
    (json.dumps({**GOOD, "names": ["q_answer"]}).encode(), 422, "names[0]"),
])
def test_malformed_payloads_get_400_when_not_json_and_422_for_any_wrong_part(client, body: bytes, status: int,
                                                                             message: str) -> None:
    response = client.post(CALL + "score", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status and message in response.json()["detail"], response.text


@pytest.mark.parametrize("body", [b'{"a": ["x", 1, -2.5, 1E5, true, null, [], {}], "b": "\\u00e9\\n"}',
                                  b'["\\ud800", "a\\udfffb"]', b"[NaN, Infinity, -Infinity]", b' {"k": 1, "k": 2} '])
def test_payload_json_reads_as_json_reads_it(body: bytes) -> None:
    """orjson reads the payloads, json what orjson refuses (lone surrogates, NaN): every body json takes is taken."""
    from spi4xl.xl.server import json_loads

    assert repr(json_loads(body)) == repr(json.loads(body))


@pytest.mark.parametrize("rows,scalar", [
    ([[1, "a", None, True, -2.5]], True), ([["[x]", "{y}", "a[b"], []], True), ([["\ud800", 10**30]], True), ([], True),
    ([[1, [2]]], False), ([["[", {"a": 1}]], False), ([[], [[]]], False), ([["\ud800", []]], False)])
def test_cells_are_told_scalar_or_not_as_by_their_types(rows: list, scalar: bool) -> None:
    from spi4xl.xl.server import scalar_cells

    assert scalar_cells(rows) is scalar


@pytest.mark.parametrize("value", [{"actions": [{"func": "setValues", "args": [[["é", 1, -2.5, None, True]]]}]},
                                   [dt.datetime(2024, 1, 2, 3, 4, 5), dt.date(2024, 1, 2), dt.time(6, 7)], [10**30, "x"]])
def test_answers_are_the_json_of_json_dumps(value) -> None:
    from spi4xl.xl.server import json_dumps

    assert json.loads(json_dumps(value)) == json.loads(json.dumps(value, ensure_ascii=False, default=str))


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[" * 5000 + b"]" * 5000, b"[1,]"])
def test_payload_json_fails_as_json_fails(body: bytes) -> None:
    from spi4xl.xl.server import json_loads

    with pytest.raises((ValueError, RecursionError)) as failed:
        json.loads(body)
    with pytest.raises(failed.type):
        json_loads(body)


def test_a_foreign_workbook_gets_422(client) -> None:
    data = {"client": "Office.js", "version": "1.0", "book": {"name": "budget.xlsx"},
            "sheets": [{"name": "Start", "values": [["Budget 2016", ""], ["Rent", 1200]]}]}
    response = client.post(CALL + "validate", json=data)
    assert response.status_code == 422 and "not an spi4xl workbook" in response.json()["detail"]


@pytest.mark.libreoffice
def test_an_edition_name_of_5000_characters_gets_422(client, filled: Path, tmp_path: Path) -> None:
    set_settings(filled, tmp_path / "long.xlsx", edition="a" * 5000)
    response = call(client, "validate", tmp_path / "long.xlsx", "VBA")
    detail = response.json()["detail"]  # in the workbook's language, with its code
    assert response.status_code == 422 and "[read.unknown_edition]" in detail and "'aaa" in detail
    assert len(response.json()["detail"]) < 300


@pytest.mark.libreoffice
def test_unknown_script_gets_404(client, filled: Path) -> None:
    assert client.post(CALL + "delete_everything", json={}).status_code == 404
    assert client.post(CALL + "../score", json={}).status_code == 404


@pytest.mark.libreoffice
def test_only_the_catalog_sheets_are_read(client, filled: Path) -> None:
    data = payload(filled, "VBA")  # everything, as a VBA client without `include` sends it
    q = next(s for s in data["sheets"] if s["values"][0][0] == "spi4xl:questionnaire")
    data["sheets"].append({"name": "Mes notes", "values": q["values"], "pictures": [], "tables": []})
    assert "Mes notes" not in include(client, "score")
    response = client.post(CALL + "score", json=data)  # the copy would be a second questionnaire if read
    assert response.status_code == 200, response.text


@pytest.mark.libreoffice
def test_bearer_token(client, filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPI4XL_SERVER_TOKEN", "s3cret-token")
    assert call(client, "score", filled, "VBA").status_code == 401
    assert call(client, "score", filled, "VBA", Authorization="Bearer wrong").status_code == 401
    assert call(client, "score", filled, "VBA", Authorization="s3cret-token").status_code == 401
    assert call(client, "score", filled, "VBA", Authorization="Bearer s3cret-token").status_code == 200
    for path in ("/manifest.xml", "/taskpane.html", "/xlwings/custom-scripts-meta"):  # Office loads these unauthenticated
        assert client.get(path).status_code == 200


@pytest.mark.libreoffice
def test_refusals_speak_the_workbook_language_else_the_browser_one(client, filled: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data = payload(filled, "Office.js", include(client, "validate"))
    code = duplicate_a_code(data)
    french_browser = {"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.8"}
    response = client.post(CALL + "validate", json=data, headers=french_browser)
    assert response.status_code == 422  # the Spanish workbook's own language wins
    assert response.json()["detail"].startswith(f"error [read.duplicate_code]: filled.xlsx: hoja 'Cuestionario': "
                                                f"el código {code} aparece dos veces")
    monkeypatch.setenv("SPI4XL_SERVER_TOKEN", "s3cret-token")
    refused = call(client, "score", filled, "VBA", **french_browser)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert refused.json()["detail"].startswith("erreur [server.token] : jeton d'accès absent ou incorrect")
    assert call(client, "score", filled, "VBA").json()["detail"].startswith(
        "error [server.token]: missing or wrong bearer token")  # no Accept-Language: the server's language


# --- add-in ------------------------------------------------------------------------------------------
def test_scripts_meta_lists_jobs_includes_and_sheet_buttons(client) -> None:
    meta = {m["function_name"]: m for m in client.get("/xlwings/custom-scripts-meta").json()}
    assert set(meta) == {f"{job}{suffix}" for job in adapter.JOBS
                         for suffix in ["", "_button_en", "_button_fr", "_button_es"]}
    for job in adapter.JOBS:
        assert meta[job]["button"] is None
        assert set(meta[job]["include"].split(",")) == set(adapter.sheet_names_for(adapter.JOB_ROLES[job]))
        for lang in ("en", "fr", "es"):
            assert meta[f"{job}_button_{lang}"]["button"] == shapes.button_ref(job, ui("sheet.start", lang))
    assert "Lists" not in meta["score"]["include"].split(",") and "Dashboard" in meta["score"]["include"].split(",")


def test_manifest_points_at_this_server(client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPI4XL_BASE_URL", "https://audit.example.org/spi4xl/")
    root = ET.fromstring(client.get("/manifest.xml").content)
    base = "https://audit.example.org/spi4xl"
    assert root.find("o:DefaultSettings/o:SourceLocation", NS).get("DefaultValue") == f"{base}/taskpane.html"
    urls = [e.get("DefaultValue") for e in root.iter() if (e.get("DefaultValue") or "").startswith("http")]
    assert urls and all(u.startswith(base) for u in urls)
    actions = [(c.get("id"), c.find("v:Action", NS).get(f"{{{NS['xsi']}}}type")) for c in root.iter(f"{{{NS['v']}}}Control")]
    assert actions == [("Spi4xl.Populate", "ExecuteFunction"), ("Spi4xl.Validate", "ExecuteFunction"),
                       ("Spi4xl.Score", "ExecuteFunction"), ("Spi4xl.Taskpane", "ShowTaskpane")]
    labels = {e.get("id"): e.get("DefaultValue") for e in root.iter(f"{{{NS['bt']}}}String")}
    assert labels["score.Label"] == ui("button.score") and labels["Tab.Label"] == "spi4xl"
    names = [e.text for e in root.iter(f"{{{NS['v']}}}FunctionName")]
    commands = client.get("/commands.html").text
    assert all(f"window.{name} =" in commands for name in names)


def test_addin_files_are_served_and_replay_every_action_the_adapter_queues(client) -> None:
    assert 'data-script="populate"' in client.get("/taskpane.html").text
    js = client.get("/static/spi4xl.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    for size in (16, 32, 80):
        assert client.get(f"/static/icon-{size}.png").content.startswith(b"\x89PNG")
    assert client.get("/static/../server.py").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404
    queued = {"setValues", "rangeClearContents", "setRangeColor", "setRangeColors", "setSheetName", "addSheet",
              "sheetDelete", "namesAdd", "rangeInsert", "rangeDelete", "alert"}
    for kind in queued:
        assert f'"{kind}"' in js.text, kind
    node = shutil.which("node")
    if node:
        path = Path(__file__).resolve().parents[1] / "spi4xl" / "xl" / "static" / "spi4xl.js"
        subprocess.run([node, "--check", str(path)], check=True)


def test_serve_without_a_licence_key_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_LICENSE_KEY"}
    env["HOME"] = str(tmp_path)  # no ~/.xlwings/xlwings.conf with a key either
    result = subprocess.run([sys.executable, "-m", "spi4xl", "serve", "--port", "0"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 1
    assert "XLWINGS_LICENSE_KEY" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.libreoffice
# --- a server that stays up and says no clearly -------------------------------------------------------
@pytest.mark.parametrize("media", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None])
def test_script_calls_are_json_only(client, filled: Path, media: str | None) -> None:
    """A cross-site form or text/plain POST (no CORS preflight) never reaches a job."""
    body = json.dumps(payload(filled, "VBA", include(client, "score"))).encode()
    headers = {"Content-Type": media} if media else {}
    response = client.post(CALL + "score", content=body, headers=headers)
    assert response.status_code == 415 and "application/json" in response.json()["detail"]
    assert client.post(CALL + "score", content=body, headers={"Content-Type": "application/json; charset=utf-8"}).status_code == 200


def test_script_calls_are_post_only_and_a_client_that_leaves_mid_body_costs_nothing(client) -> None:
    import asyncio

    for method in ("get", "put", "delete"):
        refused = getattr(client, method)(CALL + "score")
        assert refused.status_code == 405 and refused.headers["allow"] == "POST", method
        assert refused.json() == {"detail": "Method Not Allowed"}
    jobs, sent = client.app.state.jobs, []
    messages = iter([{"type": "http.request", "body": b'{"client": ', "more_body": True}, {"type": "http.disconnect"}])
    scope = {"type": "http", "method": "POST", "path": CALL + "score", "headers": [(b"content-type", b"application/json")]}

    async def receive() -> dict:
        return next(messages)

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(client.app(scope, receive, send))
    assert sent == [] and jobs.pending == 0 and jobs.pool.workers == []  # nothing answered, no job started


def test_openapi_docs_are_off_unless_asked(client, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from spi4xl.xl.server import create_app

    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404, path
    with TestClient(create_app(docs=True)) as documented:
        assert documented.get("/openapi.json").status_code == 200 and documented.get("/docs").status_code == 200
    monkeypatch.setenv("SPI4XL_SERVER_DOCS", "1")
    with TestClient(create_app()) as documented:
        assert documented.get("/openapi.json").status_code == 200


@pytest.mark.libreoffice
def test_a_full_queue_answers_503_with_retry_after(client, filled: Path) -> None:
    jobs = client.app.state.jobs
    assert jobs.limit == 256 and jobs.workers == (os.cpu_count() or 1)
    jobs.pending = jobs.limit  # as many calls in progress as allowed
    try:
        busy = call(client, "score", filled, "VBA")
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
        assert client.get("/healthz").status_code == 200
    finally:
        jobs.pending = 0
    assert call(client, "score", filled, "VBA").status_code == 200


@pytest.mark.libreoffice
def test_a_worker_that_dies_costs_one_call_and_the_workers_come_back(filled: Path) -> None:
    import asyncio

    from spi4xl.xl.server import Jobs

    body = json.dumps(payload(filled, "VBA", adapter.sheet_names_for(adapter.JOB_ROLES["score"]))).encode()
    jobs = Jobs(workers=1)
    try:
        assert asyncio.run(jobs.run("score", body, "en"))[0] == 200
        for worker in jobs.pool.workers:  # the worker, killed as the OOM killer would
            os.kill(worker.process.pid, 9)
        status, detail = asyncio.run(jobs.run("score", body, "fr"))
        assert status == 503 and detail.startswith("erreur [server.restarted] : le serveur a redémarré"), detail
        assert asyncio.run(jobs.run("score", body, "en"))[0] == 200
    finally:
        jobs.close()


def _error_cells(src: Path, dst: Path) -> list[tuple[str, int, int, str]]:
    """Excel error values (#VALUE!, #N/A, #REF!) in every input column of the questionnaire, Organization
    Information and Start sheets, saved as error cells; returns (sheet, row, column, error) from 0."""
    import openpyxl

    from spi4xl.workbook import layout as L
    from spi4xl.workbook.read import read_workbook

    read = read_workbook(src)
    book = openpyxl.load_workbook(src)
    errors, placed = ("#VALUE!", "#N/A", "#REF!"), []
    for role, count in (("questionnaire", 45), ("organization", 9), ("start", 6)):
        ws, spec = book[read.sheets[role]], L.ROLES[role]
        keys = [c.value for c in ws[1]]
        columns = [keys.index(c.id) if spec.keyed and c.id in keys else spec.columns.index(c)
                   for c in spec.columns if c.input]
        rows = sorted({openpyxl.utils.cell.coordinate_to_tuple(cell)[0] for (r, _), cell in read.cells.items() if r == role})
        for i, r in enumerate(rows[:count]):
            for j, c in enumerate(columns):
                if isinstance(ws.cell(r, c + 1), openpyxl.cell.cell.MergedCell):
                    continue
                error = errors[(i + j) % len(errors)]
                ws.cell(r, c + 1).value = error  # openpyxl stores it as an error cell (t="e")
                placed.append((ws.title, r - 1, c, error))
    book.save(dst)
    return placed


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["VBA", "Office.js"])
def test_error_values_give_the_same_findings_in_the_add_in_and_the_command_line(client, filled: Path, tmp_path: Path,
                                                                                kind: str) -> None:
    import xlwings as xw

    from spi4xl.assess import assess

    placed = _error_cells(filled, tmp_path / "errors.xlsx")
    cli = assess(tmp_path / "errors.xlsx")
    data = payload(tmp_path / "errors.xlsx", kind, include(client, "validate"))
    sheets = {s["name"]: s["values"] for s in data["sheets"]}
    for sheet, r, c, error in placed:  # the add-in sends an error cell as its text
        rows = sheets[sheet]
        while len(rows) <= r:
            rows.append([])
        rows[r].extend([None if kind == "VBA" else ""] * (c + 1 - len(rows[r])))
        rows[r][c] = error
    assert client.post(CALL + "validate", json=data).status_code == 200
    book = xw.Book(json=data)
    try:
        report = adapter.validate(book, alert=False)  # what the call above ran in a worker, findings kept
    finally:
        book.close()
    located = lambda findings: sorted((f.code, f.severity, f.item, f.cell) for f in findings)  # noqa: E731
    assert located(report.findings) == located(cli.findings)
    assert cli.counts["warning"] > 0


@pytest.mark.libreoffice
@pytest.mark.slow
def test_healthz_stays_fast_while_score_calls_pile_up(filled: Path) -> None:
    """40 Score calls at once on a real `spi4xl serve`: jobs used to run on the event loop, one after the other,
    and /healthz waited behind all of them (over a second); it must answer at once."""
    import socket
    import threading
    import time
    import urllib.request

    body = json.dumps(payload(filled, "Office.js", adapter.sheet_names_for(adapter.JOB_ROLES["score"]))).encode()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "spi4xl", "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env={**os.environ, "XLWINGS_LICENSE_KEY": "noncommercial"})
    base = f"http://127.0.0.1:{port}"

    def get(path: str) -> float:
        start = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=60) as answer:
            assert answer.status == 200
        return time.perf_counter() - start

    statuses: list[int] = []

    def score() -> None:
        request = urllib.request.Request(base + CALL + "score", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as answer:
            statuses.append(answer.status)

    try:
        for _ in range(600):
            try:
                get("/healthz")
                break
            except OSError:
                assert server.poll() is None
                time.sleep(0.1)
        score()  # workers started
        callers = [threading.Thread(target=score) for _ in range(40)]
        for caller in callers:
            caller.start()
        latencies = []
        while any(c.is_alive() for c in callers) and len(latencies) < 5000:
            latencies.append(get("/healthz"))
            time.sleep(0.01)
        for caller in callers:
            caller.join()
        assert statuses == [200] * 41
        assert len(latencies) >= 3 and max(latencies) < 0.5, latencies
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_refuses_a_public_host_without_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("XLWINGS_LICENSE_KEY", "SPI4XL_SERVER_TOKEN")}
    env["HOME"] = str(tmp_path)  # no licence: a command that gets past the host check stops at the licence
    serve = lambda *args, **extra: subprocess.run([sys.executable, "-m", "spi4xl", "serve", "--port", "0", *args],  # noqa: E731
                                                  capture_output=True, text=True, env={**env, **extra}, timeout=120)
    for host in ("0.0.0.0", "::", "192.168.1.20", "audit.example.org"):
        refused = serve("--host", host)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        (line,) = refused.stderr.splitlines()
        assert f"--host {host}" in line and "SPI4XL_SERVER_TOKEN" in line and "--insecure" in line
    for args, extra in ((("--host", "0.0.0.0", "--insecure"), {}), (("--host", "0.0.0.0"), {"SPI4XL_SERVER_TOKEN": "t0k3n"}),
                        (("--host", "127.0.0.1"), {}), (("--host", "localhost"), {}), (("--host", "::1"), {})):
        passed = serve(*args, **extra)
        assert passed.returncode == 1 and "XLWINGS_LICENSE_KEY" in passed.stderr, (args, passed.stderr)
