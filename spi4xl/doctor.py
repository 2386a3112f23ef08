"""`spi4xl doctor [workbook]`: on the auditor's computer, what the desktop buttons need and whether it is there.

The .xlsm buttons run `RunPython` from xlwings' standalone VBA module. For a click to work, xlwings
must find an interpreter (the `Interpreter_Win`/`Interpreter_Mac` setting, looked up as xlwings
does: the workbook's xlwings.conf sheet, the workbook folder's xlwings.conf, the user's xlwings.conf,
then its default `python`), that interpreter must import spi4xl with the workbook's
catalog edition and the xlwings version of the workbook's VBA module, and on macOS Excel needs the
AppleScript file `xlwings runpython install` puts in place. Windows and macOS also block macros of
downloaded files. Each check is one line: ok, FAIL (with the fix) or a note.

Everything only a desktop has (the platform, the home folder, files, the interpreter's answers) goes
through `Machine`, so tests run every branch with a fake one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from spi4xl.errors import Spi4xlError
from spi4xl.records import MutableRecord, record

CONF_SHEET = "xlwings.conf"
APPLESCRIPT_DIR = "Library/Application Scripts/com.microsoft.Excel"
MAC_USER_CONF = "Library/Containers/com.microsoft.Excel/Data/xlwings.conf"
_VBA_VERSION_RX = re.compile(r"^'Version: (\S+)\s*$", re.MULTILINE)
# What the interpreter of the buttons reports about itself (run with that interpreter, prints JSON).
PROBE = """
import json, sys
out = {"python": sys.version.split()[0], "executable": sys.executable}
try:
    import importlib.metadata as md
    out["xlwings"] = md.version("xlwings")
except Exception as exc:
    out["xlwings_error"] = f"{type(exc).__name__}: {exc}"
try:
    import spi4xl
    from spi4xl.catalog.loader import editions, standards_dirs
    out["spi4xl"] = spi4xl.__version__
    out["editions"] = sorted({e for d in standards_dirs() for e in editions(d)})
