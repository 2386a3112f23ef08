"""Role tables of a workbook file, found by the contract's own parser (spi4xl.workbook.layout); a sheet's drawing part."""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook

from spi4xl.workbook import layout as L


def role_table(path: Path, role: str) -> L.Table:
    """The table of the sheet carrying `spi4xl:<role>` (values as cached in the file)."""
    book = CalamineWorkbook.from_path(str(path))
    sheets = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
    tables = L.find_tables(sheets, [role])
    if role not in tables:
        raise AssertionError(f"{path}: no sheet carries {L.MARKER_PREFIX + role}")
    return tables[role][0]


def role_records(path: Path, role: str) -> tuple[str, list[dict]]:
    """(sheet name, data rows as {column id: value}) of the sheet carrying `spi4xl:<role>`."""
    table = role_table(path, role)
    return table.name, table.records()


def sheet_drawing(package: zipfile.ZipFile, sheet_name: str) -> str:
    """The drawing part of the sheet called `sheet_name`, found through the package's relationships."""
    workbook = package.read("xl/workbook.xml").decode()
    rels = package.read("xl/_rels/workbook.xml.rels").decode()
    escaped = re.escape(sheet_name.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))
    rid = re.search(rf'<sheet name="{escaped}" sheetId="\d+" r:id="(rId\d+)"', workbook)
    target = re.search(rf'Id="{rid[1]}" Type="[^"]+" Target="([^"]+)"', rels)
    sheet_part = posixpath.normpath(posixpath.join("xl", target[1]))
    sheet_rels = posixpath.join(posixpath.dirname(sheet_part), "_rels", posixpath.basename(sheet_part) + ".rels")
    drawing = re.search(r'Type="[^"]+/drawing" Target="([^"]+)"', package.read(sheet_rels).decode())
    return posixpath.normpath(posixpath.join(posixpath.dirname(sheet_part), drawing[1]))
