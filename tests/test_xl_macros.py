"""Desktop buttons: the VBA of every built .xlsm calls Python functions that exist, and those functions work."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import openpyxl
import pytest
import xlwings as xw

from audits import CATALOG, random_audit
from spi4xl.audit import Audit
from spi4xl.errors import Spi4xlError
from spi4xl.workbook import vba
from spi4xl.workbook.render import render
from spi4xl.xl import macros
from xl_helpers import enable_xlwings_pro, payload

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
        assert sorted(func for _, func in targets) == ["populate", "score", "validate"], path
        for module, func in targets:
            target = getattr(importlib.import_module(module), func)
            assert callable(target)
            assert all(p.default is not p.empty for p in inspect.signature(target).parameters.values()), (path, func)


def test_xlsm_carries_the_xlwings_conf_sheet(built: list[Path]) -> None:
    book = openpyxl.load_workbook(built[0], keep_vba=True, read_only=False)
    conf = book["xlwings.conf"]
    assert conf.sheet_state == "hidden"
    keys = {row[0].value: row[1].value for row in conf.iter_rows()}
    assert {"Interpreter_Win", "Interpreter_Mac", "PYTHONPATH"} <= set(keys)
    assert "LICENSE_KEY" not in keys  # the desktop buttons use open-source xlwings only


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