except Exception as exc:
    out["spi4xl_error"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


@record(frozen=False)
class Check(MutableRecord):
    status: str  # "ok", "fail" or "note"
    what: str
    fix: str = ""

    def line(self) -> str:
        mark = {"ok": "ok  ", "fail": "FAIL", "note": "note"}[self.status]
        return f"{mark}  {self.what}" + (f"\n      fix: {self.fix}" if self.fix else "")


@record(frozen=False)
class Machine(MutableRecord):
    """The computer the buttons run on. Tests replace it with a fake."""

    platform: str = sys.platform
    home: str = str(Path.home())
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def windows(self) -> bool:
        return self.platform.startswith("win")

    @property
    def mac(self) -> bool:
        return self.platform == "darwin"

    def path(self, *parts: str) -> PurePath:
        return (PureWindowsPath if self.windows else PurePosixPath)(*parts)

    def read_text(self, path: PurePath) -> str | None:
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def is_file(self, path: PurePath) -> bool:
        return Path(path).is_file()

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.env.get("PATH"))

    def probe(self, interpreter: str) -> dict[str, Any]:
        """What `interpreter` says about itself (PROBE), or {"error": ...} when it does not start."""
        try:
            done = subprocess.run([interpreter, "-c", PROBE], capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
        return json.loads(done.stdout)

    def downloaded(self, path: Path) -> bool:
        """Whether the file carries the mark of a download (Windows: Zone.Identifier; macOS: quarantine)."""
        if self.windows:
            return Path(f"{path}:Zone.Identifier").exists()
        if self.mac:
            return subprocess.run(["xattr", "-p", "com.apple.quarantine", str(path)], capture_output=True).returncode == 0
        return False


# --- xlwings settings, looked up as xlwings.bas does ----------------------------------------------
def conf_sheet(path: Path) -> dict[str, str] | None:
    """The workbook's xlwings.conf sheet as xlwings reads it: keys (upper case) from A1 down to the first empty cell."""
    from spi4xl.workbook.values import open_book, raw_rows

    book = open_book(path)
    if CONF_SHEET not in book.sheet_names:
        return None
    settings: dict[str, str] = {}
    for row in raw_rows(book, CONF_SHEET):
        key = row[0] if row else ""
        if key in ("", None):
            break
        value = row[1] if len(row) > 1 else ""
        settings[str(key).upper()] = "" if value is None else str(value)
    return settings


def conf_file(text: str | None) -> dict[str, str]:
    """A `"KEY","value"` file (the user's or the folder's xlwings.conf); keys upper case."""
    settings: dict[str, str] = {}
    for line in (text or "").splitlines():
        parts = [p.strip().strip('"') for p in line.split(",", 1)]
        if len(parts) == 2 and parts[0]:
            settings.setdefault(parts[0].upper(), parts[1])
    return settings


def user_conf_path(m: Machine) -> PurePath:
    return m.path(m.home, MAC_USER_CONF) if m.mac else m.path(m.home, ".xlwings", "xlwings.conf")


def config_layers(m: Machine, workbook: Path | None, sheet: dict[str, str] | None) -> list[tuple[str, dict[str, str]]]:
    """(where, settings) in xlwings' order: workbook sheet, workbook folder's file, user file."""
    layers = [("the workbook's xlwings.conf sheet", sheet or {})]
    if workbook is not None:
        folder = m.path(str(workbook.resolve().parent), CONF_SHEET)
        layers.append((str(folder), conf_file(m.read_text(folder))))
    user = user_conf_path(m)
    layers.append((str(user), conf_file(m.read_text(user))))
    return layers


def interpreter_setting(m: Machine, layers: list[tuple[str, dict[str, str]]]) -> tuple[str, str]:
    """(interpreter, where it comes from) as RunPython picks it; empty values count, as in xlwings."""
    key = "INTERPRETER_MAC" if m.mac else "INTERPRETER_WIN"
    for k in (key, "INTERPRETER"):
        for where, settings in layers:
            if k in settings:
                if settings[k] or k == "INTERPRETER":
                    return settings[k], f"{k} in {where}"
                break  # an empty INTERPRETER_<OS> falls back to INTERPRETER, as xlwings.bas does
    return "python", "xlwings' default"


# --- checks ------------------------------------------------------------------------------------------
@record(frozen=False)
class _Book(MutableRecord):
    """What the machine checks need to know of the workbook."""

    xlsm: bool = True
    edition: str | None = None
    sheet: dict[str, str] | None = None
    vba_version: str | None = None


def run_checks(workbook: Path | None = None, m: Machine | None = None) -> list[Check]:
    """Every check, in the order a click on a button needs them."""
    m = m or Machine()
    checks, book = _workbook_checks(workbook) if workbook is not None else ([], _Book())
    if not book.xlsm:
        return checks
    os_key = "INTERPRETER_MAC" if m.mac else "INTERPRETER_WIN"
    if m.windows or m.mac:
        interpreter, source = interpreter_setting(m, config_layers(m, workbook, book.sheet))
        runnable = _runnable(m, interpreter)
    else:
        interpreter, source = sys.executable, "this Python: the desktop buttons need Excel on Windows or macOS"
        runnable = interpreter
    if runnable is None:
        checks.append(Check("fail", f"interpreter of the buttons: {interpreter!r} ({source}) is not there",
                            "run `python3 -m xlwings config create --force` with the Python that has spi4xl (it "
                            f"writes that Python's full path as {os_key} into {user_conf_path(m)})"))
        return checks
    checks.append(Check("ok", f"interpreter of the buttons: {interpreter} ({source})"))
    probe = m.probe(runnable)
    if "error" in probe:
        return checks + [Check("fail", f"{interpreter} does not start: {probe['error']}",
                               f"repair that Python or point {os_key} at another one")]
    if "spi4xl_error" in probe:
        checks.append(Check("fail", f"spi4xl is not importable from {interpreter}: {probe['spi4xl_error']}",
                            f'"{runnable}" -m pip install spi4xl-<version>-py3-none-any.whl'))
    else:
        known = probe.get("editions", [])
        checks.append(Check("ok", f"spi4xl {probe['spi4xl']} (Python {probe['python']}) with catalog editions "
                                  f"{', '.join(known) or 'none'}"))
        if book.edition is not None and book.edition not in known:
            checks.append(Check("fail", f"the workbook's catalog edition {book.edition!r} is not in that spi4xl",
                                "install the spi4xl the workbook was made with, or put the edition in the folder "
                                "named by SPI4XL_STANDARDS"))
    checks.append(_xlwings_check(probe.get("xlwings"), book.vba_version, interpreter, runnable))
    if m.mac:
        script = m.path(m.home, APPLESCRIPT_DIR, f"xlwings-{probe.get('xlwings') or book.vba_version}.applescript")
        checks.append(Check("ok", f"RunPython is enabled for Excel ({script})") if m.is_file(script) else
                      Check("fail", f"RunPython is not enabled for Excel: {script} is missing",
                            f'"{runnable}" -m xlwings runpython install'))
    return checks + _trust_notes(m, workbook)


def _xlwings_check(have: str | None, vba_version: str | None, interpreter: str, runnable: str) -> Check:
    from spi4xl.workbook.vba import XLWINGS_VERSION

    wanted = vba_version or XLWINGS_VERSION
    whose = "the workbook's VBA module" if vba_version else "the VBA module of this spi4xl's templates"
    fix = f'"{runnable}" -m pip install xlwings=={wanted}'
    if have is None:
        return Check("fail", f"xlwings is not installed for {interpreter}", fix)
    if have != wanted:
        return Check("fail", f"xlwings {have} for {interpreter}, but {whose} is of xlwings {wanted} (RunPython loads "
                             "the xlwings of its own version)", fix)
    return Check("ok", f"xlwings {have}, the version of {whose}")


def _runnable(m: Machine, interpreter: str) -> str | None:
    """The executable to start for `interpreter` (pythonw.exe is probed through its python.exe), or None."""
    if m.windows and interpreter.lower().endswith("pythonw.exe"):
        console = interpreter[: -len("pythonw.exe")] + "python.exe"
        if m.is_file(m.path(console)):
            return console
    if "/" in interpreter or "\\" in interpreter:
        return interpreter if m.is_file(m.path(interpreter)) else None
    if m.mac:
        return None  # AppleScript's shell has no user PATH: a bare name is not found (or is Apple's stub)
    return m.which(interpreter)


def _workbook_checks(path: Path) -> tuple[list[Check], _Book]:
    from spi4xl.workbook.read import read_workbook

    book = _Book(xlsm=path.suffix.lower() == ".xlsm")
    try:
        read = read_workbook(path)
    except Spi4xlError as exc:
        return [Check("fail", f"workbook: {exc}")], book
    audit = read.audit
    book.edition = audit.edition
    checks = [Check("ok", f"workbook {path.name}: catalog edition {audit.edition} {audit.catalog_version}, "
                          f"language {audit.language}, profile {audit.profile}")]
    if read.catalog is not None and audit.catalog_version and audit.catalog_version != read.catalog.version:
        checks.append(Check("note", f"the workbook was made with catalog {audit.catalog_version}; this spi4xl has "
                                    f"{read.catalog.version}", f"spi4xl convert {path.name} --lang {audit.language} "
                                    "--out updated.xlsm brings it to the current catalog"))
    if not book.xlsm:
        checks.append(Check("note", "an .xlsx has no desktop buttons: its blue buttons work with the spi4xl add-in "
                                    "(spi4xl serve); the .xlsm has buttons that run Python on this computer"))
        return checks, book
    try:
        book.sheet = conf_sheet(path)
        match = _VBA_VERSION_RX.search(_vba_modules(path).get("xlwings", ""))
    except Exception as exc:  # noqa: BLE001 - pyopenvba/calamine errors have no common type
        return checks + [Check("fail", f"the VBA project cannot be read ({type(exc).__name__}: {exc})",
                               "render a fresh .xlsm with spi4xl build and copy the answers over (spi4xl convert)")], book
    book.vba_version = match[1] if match else None
    checks.append(Check("ok", f"VBA module of xlwings {book.vba_version}") if match else
                  Check("fail", "the workbook has no xlwings VBA module", "render a fresh .xlsm with spi4xl build"))
    return checks + _conf_sheet_checks(book.sheet), book


def _vba_modules(path: Path) -> dict[str, str]:
    from spi4xl.workbook.vba import read_vba_modules

    return read_vba_modules(path)


def _conf_sheet_checks(sheet: dict[str, str] | None) -> list[Check]:
    if sheet is None:
        return [Check("note", "no xlwings.conf sheet: only your own xlwings.conf files are read")]
    checks = []
    empty = [k for k, v in sheet.items() if not v.strip()]
    if empty:
        checks.append(Check("fail", f"xlwings.conf sheet: {', '.join(empty)} empty, which hides your own setting",
                            "unhide the xlwings.conf sheet and delete those rows (keep no empty row above the others)"))
    if sheet.get("ADD_WORKBOOK_TO_PYTHONPATH", "true").strip().lower() != "false":
        checks.append(Check("fail", "xlwings.conf sheet: ADD_WORKBOOK_TO_PYTHONPATH is not False, so RunPython fails "
                                    "for a workbook opened from OneDrive or SharePoint",
                            "set ADD_WORKBOOK_TO_PYTHONPATH to False on the xlwings.conf sheet"))
    return checks or [Check("ok", "xlwings.conf sheet: " + ", ".join(f"{k} {v}" for k, v in sheet.items()))]


def _trust_notes(m: Machine, workbook: Path | None) -> list[Check]:
    if m.windows:
        notes = [Check("note", "Excel runs the buttons only once macros are enabled: click Enable Content when the "
                               "workbook opens; for a folder of audits, add it under File > Options > Trust Center > "
                               "Trust Center Settings > Trusted Locations")]
        if workbook is not None and m.downloaded(workbook):
            notes.append(Check("fail", f"{workbook.name} is marked as downloaded: Windows blocks its macros",
                               "close it, right-click the file, Properties, tick Unblock, OK"))
        return notes
    if m.mac and workbook is not None and m.downloaded(workbook):
        return [Check("fail", f"{workbook.name} is quarantined as downloaded: Excel may block its macros",
                      f"xattr -d com.apple.quarantine '{workbook}'")]
    return []


def report(checks: list[Check]) -> str:
    return "\n".join(c.line() for c in checks)
