"""Bring your own wording: replace catalog texts from a spreadsheet or PO file, never the structure.

Spreadsheet: a first row with `code`, `field` and one column per language (`en`, `fr`, `es`);
PO file: msgctxt `code|field`, msgstr the text, the language from its `Language` header.

An overlay vouches for the meaning of the codes it attaches to only in the catalog it was written for,
so it declares that catalog (`CatalogIdentity`): spreadsheet rows whose code is `@edition`, `@version`,
`@wording_hash` with the value in the `field` column, or the PO headers of `PO_HEADERS`. It is refused
on any other catalog, and when it declares none. `spi4xl catalog stamp` writes that declaration.

The wording hash is the SHA-256 (hex) of the canonical JSON of the texts the overlay attaches to, as the
catalog writes them in English: a list of `[code, field, English text]`, sorted by code then field,
serialised with `json.dumps(..., ensure_ascii=False, separators=(",", ":"))` and encoded as UTF-8. It
changes when the English of any code the overlay replaces changes, and only then.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

from spi4xl.po import parse_msgctxt, read_po
from spi4xl.catalog.model import Catalog, TextKey
from spi4xl.errors import Spi4xlError
from spi4xl.records import Record, record

OverlayRow = tuple[int, TextKey, str, str]  # row or line number, (code, field), language, text
IDENTITY_KEYS = ("edition", "version", "wording_hash")
IDENTITY_PREFIX = "@"  # a spreadsheet row whose code is @edition, @version or @wording_hash
PO_HEADERS = {"edition": "X-Spi4xl-Edition", "version": "X-Spi4xl-Catalog-Version",
              "wording_hash": "X-Spi4xl-Wording-Hash"}


@record
class CatalogIdentity(Record):
    """The catalog an overlay was written for."""

    edition: str
    version: str
    wording_hash: str

    def __str__(self) -> str:
        return f"{self.edition} {self.version} sha256:{self.wording_hash[:12]}"  # the same in every language


def wording_hash(catalog: Catalog, keys) -> str:
    """SHA-256 of the canonical JSON of [code, field, English text] for these text keys (see the module doc)."""
    english = catalog.texts["en"]
    triples = [[code, field_, english.get((code, field_), "")] for code, field_ in sorted(set(keys))]
    return hashlib.sha256(json.dumps(triples, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()


def identity_for(catalog: Catalog, rows: list[OverlayRow]) -> CatalogIdentity:
    """This catalog's identity for the texts these overlay rows attach to: what `catalog stamp` writes."""
    return CatalogIdentity(catalog.edition, catalog.version, wording_hash(catalog, (key for _, key, _, _ in rows)))


def declared_identity(values: dict[str, str]) -> CatalogIdentity | None:
    """The identity an overlay declares ({key: value} of IDENTITY_KEYS), None when it declares none."""
    if not any(values.get(k) for k in IDENTITY_KEYS):
        return None
    return CatalogIdentity(*(values.get(k, "").strip() for k in IDENTITY_KEYS))


def check_identity(catalog: Catalog, declared: CatalogIdentity | None, rows: list[OverlayRow], path: Path) -> None:
    """Refuse an overlay that declares no catalog, or another catalog than this one."""
    if declared is None:
        raise Spi4xlError("overlay.unstamped", path=path, edition=catalog.edition)
    current = identity_for(catalog, rows)
    if declared != current:
        raise Spi4xlError("overlay.other_catalog", path=path, declared=str(declared), current=str(current))


def _identity_key(code: Any) -> str | None:
    """`version` for a code cell reading `@version`, and so on; None for a text's code."""
    text = str(code if code is not None else "").strip()
    return text[1:] if text.startswith(IDENTITY_PREFIX) and text[1:] in IDENTITY_KEYS else None


def is_identity_row(cells: list[Any], code_index: int) -> bool:
    return code_index < len(cells) and _identity_key(cells[code_index]) is not None


def identity_from_cells(rows: list[list[Any]]) -> dict[str, str]:
    """The identity rows of an overlay sheet's values: {edition|version|wording_hash: value of `field`}."""
    header = [str(c or "").strip().lower() for c in (rows[0] if rows else [])]
    if "code" not in header or "field" not in header:
        return {}
    ci, fi = header.index("code"), header.index("field")
    out = {}
    for cells in rows[1:]:
        cells = list(cells) + [None] * len(header)
        if (key := _identity_key(cells[ci])) is not None:
            out[key] = str(cells[fi] if cells[fi] is not None else "").strip()
    return out


def rows_from_cells(rows: list[list[Any]], catalog: Catalog, path: Path) -> list[OverlayRow]:
    """The texts of an overlay sheet's values (read by the workbook layer), with their row numbers; identity
    rows (identity_from_cells) are not texts."""
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
        if cells[ci] is None or is_identity_row(cells, ci):
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


def identity_from_po(path: Path) -> dict[str, str]:
    """The identity headers of an overlay PO file: {edition|version|wording_hash: value}."""
    metadata = read_po(path).metadata
    return {key: metadata[header] for key, header in PO_HEADERS.items() if metadata.get(header)}


def apply_overlay_rows(catalog: Catalog, rows: list[OverlayRow], path: Path,
                       declared: CatalogIdentity | None) -> Catalog:
    """A new catalog whose texts are replaced by the overlay's. Refused when the overlay was written for
    another catalog (or declares none); unknown codes are refused by row."""
    check_identity(catalog, declared, rows, path)
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
