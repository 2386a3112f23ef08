"""What a workbook file holds, measured before python-calamine parses any of it.

python-calamine turns a sheet into a dense grid from its first to its last cell, wherever the file
puts that cell: one cell at XFD1048576 asks for 512 GB and aborts the process, one at A1048576
costs 1.7 GB. So before calamine opens a file, its zip directory and the parts calamine reads at
once are measured here, and before a sheet is parsed, its XML is checked: every cell reference
must lie within the reading bounds of the layout (layout.READ_*). Parts are inflated from their
raw bytes, never past what is left of READ_XML_BYTES for the workbook (sizes a zip declares are
not trusted, nor is a sheet's <dimension>: the references are what the parser allocates from).

The check of a sheet is two searches over its XML when the sheet is written the way Excel,
LibreOffice, openpyxl and XlsxWriter write it (every cell opens with `<c r="..."`, every reference
within the bounds). Anything else (cells without references, prefixed tags, odd quoting, far
references) is walked tag by tag the way calamine 0.37 reads it, which is exact but slower, and
refused at the first cell past a bound. A workbook past a bound is refused with one line.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Iterable
from xml.etree import ElementTree as ET

from spi4xl.errors import Spi4xlError
from spi4xl.workbook import layout as L

_MASK = 0xFFFFFFFF  # calamine keeps positions in wrapping u32 arithmetic
_DEFLATE_RATIO = 1032  # the most a deflate stream can expand


def _quick_ref() -> str:
    """References plainly within the bounds, as a pattern the regular-expression engine checks fast (narrower
    than the bounds; the walk applies them exactly): two letters at most, the first before the last column's;
    a digit fewer than READ_ROWS, the first below its first digit. Row tags carry numbers only."""
    last, rows = L.col_name(L.READ_COLUMNS - 1), str(L.READ_ROWS)
    letters = f"(?:[A-{chr(ord(last[0]) - 1)}]?[A-Z])?" if len(last) == 2 and last[0] > "A" else "[A-Z]?"
    lead = f"[1-{int(rows[0]) - 1}]?" if rows[0] > "1" else ""
    return f"{letters}{lead}[0-9]{{1,{len(rows) - 1}}}"


# A cell tag (any prefix) whose first attribute is not a plain r="...": its position may be implied.
_IRREGULAR_CELL = re.compile(rb'c(?<=[<:]c)(?=[\s/>])(?! r=")')
# An r attribute, written in any way calamine accepts, that is not plainly within the bounds.
_UNCLEAR_REF = re.compile(rb'r(?<=[\s"\']r)\s*+=\s*+(?!"' + _quick_ref().encode() + rb'")')

# The exact walk: row and cell tags (start, end, self-closing), their attributes, and the sheetData span.
_TAG = re.compile(rb'<(/?)(?:[^\s<>/!?:]+:)?(row|c)(?=[\s/>])((?:[^<>"\']|"[^"]*"|\'[^\']*\')*)>')
_ANY_TAG = re.compile(rb'<(?:/?)(?:[^\s<>/!?:]+:)?(?:row|c)(?=[\s/>])')
_ATTR = re.compile(rb'([^\s=]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_SHEET_DATA = re.compile(rb'<(?:[^\s<>/!?:]+:)?sheetData[\s/>]')
_SHEET_DATA_END = re.compile(rb'</(?:[^\s<>/!?:]+:)?sheetData\s*>')
_POSITION = re.compile(rb'([A-Za-z]*)([0-9]+)')
_CELL_OPEN = re.compile(rb'<(?:[^\s<>/!?:]+:)?c(\s(?:[^<>"\']|"[^"]*"|\'[^\']*\')*)/?>')
# The built-in number formats a cell style may name by id alone (ECMA-376 18.8.30); the others show no %.
BUILTIN_FORMATS = {"0": "General", "1": "0", "2": "0.00", "3": "#,##0", "4": "#,##0.00", "9": "0%", "10": "0.00%",
                   "11": "0.00E+00", "49": "@"}


def _position(ref: bytes) -> tuple[int, int | None] | None:
    """calamine's reading of a reference: (row, column) from 0, column None for a row number; None if invalid."""
    m = _POSITION.fullmatch(ref)
    if m is None:
        return None
    col = 0
    for ch in m[1].upper():
        col = (col * 26 + ch - 64) & _MASK
    row = int(m[2]) & _MASK  # calamine accumulates in u32; the wrapped value is what it uses
    if row == 0:
        return None
    return row - 1, (col - 1 if col else None)


