"""`spi4xl doctor`: every check, on fake Windows and macOS machines (files, interpreters, download marks)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl

from spi4xl.doctor import Check, Machine, conf_sheet, interpreter_setting, config_layers, report, run_checks
from spi4xl.workbook.vba import XLWINGS_VERSION

REPO = Path(__file__).resolve().parents[1]
XLSM = REPO / "workbook_templates" / "spi4xl-usspm-2016-full-fr.xlsm"
XLSX = REPO / "workbook_templates" / "spi4xl-usspm-2016-full-en.xlsx"
HOMEBREW = "/opt/homebrew/bin/python3"
WIN_PY = r"C:\Users\ana\AppData\Local\Programs\Python\Python312\python.exe"
GOOD = {"python": "3.12.1", "spi4xl": "0.1.0", "editions": ["usspm-2016"], "xlwings": XLWINGS_VERSION}


class FakeMachine(Machine):
    def __init__(self, platform: str, files: dict[str, str] | None = None, probes: dict[str, dict] | None = None,
                 on_path: dict[str, str] | None = None, downloaded: bool = False) -> None:
        super().__init__(platform=platform, home=r"C:\Users\ana" if platform == "win32" else "/Users/ana", env={})
        self.files, self.probes, self.on_path, self.marked = files or {}, probes or {}, on_path or {}, downloaded
        self.probed: list[str] = []

    def read_text(self, path):
        return self.files.get(str(path))

    def is_file(self, path) -> bool:
        return str(path) in self.files

    def which(self, name: str):
        return self.on_path.get(name)

    def probe(self, interpreter: str) -> dict[str, Any]:
        self.probed.append(interpreter)
        return self.probes.get(interpreter, {"error": "FileNotFoundError: no such file"})

    def downloaded(self, path: Path) -> bool:
        return self.marked


MAC_CONF = "/Users/ana/Library/Containers/com.microsoft.Excel/Data/xlwings.conf"
APPLESCRIPT = f"/Users/ana/Library/Application Scripts/com.microsoft.Excel/xlwings-{XLWINGS_VERSION}.applescript"
WIN_CONF = r"C:\Users\ana\.xlwings\xlwings.conf"


def statuses(checks: list[Check]) -> list[str]:
    return [c.status for c in checks]


def failing(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "fail"]


def test_mac_without_settings_runs_python_which_homebrew_does_not_install() -> None:
    checks = run_checks(None, FakeMachine("darwin", files={HOMEBREW: ""}))
    (fail,) = failing(checks)
    assert "'python' (xlwings' default) is not there" in fail.what
    assert "xlwings config create" in fail.fix and MAC_CONF in fail.fix


def test_mac_with_the_user_setting_and_runpython_installed_is_ready() -> None:
    files = {MAC_CONF: f'"INTERPRETER_MAC","{HOMEBREW}"\n', HOMEBREW: "", APPLESCRIPT: ""}
    machine = FakeMachine("darwin", files=files, probes={HOMEBREW: GOOD})
    checks = run_checks(None, machine)
    assert statuses(checks) == ["ok"] * 4, report(checks)
    assert f"interpreter of the buttons: {HOMEBREW} (INTERPRETER_MAC in {MAC_CONF})" in checks[0].what
    assert machine.probed == [HOMEBREW]


def test_mac_without_runpython_install_says_so() -> None:
    files = {MAC_CONF: f'"INTERPRETER_MAC","{HOMEBREW}"\n', HOMEBREW: ""}
    (fail,) = failing(run_checks(None, FakeMachine("darwin", files=files, probes={HOMEBREW: GOOD})))
    assert "RunPython is not enabled" in fail.what and fail.fix == f'"{HOMEBREW}" -m xlwings runpython install'


def test_mac_bare_interpreter_name_is_not_found_by_applescript() -> None:
    files = {MAC_CONF: '"INTERPRETER_MAC","python3"\n'}
    (fail,) = failing(run_checks(None, FakeMachine("darwin", files=files, on_path={"python3": "/usr/bin/python3"})))
    assert "'python3' (INTERPRETER_MAC in" in fail.what


def test_windows_workbook_checked_against_the_interpreter(tmp_path: Path) -> None:
    book = tmp_path / "audit.xlsm"
    shutil.copyfile(XLSM, book)
    old = {**GOOD, "xlwings": "0.30.0"}
    machine = FakeMachine("win32", probes={WIN_PY: old}, on_path={"python": WIN_PY}, downloaded=True)
    checks = run_checks(book, machine)
    text = report(checks)
    assert checks[0].status == "ok" and "catalog edition usspm-2016 1.1.0, language fr" in checks[0].what
    assert f"VBA module of xlwings {XLWINGS_VERSION}" in text
    assert "xlwings.conf sheet: ADD_WORKBOOK_TO_PYTHONPATH False" in text
    assert "interpreter of the buttons: python (xlwings' default)" in text
    fails = failing(checks)
    assert [f.fix for f in fails] == [f'"{WIN_PY}" -m pip install xlwings=={XLWINGS_VERSION}',
                                      "close it, right-click the file, Properties, tick Unblock, OK"]
    assert "but the workbook's VBA module is of xlwings" in fails[0].what
    assert any(c.status == "note" and "Trusted Locations" in c.what for c in checks)


def test_windows_pythonw_setting_is_probed_through_python_exe(tmp_path: Path) -> None:
    pythonw = WIN_PY.replace("python.exe", "pythonw.exe")
    files = {WIN_CONF: f'"INTERPRETER_WIN","{pythonw}"\n', WIN_PY: "", pythonw: ""}
    machine = FakeMachine("win32", files=files, probes={WIN_PY: GOOD})
    assert statuses(run_checks(None, machine)) == ["ok", "ok", "ok", "note"]
    assert machine.probed == [WIN_PY]


def test_an_empty_key_on_the_sheet_hides_the_users_interpreter(tmp_path: Path) -> None:
    book = tmp_path / "old.xlsm"
    wb = openpyxl.load_workbook(XLSM, keep_vba=True)
    conf = wb["xlwings.conf"]
    conf.delete_rows(1, conf.max_row)
    for row in (("Interpreter_Win", None), ("PYTHONPATH", None), ("Show Console", "False")):
        conf.append(row)
    wb.save(book)
    assert conf_sheet(book) == {"INTERPRETER_WIN": "", "PYTHONPATH": "", "SHOW CONSOLE": "False"}
    pythonw = WIN_PY.replace("python.exe", "pythonw.exe")
    machine = FakeMachine("win32", files={WIN_CONF: f'"INTERPRETER_WIN","{pythonw}"\n'})
    assert interpreter_setting(machine, config_layers(machine, book, conf_sheet(book))) == ("python", "xlwings' default")
    fails = failing(run_checks(book, machine))
    assert "INTERPRETER_WIN, PYTHONPATH empty, which hides your own setting" in fails[0].what
    assert "ADD_WORKBOOK_TO_PYTHONPATH is not False" in fails[1].what
    assert "'python' (xlwings' default) is not there" in fails[2].what


def test_spi4xl_missing_or_without_the_workbooks_edition() -> None:
    files = {WIN_CONF: f'"INTERPRETER_WIN","{WIN_PY}"\n', WIN_PY: ""}
    missing = {"python": "3.12.1", "xlwings": XLWINGS_VERSION, "spi4xl_error": "ModuleNotFoundError: No module named 'spi4xl'"}
    (fail,) = failing(run_checks(None, FakeMachine("win32", files=files, probes={WIN_PY: missing})))
    assert "spi4xl is not importable" in fail.what and fail.fix.startswith(f'"{WIN_PY}" -m pip install spi4xl-')
    other = {**GOOD, "editions": ["usspm-2024"]}
    (fail,) = failing(run_checks(XLSM, FakeMachine("win32", files=files, probes={WIN_PY: other})))
    assert fail.what == "the workbook's catalog edition 'usspm-2016' is not in that spi4xl"


def test_broken_interpreter_and_foreign_workbook(tmp_path: Path) -> None:
    files = {WIN_CONF: f'"INTERPRETER_WIN","{WIN_PY}"\n', WIN_PY: ""}
    (fail,) = failing(run_checks(None, FakeMachine("win32", files=files)))
    assert fail.what.startswith(f"{WIN_PY} does not start: FileNotFoundError")
    foreign = tmp_path / "foreign.xlsm"
    openpyxl.Workbook().save(foreign)
    checks = run_checks(foreign, FakeMachine("win32", files=files, probes={WIN_PY: GOOD}))
    assert checks[0].status == "fail" and "not an spi4xl workbook" in checks[0].what


def test_the_command_on_this_machine(tmp_path: Path) -> None:
    def doctor(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "spi4xl", "doctor", *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=180)

    done = doctor(str(XLSM))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith("ok    workbook spi4xl-usspm-2016-full-fr.xlsm")
    assert "ok    spi4xl 0.1.0" in done.stdout
    done = doctor(str(XLSX), "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)[-1]["status"] == "note"
    done = doctor(str(tmp_path / "missing.xlsm"))
    assert done.returncode == 1 and done.stdout.startswith("FAIL  workbook: ") and "Traceback" not in done.stderr
