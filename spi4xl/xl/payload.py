"""The JSON an xlwings client posts to xlwings Server, built from a workbook file.

For benchmarks, tests and reproducing a server call without Excel::

    python -m spi4xl.xl.payload audit.xlsx --client VBA --job score > payload.json
    curl -H 'Content-Type: application/json' -d @payload.json http://127.0.0.1:8000/xlwings/custom-scripts-call/score

Values are the file's cached values (recalculate a file written by openpyxl/XlsxWriter first, e.g.
with LibreOffice), as xlwings' clients send them: empty cells null from the VBA client and "" from
Office.js, dates as ISO text. The file is only read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import openpyxl

from spi4xl.workbook.values import open_book, raw_rows

def _json_value(value: Any, client: str) -> Any:
    if value == "" or value is None:
        return None if client == "VBA" else ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


def payload(path: str | Path, client: str = "VBA", include: list[str] | None = None) -> dict[str, Any]:
    """The payload for the workbook at `path`; sheets not in `include` are sent without values."""
    import importlib.metadata

    path = Path(path)
    book = open_book(path)
    sheets = []
    for name in book.sheet_names:
        values: list[list[Any]] = [[]]
        if include is None or name in include:
            rows = raw_rows(book, name)
            values = [[_json_value(v, client) for v in row] for row in rows] or [[]]
        sheet: dict[str, Any] = {"name": name, "values": values, "pictures": [], "tables": []}
        if client == "Office.js":
            sheet.update(visibility="Visible", show_gridlines=True, shapes=[], charts=[], notes=[], pivot_tables=[])
        sheets.append(sheet)
    names = []
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for name, defined in wb.defined_names.items():
            dests = list(defined.destinations)
            if len(dests) != 1 or dests[0][0] not in book.sheet_names:
                continue  # VBA and Office.js clients send single-range names only
            sheet_name, address = dests[0]
            names.append({"name": name, "sheet_index": book.sheet_names.index(sheet_name),
                          "address": address.replace("$", ""), "book_scope": True,
                          "scope_sheet_name": None, "scope_sheet_index": None})
    finally:
        wb.close()
    data: dict[str, Any] = {
        "client": client,
        "version": importlib.metadata.version("xlwings") if client == "VBA" else "0.0.0",
        "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
        "names": names,
        "sheets": sheets,
    }
    if client == "Office.js":
        data["book"]["calculation"] = "automatic"
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the xlwings client payload of a workbook file.")
    parser.add_argument("workbook")
    parser.add_argument("--client", default="VBA", choices=("VBA", "Office.js"))
    parser.add_argument("--job", choices=("populate", "validate", "score"),
                        help="send only the sheets this job reads, as the add-in does")
    args = parser.parse_args(argv)
    include = None
    if args.job:
        from spi4xl.xl.adapter import JOB_ROLES, sheet_names_for

        include = sheet_names_for(JOB_ROLES[args.job])
    json.dump(payload(args.workbook, args.client, include), sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