def _directory(path: Path) -> tuple[int, int] | None:
    """(files, bytes) of a zip's central directory as its end record declares them (zip64 too), read before
    the directory itself is: a 50 MB file can declare a million files."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - 22 - 65535))
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        total, directory = struct.unpack("<HI", tail[at + 10: at + 16])
        if (total == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and tail[at - 20: at - 16] == b"PK\x06\x07":
            (offset,) = struct.unpack("<Q", tail[at - 12: at - 4])
            fh.seek(offset)
            record = fh.read(56)
            if record[:4] == b"PK\x06\x06" and len(record) == 56:
                total, directory = struct.unpack("<QQ", record[32:48])
        return total, directory


def _style_index(attrs: bytes) -> int:
    """The style index (s attribute) of a cell tag's attributes; 0, the default style, when it has none."""
    found = [m[2] if m[2] is not None else m[3] for m in _ATTR.finditer(attrs) if m[1] == b"s"]
    return int(found[-1]) if found and found[-1].isdigit() else 0


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


class Package:
    """The zip of one workbook: its directory, the part of each sheet, and what is left of the budgets."""

    def __init__(self, path: Path) -> None:
        self.path, self.xml_left, self.cells_left = path, L.READ_XML_BYTES, L.READ_CELLS
        declared = _directory(path)
        if declared is not None and (declared[0] > L.READ_PARTS or declared[1] > L.READ_PARTS * 1024):
            raise Spi4xlError("read.too_many_parts", path=path, count=declared[0], limit=L.READ_PARTS)
        try:
            with zipfile.ZipFile(path) as package:
                infos = package.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise self.unreadable(str(exc)) from None
        self.parts: dict[str, zipfile.ZipInfo] = {}
        for info in infos:  # calamine finds parts by lower-case name, '\' read as '/'
            key = info.filename.replace("\\", "/").lower()
            if key in self.parts:
                raise self.unreadable(f"two files named {info.filename}")
            self.parts[key] = info
        base, relationships = self._relationships()
        self.base = base
        self.sheet_parts = self._sheets(base, relationships)
        if len(self.sheet_parts) > L.READ_SHEETS:
            raise Spi4xlError("read.too_many_sheets", path=path, count=len(self.sheet_parts), limit=L.READ_SHEETS)
        for name in ("sharedStrings.xml", "styles.xml"):  # read whole when calamine opens the file
            if (info := self.parts.get((base + name).lower())) is not None:
                self.measure(info)

    def unreadable(self, reason: str) -> Spi4xlError:
        return Spi4xlError("read.unreadable", path=self.path, reason=reason.splitlines()[0][:160] if reason else "?")

    # --- parts ------------------------------------------------------------------------------
    def inflate(self, info: zipfile.ZipInfo) -> bytes:
        """The part's bytes as the parser will see them, from its raw data, within the XML budget."""
        if info.flag_bits & 1:
            raise self.unreadable(f"{info.filename} is encrypted")
        with self.path.open("rb") as fh:
            fh.seek(info.header_offset)
            head = fh.read(30)
            if len(head) < 30 or head[:4] != b"PK\x03\x04":
                raise self.unreadable(f"{info.filename}: damaged zip entry")
            name_len, extra_len = struct.unpack("<HH", head[26:30])
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            raw = fh.read(info.compress_size)
        if info.compress_type == zipfile.ZIP_STORED:
            data = raw
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            try:
                data = zlib.decompressobj(-15).decompress(raw, self.xml_left + 1)
            except zlib.error as exc:
                raise self.unreadable(f"{info.filename}: {exc}") from None
        else:
            raise self.unreadable(f"{info.filename} uses compression method {info.compress_type}")
        if len(data) > self.xml_left:
            raise Spi4xlError("read.expands_too_much", path=self.path, limit=L.READ_XML_BYTES // 2**20)
        self.xml_left -= len(data)
        return data

    def measure(self, info: zipfile.ZipInfo) -> None:
        """Count a part against the XML budget, inflating it only when it could expand past what is left."""
        if info.compress_size * _DEFLATE_RATIO < self.xml_left and info.compress_type in (0, zipfile.ZIP_DEFLATED):
            self.xml_left -= min(info.file_size, info.compress_size * _DEFLATE_RATIO)
        else:
            self.inflate(info)

    def _xml(self, name: str) -> ET.Element | None:
        info = self.parts.get(name.lower())
        if info is None:
            return None
        data = self.inflate(info)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise self.unreadable(f"{name} declares a document type")
        try:
            return ET.fromstring(data)
        except ET.ParseError as exc:
            raise self.unreadable(f"{name}: {exc}") from None

    def modified(self) -> str:
        """When the file was last saved, from its document properties (Excel and LibreOffice set it on every
        save); "" when it says nothing."""
        root = self._xml("docProps/core.xml")
        found = root.find("{http://purl.org/dc/terms/}modified") if root is not None else None
        return (found.text or "").strip() if found is not None else ""

    def _relationships(self) -> tuple[str, dict[str, tuple[str, str]]]:
        """The workbook's folder and its relationships by id, found the way calamine finds them."""
        root = self._xml("_rels/.rels")
        targets = [] if root is None else [
            e.get("Target", "") for e in root.iter()
            if _local(e.tag) == "Relationship" and e.get("Type", "").endswith("/relationships/officeDocument")]
        if not targets:
            raise self.unreadable("no workbook part")
        folder = targets[-1][: targets[-1].rfind("/") + 1]
        base = folder[1:] if folder.startswith("/") else folder
        root = self._xml(f"{base}_rels/workbook.xml.rels")
        if root is None:
            raise self.unreadable(f"no {base}_rels/workbook.xml.rels")
        return base, {e.get("Id"): (e.get("Target", ""), e.get("Type", "")) for e in root.iter()
                      if _local(e.tag) == "Relationship" and e.get("Id") is not None}

    def _sheets(self, base: str, relationships: dict[str, tuple[str, str]]) -> list[str]:
        """The part of every sheet, in the workbook's order (the order of calamine's sheet names)."""
        root = self._xml(f"{base}workbook.xml")
        parts = []
        for e in () if root is None else root.iter():
            if _local(e.tag) != "sheet":
                continue
            ids = [value for key, value in e.attrib.items() if _local(key) == "id"]
            target, kind = relationships.get(ids[-1] if ids else "", (None, ""))
            if target is None or kind.rsplit("/", 1)[-1] not in ("worksheet", "chartsheet", "dialogsheet"):
                raise self.unreadable(f"sheet {e.get('name', '?')!r} has no part")
            parts.append(target[1:] if target.startswith("/") else base + target)
        return parts

    # --- sheets -----------------------------------------------------------------------------
    def check_sheet(self, index: int, sheet: str) -> None:
        """Refuse the sheet, before it is parsed, when a cell of it lies past the reading bounds."""
        if self.cells_left <= 0:
            raise Spi4xlError("read.too_many_cells", path=self.path, limit=L.READ_CELLS)
        if index >= len(self.sheet_parts):
            raise self.unreadable(f"sheet {sheet!r} has no part")
        info = self.parts.get(self.sheet_parts[index].lower())
        if info is None:
            return  # calamine does not find it either: an error, nothing allocated
        try:
            data = self.inflate(info)
        except Spi4xlError as exc:
            if exc.code != "read.unreadable":
                raise
            raise Spi4xlError("read.sheet_unreadable", path=self.path, sheet=sheet, detail=exc.params["reason"]) from None
        if _IRREGULAR_CELL.search(data) is None and _UNCLEAR_REF.search(data) is None:
            # every cell has its own reference, every reference is within the bounds: only their number is left
            if data.count(b'<c r="') > self.cells_left:
                raise Spi4xlError("read.too_many_cells", path=self.path, limit=L.READ_CELLS)
            return
        self._walk(data, sheet)

    def number_formats(self, index: int, refs: Iterable[str]) -> dict[str, str]:
        """The number format code of each of these cells of a sheet ("General" when unstyled), for the few cells
        whose value means something else by format (percent fields). Cells the sheet does not hold are left out.

        python-calamine does not say which format a cell has: the sheet's XML gives each cell's style index (its
        `s` attribute), styles.xml the format of each style. Both are inflated within the XML budget."""
        wanted = {ref.upper() for ref in refs}
        info = self.parts.get(self.sheet_parts[index].lower()) if index < len(self.sheet_parts) else None
        if not wanted or info is None:
            return {}
        data = self.inflate(info)
        styles: dict[str, int] = {}
        for ref in wanted:  # the way every writer writes a cell: <c r="C5" s="3" ...>, found directly
            at = data.find(b' r="%s"' % ref.encode("ascii"))
            start = data.rfind(b"<", 0, at) if at >= 0 else -1
            if start >= 0 and (tag := _CELL_OPEN.match(data, start)) is not None and tag.end() > at:
                styles[ref] = _style_index(tag[1])
        if wanted - styles.keys():  # written some other way: every cell tag, as the parser reads them
            for tag in _CELL_OPEN.finditer(data):
                attrs = {m[1]: m[2] if m[2] is not None else m[3] for m in _ATTR.finditer(tag[1])}
                ref = attrs.get(b"r", b"").decode("ascii", "replace").upper()
                if ref in wanted and ref not in styles:
                    styles[ref] = _style_index(tag[1])
        codes = self._style_formats()
        return {ref: codes[s] if s < len(codes) else "General" for ref, s in styles.items()}

    def _style_formats(self) -> list[str]:
        """The number format code of every cell style (cellXfs), built-in formats by their code."""
        root = self._xml(f"{self.base}styles.xml")
        if root is None:
            return []
        parts = {_local(e.tag): e for e in root}  # numFmts and cellXfs are children of the style sheet
        custom = {e.get("numFmtId"): e.get("formatCode", "") for e in parts.get("numFmts", ())}
        ids = [xf.get("numFmtId", "0") for xf in parts.get("cellXfs", ()) if _local(xf.tag) == "xf"]
        return [custom.get(fid) or BUILTIN_FORMATS.get(fid, f"[built-in {fid}]") for fid in ids]

    def spend_cells(self, count: int) -> None:
        self.cells_left -= count
        if self.cells_left < 0:
            raise Spi4xlError("read.too_many_cells", path=self.path, limit=L.READ_CELLS)

    def _walk(self, data: bytes, sheet: str) -> None:
        """Every row and cell tag of sheetData in order, positions as calamine computes them."""
        if b"<!" in data or data.count(b"<?") > 1:  # comments, CDATA, a DTD, processing instructions
            raise Spi4xlError("read.sheet_unreadable", path=self.path, sheet=sheet, detail="markup spi4xl does not read")
        start = _SHEET_DATA.search(data)
        if start is None:
            return
        end = _SHEET_DATA_END.search(data, start.end())
        data = data[start.end(): end.start() if end else len(data)]
        tags = list(_TAG.finditer(data))
        if len(tags) != len(_ANY_TAG.findall(data)):
            raise Spi4xlError("read.sheet_unreadable", path=self.path, sheet=sheet, detail="a row or cell tag spi4xl does not read")
        row = col = cells = 0
        in_cell = False
        for tag in tags:
            closing, name, attrs = tag[1] == b"/", tag[2], tag[3]
            if in_cell != (closing and name == b"c") or (closing and attrs.strip()):
                raise Spi4xlError("read.sheet_unreadable", path=self.path, sheet=sheet, detail="tags nested in a cell")
            empty = attrs.rstrip().endswith(b"/")
            refs = [m[2] if m[2] is not None else m[3] for m in _ATTR.finditer(attrs) if m[1] == b"r"]
            position = _position(refs[-1]) if refs else None
            if refs and position is None:
                raise Spi4xlError("read.sheet_unreadable", path=self.path, sheet=sheet, detail=f"cell reference {refs[-1][:20]!r}")
            if name == b"row":
                if closing:
                    row, col = (row + 1) & _MASK, 0
                    continue
                if position is not None:
                    row = position[0]
                if empty:
                    row, col = (row + 1) & _MASK, 0
                continue
            if closing:
                in_cell = False
                continue
            at = (position[0], position[1]) if position is not None and position[1] is not None else (row, col)
            if position is not None and position[1] is None:
                raise Spi4xlError("read.sheet_unreadable", path=self.path, sheet=sheet, detail="a cell without a column")
            col = (at[1] + 1) & _MASK
            if empty:
                continue  # an empty cell: calamine keeps nothing of it
            in_cell = True
            cells += 1
            if at[0] >= L.READ_ROWS or at[1] >= L.READ_COLUMNS:
                raise Spi4xlError("read.sheet_too_far", path=self.path, sheet=sheet,
                                  cell=f"{L.col_name(min(at[1], 16383))}{at[0] + 1}", rows=L.READ_ROWS,
                                  last_column=L.col_name(L.READ_COLUMNS - 1))
            if cells > self.cells_left:
                raise Spi4xlError("read.too_many_cells", path=self.path, limit=L.READ_CELLS)
