"""Desktop buttons: the VBA of every built .xlsm calls Python functions that exist, and those functions work."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw

import spi4xl

from audits import CATALOG, random_audit
from spi4xl.audit import Audit
from spi4xl.doctor import conf_sheet
from spi4xl.errors import Spi4xlError
from spi4xl.ui import ui
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook import vba
from spi4xl.workbook.render import render
from spi4xl.xl import adapter, macros
from xl_helpers import duplicate_a_code, enable_xlwings_pro, payload, set_settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def licence(monkeypatch: pytest.MonkeyPatch) -> None:
    enable_xlwings_pro(monkeypatch)  # the remote engine stands in for Excel here; tests only


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The committed .xlsm templates and fresh .xlsm renders of other profiles."""
    tmp = tmp_path_factory.mktemp("xlsm")
    fresh = []
    for lang, profile in (("fr", "alinus"), ("es", "cp")):
        audit = Audit(edition=CATALOG.edition, catalog_version=CATALOG.version, language=lang, profile=profile)
        fresh.append(render(CATALOG, lang, audit, tmp / f"{lang}-{profile}.xlsm"))
    templates = sorted((REPO / "workbook_templates").glob("*.xlsm"))
    assert len(templates) >= 3
    return templates + fresh


def test_every_runpython_command_names_an_existing_function(built: list[Path]) -> None:
    for path in built:
        targets = [t for source in vba.read_vba_modules(path).values() for t in vba.run_python_targets(source)]
        assert sorted(func for _, func in targets) == ["merge", "populate", "report", "score", "validate"], path
        for module, func in targets:
            target = getattr(importlib.import_module(module), func)
            assert callable(target)
            assert all(p.default is not p.empty for p in inspect.signature(target).parameters.values()), (path, func)


def xlwings_reads(path: Path) -> dict[str, str]:
    """The xlwings.conf sheet, hidden, as xlwings.bas reads it (A1 down to the first empty cell)."""
    assert openpyxl.load_workbook(path, keep_vba=True)["xlwings.conf"].sheet_state == "hidden"
    return conf_sheet(path)


def test_xlsm_conf_sheet_never_hides_the_users_xlwings_settings(built: list[Path]) -> None:
    for path in built:
        settings = xlwings_reads(path)
        assert settings == {"ADD_WORKBOOK_TO_PYTHONPATH": "False"}, path  # no empty key, no interpreter guessed
        assert "LICENSE_KEY" not in settings  # the desktop buttons use open-source xlwings only


