"""Fast value reading with python-calamine, within the reading bounds, its floats and dates normalised and its errors made plain."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import python_calamine as pc

from spi4xl.errors import Spi4xlError
from spi4xl.workbook.package import Package

MAX_FILE_BYTES = 50 * 1024 * 1024
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


# Excel's error values: python-calamine gives an error cell as empty, xlwings' clients send its text. Either way
# it is not something an auditor typed (a comment reading #VALUE! is no evidence), so it reads as empty.
EXCEL_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!"))


def normalise(value: Any) -> Any:
    """Integral floats become ints, midnight datetimes become dates, empty strings and error values None."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    if value == "" or value in EXCEL_ERRORS:
        return None
    return value


class Workbook:
    """A workbook opened for reading: python-calamine behind the bounds of spi4xl/workbook/package.py."""

    def __init__(self, path: Path, package: Package, book: pc.CalamineWorkbook) -> None:
        self.path, self.package, self.book = path, package, book
        if len(book.sheet_names) != len(package.sheet_parts):
            raise package.unreadable("its sheets are listed inconsistently")

    @property
    def sheet_names(self) -> list[str]:
        return self.book.sheet_names

    @property
    def sheets_metadata(self):
        return self.book.sheets_metadata

    def rows(self, name: str) -> list[list[Any]]:
        """Every row of a sheet from A1 as calamine gives them ('' for empty, floats for numbers)."""
        self.package.check_sheet(self.book.sheet_names.index(name), name)
        try:
            rows = self.book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except (pc.CalamineError, pc.XmlError, pc.ZipError, ValueError) as exc:
            raise Spi4xlError("read.sheet_unreadable", path=self.path, sheet=name,
                              reason=str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__) from None
        self.package.spend_cells(len(rows) * max(map(len, rows), default=0))
        return rows


def open_book(path: str | Path, max_bytes: int | None = None) -> Workbook:
    """Open a workbook for reading, turning every way a file can be wrong into one clear error."""
    path, max_bytes = Path(path), max_bytes or MAX_FILE_BYTES
    if not path.exists():
        raise Spi4xlError(f"{path}: no such file")
    if path.is_dir():
        raise Spi4xlError(f"{path}: is a folder, not a workbook")
    size = path.stat().st_size
    if size > max_bytes:
        raise Spi4xlError(f"{path}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB limit for an audit workbook")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise Spi4xlError(f"{path}: not an Excel workbook (.xlsx or .xlsm expected)")
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            magic = fh.read(8)
        if magic.startswith(b"\xd0\xcf\x11\xe0"):
            raise Spi4xlError(f"{path}: the workbook is password-protected (encrypted) or in the old .xls format: save an unprotected .xlsx copy")
        raise Spi4xlError(f"{path}: not a valid workbook (the file is corrupt or is not an Excel file)")
    package = Package(path)  # measured before the parser reads anything
    try:
        return Workbook(path, package, pc.CalamineWorkbook.from_path(str(path)))
    except pc.PasswordError:
        raise Spi4xlError(f"{path}: the workbook is password-protected: save an unprotected copy") from None
    except (pc.CalamineError, pc.ZipError, pc.XmlError, OSError, ValueError) as exc:
        raise Spi4xlError(f"{path}: not a readable workbook ({str(exc).splitlines()[0][:120]})") from None


def raw_rows(book: Workbook, name: str) -> list[list[Any]]:
    """Every row of a sheet from A1 as calamine gives them ('' for empty, floats for numbers)."""
    return book.rows(name)


def sheet_rows(book: Workbook, name: str) -> list[list[Any]]:
    """Every row of a sheet from A1, values normalised."""
    return [[normalise(v) for v in row] for row in raw_rows(book, name)]


def read_sheet_values(path: str | Path, sheet: int = 0) -> list[list[Any]]:
    book = open_book(path)
    return sheet_rows(book, book.sheet_names[sheet])
