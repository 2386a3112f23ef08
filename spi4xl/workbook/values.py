"""Fast value reading with python-calamine, within the reading bounds, its floats and dates normalised and its errors made plain."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Iterable

import python_calamine as pc

from spi4xl.errors import Spi4xlError
from spi4xl.workbook.layout import normalise
from spi4xl.workbook.package import Package

MAX_FILE_BYTES = 50 * 1024 * 1024
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


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

    def number_formats(self, name: str, refs: Iterable[str]) -> dict[str, str]:
        """The number format codes of these cells of a sheet (see Package.number_formats)."""
        return self.package.number_formats(self.book.sheet_names.index(name), refs)

    def rows(self, name: str) -> list[list[Any]]:
        """Every row of a sheet from A1 as calamine gives them ('' for empty, floats for numbers)."""
        self.package.check_sheet(self.book.sheet_names.index(name), name)
        try:
            rows = self.book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except (pc.CalamineError, pc.XmlError, pc.ZipError, ValueError) as exc:
            raise Spi4xlError("read.sheet_unreadable", path=self.path, sheet=name,
                              detail=_first_line(exc) or type(exc).__name__) from None
        self.package.spend_cells(len(rows) * max(map(len, rows), default=0))
        return rows


def open_book(path: str | Path, max_bytes: int | None = None) -> Workbook:
    """Open a workbook for reading, turning every way a file can be wrong into one clear error."""
    path, max_bytes = Path(path), max_bytes or MAX_FILE_BYTES
    if not path.exists():
        raise Spi4xlError("file.not_found", path=path)
    if path.is_dir():
        raise Spi4xlError("file.is_folder", path=path)
    size = path.stat().st_size
    if size > max_bytes:
        raise Spi4xlError("file.too_large", path=path, size=round(size / 2**20, 1), limit=round(max_bytes / 2**20))
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise Spi4xlError("file.not_xlsx", path=path)
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            magic = fh.read(8)
        if magic.startswith(b"\xd0\xcf\x11\xe0"):
            raise Spi4xlError("file.encrypted_or_xls", path=path)
        raise Spi4xlError("file.corrupt", path=path)
    package = Package(path)  # measured before the parser reads anything
    try:
        return Workbook(path, package, pc.CalamineWorkbook.from_path(str(path)))
    except pc.PasswordError:
        raise Spi4xlError("file.password", path=path) from None
    except (pc.CalamineError, pc.ZipError, pc.XmlError, OSError, ValueError) as exc:
        raise Spi4xlError("file.unreadable", path=path, detail=_first_line(exc)) from None


def raw_rows(book: Workbook, name: str) -> list[list[Any]]:
    """Every row of a sheet from A1 as calamine gives them ('' for empty, floats for numbers)."""
    return book.rows(name)


def sheet_rows(book: Workbook, name: str) -> list[list[Any]]:
    """Every row of a sheet from A1, values normalised."""
    return [[normalise(v) for v in row] for row in raw_rows(book, name)]


def read_sheet_values(path: str | Path, sheet: int = 0) -> list[list[Any]]:
    book = open_book(path)
    return sheet_rows(book, book.sheet_names[sheet])


def _first_line(exc: Exception) -> str:
    """The start of a library's error text, as a detail of our own message."""
    return (str(exc).splitlines() or [""])[0][:120]