def test_build_writes_the_interpreters_it_is_given(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from spi4xl.cli import main

    win, mac = r"C:\Users\Ana\AppData\Local\Programs\Python\Python312\pythonw.exe", "/opt/homebrew/bin/python3"
    assert main(["build", "--lang", "es", "--format", "xlsm", "--out", str(tmp_path),
                 "--interpreter-win", win, "--interpreter-mac", mac]) == 0
    (built,) = tmp_path.glob("*.xlsm")
    assert xlwings_reads(built) == {"ADD_WORKBOOK_TO_PYTHONPATH": "False", "INTERPRETER_WIN": win, "INTERPRETER_MAC": mac}
    capsys.readouterr()
    for option, path in (("--interpreter-mac", "python3"), ("--interpreter-mac", ""), ("--interpreter-win", "python")):
        assert main(["build", "--format", "xlsm", "--out", str(tmp_path / "no"), option, path]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"spi4xl: error [build.interpreter]: {option} {path}: not an interpreter xlwings can start") and "e.g." in err
        assert not (tmp_path / "no").exists()


@pytest.fixture
def caller(tmp_path: Path):
    """`xw.Book.caller()` answering with a remote-engine book made from a rendered workbook."""
    audit = random_audit(5, "en", fill=0.5)
    render(CATALOG, "en", audit, tmp_path / "book.xlsx")
    book = xw.Book(json=payload(tmp_path / "book.xlsx", "VBA"))
    book.set_mock_caller()
    yield book
    del xw.Book._mock_caller


@pytest.mark.slow
@pytest.mark.parametrize("job", ["populate", "validate", "score"])
def test_macros_find_the_caller_and_run_the_job(caller, job: str) -> None:
    getattr(macros, job)()
    funcs = [a["func"] for a in caller.json()["actions"]]
    assert "setValues" in funcs and funcs[-1] == "alert"


@pytest.mark.slow
def test_the_merge_macro_merges_the_files_the_picker_returns(caller, tmp_path: Path, monkeypatch) -> None:
    """The picker is the workbook's VBA function, called back by name; what it returns is what gets merged."""
    part = dataclasses.replace(random_audit(6, "es", fill=0.5), audit_id="0badcafe", departments=("hr",), origin="hr")
    render(CATALOG, "es", part, tmp_path / "hr.xlsx")
    asked = []
    monkeypatch.setattr(xw.Book, "macro", lambda self, name: asked.append(name) or (lambda: ""))
    macros.merge()
    assert asked == [macros.PICKER] and caller.json()["actions"] == []  # cancelled: nothing happens
    monkeypatch.setattr(xw.Book, "macro", lambda self, name: lambda: f"{tmp_path / 'hr.xlsx'}\n")
    macros.merge()
    actions = caller.json()["actions"]
    assert "setValues" in [a["func"] for a in actions] and actions[-1]["func"] == "alert"
    assert actions[-1]["args"][1] == ui("button.merge", "en")


def test_expected_problems_are_a_message_box_not_a_traceback(tmp_path: Path) -> None:
    book = xw.Book(json={"client": "VBA", "version": xw.__version__, "book": {"name": "notes.xlsm", "active_sheet_index": 0},
                         "names": [], "sheets": [{"name": "Notes", "values": [["hello"]], "pictures": [], "tables": []}]})
    book.set_mock_caller()
    try:
        macros.score()
    finally:
        del xw.Book._mock_caller
    [action] = book.json()["actions"]
    assert action["func"] == "alert" and "not an spi4xl workbook" in action["args"][0] and action["args"][3] == "critical"


def _call(book, job: str) -> list[dict]:
    book.set_mock_caller()
    try:
        getattr(macros, job)()
    finally:
        del xw.Book._mock_caller
    return book.json()["actions"]


def test_an_unexpected_error_is_one_sentence_in_the_books_language_and_a_log(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPI4XL_LOG_DIR", str(tmp_path / "logs"))
    render(CATALOG, "fr", random_audit(3, "fr", fill=0.3), tmp_path / "livre.xlsx")

    def broken(book):
        raise ZeroDivisionError("division by zero deep inside")

    monkeypatch.setattr(macros.adapter, "score", broken)
    [alert] = _call(xw.Book(json=payload(tmp_path / "livre.xlsx", "VBA")), "score")
    log = tmp_path / "logs" / "buttons.log"
    assert alert["func"] == "alert" and alert["args"][0] == ui("macro.failed", "fr", log=log)
    assert alert["args"][0].startswith("spi4xl s'est arrêté") and alert["args"][3] == "critical"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "ZeroDivisionError: division by zero deep inside" in text and "livre.xlsx" in text


@pytest.mark.parametrize("job", ["populate", "validate", "score"])
@pytest.mark.parametrize("key, value, lang", [("language", "de", "en"), ("profile", "xyz", "fr")])
def test_an_invalid_setting_is_named_with_its_cell_and_the_allowed_values(tmp_path: Path, job: str, key: str,
                                                                          value: str, lang: str) -> None:
    render(CATALOG, "fr", random_audit(3, "fr", fill=0.3), tmp_path / "livre.xlsx")
    set_settings(tmp_path / "livre.xlsx", tmp_path / "bad.xlsx", **{key: value})
    read = read_workbook(tmp_path / "bad.xlsx")
    (finding,) = [f for f in read.findings if f.code == "settings.invalid"]
    allowed = {"language": "en, fr, es", "profile": "full, alinus, cp"}[key]
    assert (finding.item, finding.sheet, finding.values["raw"], finding.values["allowed"]) == (key, "settings", value, allowed)
    [alert] = _call(xw.Book(json=payload(tmp_path / "bad.xlsx", "VBA")), job)  # nothing written, one message
    cell = f"{read.sheets['settings']}!{finding.cell}"
    assert alert["args"][0] == Spi4xlError("settings.invalid", cell=cell, item=key, raw=value, allowed=allowed).line(lang)
    assert cell in alert["args"][0] and f"'{value}'" in alert["args"][0] and allowed in alert["args"][0]


def test_a_message_box_speaks_the_workbook_language_and_names_the_code(tmp_path: Path) -> None:
    render(CATALOG, "fr", random_audit(5, "fr", fill=0.5), tmp_path / "audit.xlsx")
    data = payload(tmp_path / "audit.xlsx", "VBA")
    code = duplicate_a_code(data)
    book = xw.Book(json=data)
    macros._run(adapter.score, book)
    [action] = book.json()["actions"]
    assert action["func"] == "alert" and action["args"][3] == "critical"
    assert action["args"][0].startswith("erreur [read.duplicate_code] : audit.xlsx : feuille 'Questionnaire' : "
                                        f"le code {code} apparaît deux fois")


# --- sheet protection on the desktop engine, with stand-ins for COM sheets ------------------------------
class FakeApi:
    def __init__(self, sheet: "FakeSheet", password: bool = False) -> None:
        self.sheet, self.password, self.ProtectContents, self.calls = sheet, password, True, []

    def Unprotect(self) -> None:  # noqa: N802 - COM names
        if self.password:
            raise RuntimeError("com_error: password")
        self.ProtectContents = False
        self.calls.append("Unprotect")

    def Protect(self, **options) -> None:  # noqa: N802
        self.ProtectContents = True
        self.calls.append(("Protect", options))


class FakeSheet:
    def __init__(self, name: str, marker: str, protected: bool = True, password: bool = False) -> None:
        self.name, self.marker = name, marker
        self.api = FakeApi(self, password)
        self.api.ProtectContents = protected

    def __getitem__(self, a1: str):
        return type("Cell", (), {"value": self.marker})()


class FakeBook:
    def __init__(self, sheets: list[FakeSheet]) -> None:
        self.sheets = sheets
        self.app = type("App", (), {"engine": type("Engine", (), {"name": "excel"})()})()


def test_protected_sheets_are_lifted_for_the_job_and_protected_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(macros.sys, "platform", "win32")
    q, findings = FakeSheet("Questionnaire", "spi4xl:questionnaire"), FakeSheet("Findings", "spi4xl:findings", False)
    book = FakeBook([q, findings])
    with macros.unprotected(book) as lifted:
        assert lifted == ["spi4xl:questionnaire"] and not q.api.ProtectContents
        q.name = "Cuestionario"  # Populate renames sheets: they are found again by marker
    assert q.api.calls == ["Unprotect", ("Protect", macros.PROTECT_WIN)]
    assert findings.api.calls == []


def test_a_password_is_reported_and_nothing_stays_unprotected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(macros.sys, "platform", "win32")
    first, locked = FakeSheet("Start", "spi4xl:start"), FakeSheet("Questionnaire", "spi4xl:questionnaire", password=True)
    with pytest.raises(Spi4xlError, match="password"):
        with macros.unprotected(FakeBook([first, locked])):
            pass
    assert first.api.ProtectContents and first.api.calls[-1][0] == "Protect"


def test_other_engines_are_left_alone(caller) -> None:
    with macros.unprotected(caller) as lifted:
        assert lifted == []


@pytest.mark.slow
def test_the_report_button_writes_the_report_beside_the_workbook_and_opens_it(caller, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    monkeypatch.chdir(tmp_path)  # the remote engine's book is named without a folder: the report goes beside it
    macros.report()
    out = (tmp_path / Path(caller.fullname).name).with_name("book-report.html")
    assert opened == [out.resolve().as_uri()], caller.json()["actions"][-1]
    alert = caller.json()["actions"][-1]
    assert alert["func"] == "alert" and str(out.name) in alert["args"][0]
    overall = spi4xl.score(read_workbook(tmp_path / "book.xlsx").audit, CATALOG).overall.score
    assert f'data-unit="overall" data-field="score" data-value="{overall}"' in out.read_text(encoding="utf-8")
