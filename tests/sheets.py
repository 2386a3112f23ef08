"""Role tables of a workbook file, found by the contract's own parser (spi4xl.workbook.layout)."""

from __future__ import annotations

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
