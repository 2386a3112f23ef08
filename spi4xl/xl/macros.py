"""Desktop entry points of the .xlsm buttons (open-source xlwings, Excel on Windows or macOS).

The workbook's VBA module (spi4xl/vba/spi4xl.bas) runs, for each button::

    RunPython "import spi4xl.xl.macros as m; m.populate()"

Each function finds the calling workbook with `xw.Book.caller()` *inside* the call (a module-level
caller leaves Excel processes behind), lifts the sheet protection the templates carry for the time
of the job (Excel refuses writes to locked cells of a protected sheet, even from code), runs the
adapter and shows expected problems as a message box instead of a traceback, in the workbook's
language (its settings sheet; else SPI4XL_LANG or the computer's locale) and with the error's code.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import xlwings as xw

from spi4xl.errors import Spi4xlError
from spi4xl.ui import ui_language
from spi4xl.xl import adapter

TITLE = "spi4xl"
# What the renderer allows on its protected sheets (render._protect), restored after the job.
PROTECT_WIN = {"DrawingObjects": True, "Contents": True, "Scenarios": True, "AllowFormattingColumns": True,
               "AllowFormattingRows": True, "AllowSorting": True, "AllowFiltering": True}
PROTECT_MAC = {"drawing_objects": True, "worksheet_contents": True, "scenarios": True,
               "allow_formatting_columns": True, "allow_formatting_rows": True, "allow_sorting": True,
               "allow_filtering": True}


def populate() -> None:
    """Populate button: fill or refresh the sheets for the language, profile and modules on Settings."""
    _run(adapter.populate)


def validate() -> None:
    """Validate button: findings sheet, highlighted cells, counts."""
    _run(adapter.validate)


def score() -> None:
    """Score button: results sheet and dashboard figures, overall score."""
    _run(adapter.score)


def _run(job: Callable[[Any], Any], book: Any = None) -> None:
    book = book if book is not None else xw.Book.caller()
    try:
        with unprotected(book):
            job(book)
    except Spi4xlError as exc:
        book.app.alert(exc.line(adapter.book_language(book) or ui_language()), title=TITLE, buttons="ok", mode="critical")


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
