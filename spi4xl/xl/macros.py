"""Desktop entry points of the .xlsm buttons (open-source xlwings, Excel on Windows or macOS).

The workbook's VBA module (spi4xl/vba/spi4xl.bas) runs, for each button::

    RunPython "import spi4xl.xl.macros as m; m.populate()"

Each function finds the calling workbook with `xw.Book.caller()` *inside* the call (a module-level
caller leaves Excel processes behind), lifts the sheet protection the templates carry for the time
of the job (Excel refuses writes to locked cells of a protected sheet, even from code), runs the
adapter and never lets a traceback reach the auditor: an expected problem (Spi4xlError, e.g. an
invalid Settings value, named with its cell) is its one-line message with its code, anything else one
sentence saying where the log with the traceback is; both in the workbook's language (its settings
sheet; else SPI4XL_LANG or the computer's locale).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import xlwings as xw

from spi4xl.errors import Spi4xlError
from spi4xl.ui import ui, ui_language
from spi4xl.xl import adapter

TITLE = "spi4xl"
LOG_DIR_ENV = "SPI4XL_LOG_DIR"  # default: ~/.spi4xl
LOG_NAME = "buttons.log"
PICKER = "spi4xl.PickDepartmentFiles"  # the VBA function (spi4xl/vba/spi4xl.bas) behind the Merge button's dialog
LOG_MAX_BYTES = 1_000_000  # then the log starts again, the previous one kept as buttons.log.1
# What the renderer allows on its protected sheets (render._protect), restored after the job.
PROTECT_WIN = {"DrawingObjects": True, "Contents": True, "Scenarios": True, "AllowFormattingColumns": True,
               "AllowFormattingRows": True}
PROTECT_MAC = {"drawing_objects": True, "worksheet_contents": True, "scenarios": True,
               "allow_formatting_columns": True, "allow_formatting_rows": True}


def populate() -> None:
    """Populate button: fill or refresh the sheets for the language, profile and modules on Settings."""
    _run(adapter.populate)


def validate() -> None:
    """Validate button: findings sheet, highlighted cells, counts."""
    _run(adapter.validate)


def score() -> None:
    """Score button: results sheet and dashboard figures, overall score."""
    _run(adapter.score)


def merge() -> None:
    """Merge department files button: pick the files in Excel's own dialog, merge them into this audit."""
    _run(_merge_picked)


def _merge_picked(book: Any) -> None:
    """The picker is the workbook's VBA function (Excel's dialog, the same on Windows and macOS); cancelled: nothing."""
    picked = book.macro(PICKER)()
    paths = [line.strip() for line in str(picked or "").splitlines() if line.strip()]
    if paths:
        adapter.merge(book, paths)


def report() -> None:
    """Report button: the audit report (HTML) written next to the workbook, then opened in the browser."""
    _run(adapter.report, after=_show)


def _show(result: Any) -> None:
    import webbrowser

    webbrowser.open(result.path.resolve().as_uri())


def _run(job: Callable[[Any], Any], book: Any = None, after: Callable[[Any], Any] | None = None) -> None:
    book = book if book is not None else xw.Book.caller()
    try:
        with unprotected(book):
            result = job(book)
        if after is not None:
            after(result)
    except Spi4xlError as exc:
        book.app.alert(exc.line(_language(book)), title=TITLE, buttons="ok", mode="critical")
    except Exception:  # noqa: BLE001 - anything unexpected: one sentence and the log, never a traceback box
        log = write_log(getattr(job, "__name__", "job"), getattr(book, "name", "?"), traceback.format_exc())
        book.app.alert(ui("macro.failed", _language(book), log=log), title=TITLE, buttons="ok", mode="critical")


def _language(book: Any) -> str:
    return adapter.book_language(book) or ui_language()


def log_path() -> Path:
    return Path(os.environ.get(LOG_DIR_ENV) or Path.home() / ".spi4xl") / LOG_NAME


def write_log(job: str, book_name: str, text: str) -> Path:
    """Append a traceback to the buttons' log (a new file when it grew past LOG_MAX_BYTES); return its path."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
        path.replace(path.with_name(LOG_NAME + ".1"))
    stamp = dt.datetime.now().isoformat(timespec="seconds")
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"--- {stamp} {job} on {book_name} (Python {sys.version.split()[0]}, xlwings {xw.__version__})\n{text}\n")
    return path


def _protected(sheet: Any) -> bool:
    if sys.platform == "darwin":
        return bool(sheet.api.protect_contents.get())
    return bool(sheet.api.ProtectContents)


@contextlib.contextmanager
def unprotected(book: Any) -> Iterator[list[str]]:
    """Unprotect the protected sheets (no password, as rendered) and protect them again afterwards.

    Sheets are found again by their role marker in A1, since Populate may rename them. Engines
    without a COM/AppleScript sheet object (the remote engine, tests) are left alone. A sheet
    protected with a password cannot be opened here: the auditor is told to unprotect it.
    """
    if book.app.engine.name != "excel":
        yield []
        return
    lifted: list[str] = []  # A1 of each unprotected sheet: its role marker
    try:
        for sheet in book.sheets:
            if not _protected(sheet):
                continue
            try:
                sheet.api.unprotect() if sys.platform == "darwin" else sheet.api.Unprotect()
            except Exception:  # noqa: BLE001 - COM/AppleScript errors have no common type
                raise Spi4xlError("xl.sheet_password", sheet=sheet.name) from None
            lifted.append(sheet["A1"].value)
        yield lifted
    finally:
        for sheet in book.sheets:
            if lifted and sheet["A1"].value in lifted and not _protected(sheet):
                if sys.platform == "darwin":
                    sheet.api.protect_worksheet(**PROTECT_MAC)
                else:
                    sheet.api.Protect(**PROTECT_WIN)
