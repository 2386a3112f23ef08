"""`spi4xl serve` through FastAPI's TestClient: the jobs as xlwings Server scripts, their bounds, the add-in files.

Payloads come from real workbooks recalculated in LibreOffice; the actions the server returns are
replayed onto a copy, which must then give what `spi4xl score` / `spi4xl validate` give on the original.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

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
    def bold(book) -> None:
        book.sheets[0]["A1"].font.bold = True  # setFontProperty: only Office.js replays it

    monkeypatch.setitem(adapter.JOBS, "score", bold)
    refused = call(client, "score", filled, "VBA")
    assert refused.status_code == 500 and "setFontProperty" in refused.json()["detail"]
    assert call(client, "score", filled, "Office.js").status_code == 200


@pytest.mark.libreoffice
def test_payload_size_is_bounded(client, filled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.dumps(payload(filled, "VBA", include(client, "score"))).encode()
    post = lambda: client.post(CALL + "score", content=body, headers={"Content-Type": "application/json"})  # noqa: E731
    monkeypatch.setenv("SPI4XL_MAX_PAYLOAD_BYTES", str(len(body) - 1))
    response = post()
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    monkeypatch.setenv("SPI4XL_MAX_PAYLOAD_BYTES", str(len(body)))
    assert post().status_code == 200


@pytest.mark.parametrize("body,message", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({"client": "VBA", "version": "0.37.8", "book": {"name": "a.xlsx"}}).encode(), "'sheets'"),
    (json.dumps({"client": "VBA", "version": "0.37.8", "book": {"name": "a.xlsx"},
                 "sheets": [{"name": "S", "values": "x"}]}).encode(), "sheet 0"),
    (json.dumps({"client": "VBA", "version": "0.1.0", "book": {"name": "a.xlsx"},
                 "sheets": [{"name": "S", "values": [[1]]}]}).encode(), "xlwings version"),
])
def test_malformed_payloads_get_400(client, body: bytes, message: str) -> None:
    response = client.post(CALL + "score", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and message in response.json()["detail"]


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
