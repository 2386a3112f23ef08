"""Bring your own wording: replace catalog texts from a spreadsheet or PO file, never the structure.

Spreadsheet: a first row with `code`, `field` and one column per language (`en`, `fr`, `es`);
PO file: msgctxt `code|field`, msgstr the text, the language from its `Language` header.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any

from spi4xl.po import parse_msgctxt, read_po
from spi4xl.catalog.model import Catalog, TextKey
from spi4xl.errors import Spi4xlError

OverlayRow = tuple[int, TextKey, str, str]  # row or line number, (code, field), language, text


def rows_from_cells(rows: list[list[Any]], catalog: Catalog, path: Path) -> list[OverlayRow]:
    """The texts of an overlay sheet's values (read by the workbook layer), with their row numbers."""
    header = [str(c or "").strip().lower() for c in (rows[0] if rows else [])]
    if "code" not in header or "field" not in header:
        raise Spi4xlError("overlay.no_header", path=path, known=", ".join(catalog.languages))
    langs = [(i, h) for i, h in enumerate(header) if h in catalog.languages]
    if not langs:
        raise Spi4xlError("overlay.no_language", path=path, known=", ".join(catalog.languages))
    ci, fi = header.index("code"), header.index("field")
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        cells = list(cells) + [None] * len(header)
        if cells[ci] is None:
            continue
        for i, lang in langs:
            if cells[i] is not None and str(cells[i]).strip():
                out.append((number, (str(cells[ci]).strip(), str(cells[fi] or "").strip()), lang, str(cells[i]).strip()))
    return out


def rows_from_po(path: Path, catalog: Catalog) -> list[OverlayRow]:
    po = read_po(path)
    lang = po.metadata.get("Language", "")
    if lang not in catalog.languages:
        raise Spi4xlError("overlay.po_language", path=path, known=", ".join(catalog.languages))
    return [(entry.linenum, parse_msgctxt(entry.msgctxt) or (entry.msgctxt or "", ""), lang, entry.msgstr)
            for entry in po if entry.msgstr and not entry.obsolete]


def apply_overlay_rows(catalog: Catalog, rows: list[OverlayRow], path: Path) -> Catalog:
    """A new catalog whose texts are replaced by the overlay's; unknown codes are refused by row."""
    known = catalog.texts["en"]
    unknown = [(n, key) for n, key, _, _ in rows if key not in known]
    if unknown:
        rows = "; ".join(f"{n}: {k[0]}|{k[1]}" for n, k in unknown[:10]) + ("; ..." if len(unknown) > 10 else "")
        raise Spi4xlError("overlay.unknown_codes", path=path, count=len(unknown), rows=rows)
    texts = {lang: dict(t) for lang, t in catalog.texts.items()}
    for _, key, lang, text in rows:
        texts[lang][key] = text
    frozen = MappingProxyType({lang: MappingProxyType(t) for lang, t in texts.items()})
    return dataclasses.replace(catalog, texts=frozen)
