"""Hostile workbooks made by code: each case rewrites parts of a good workbook (or builds a zip from nothing).

A case is a function `(good, folder) -> path` registered in CASES with what spi4xl must do with the
file: read it normally ("reads"), refuse it with one line holding the given words ("refused"), or
either ("any": what matters is one line, no traceback, bounded memory and nothing leaked). Nothing here
is committed as a binary: the corpus is rebuilt in a temporary folder by each test session.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

Maker = Callable[[Path, Path], Path]
CASES: dict[str, tuple[Maker, str, tuple[str, ...]]] = {}  # name -> (maker, "reads" | "refused" | "any", words)


def case(outcome: str, *words: str) -> Callable[[Maker], Maker]:
    def register(make: Maker) -> Maker:
        CASES[make.__name__] = (make, outcome, words)
        return make
    return register


def sheet_part(path: Path, index: int) -> str:
    """The part of the index-th sheet of one of our own renders (plain relationships, no surprises)."""
    with zipfile.ZipFile(path) as z:
        rid = re.findall(r'<sheet [^>]*r:id="(\w+)"', z.read("xl/workbook.xml").decode())[index]
        target = re.search(rf'Id="{rid}" [^>]*Target="([^"]+)"', z.read("xl/_rels/workbook.xml.rels").decode())[1]
    return "xl/" + target


def rewrite(src: Path, dst: Path, edits: dict[str, Callable[[bytes], bytes]] | None = None,
            extra: dict[str, bytes] | None = None) -> Path:
    """A copy of `src` with some parts rewritten and some added (same order, deflated)."""
    edits = edits or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in edits:
                data = edits[info.filename](data)
            zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def questionnaire(good: Path) -> str:
    return sheet_part(good, 2)  # Start, Organization, Questionnaire, ...


def append_rows(good: Path, dst: Path, rows: bytes) -> Path:
    part = questionnaire(good)
    return rewrite(good, dst, {part: lambda data: data.replace(b"</sheetData>", rows + b"</sheetData>")})


def bare_workbook(dst: Path, sheets: int, parts: int | None = None) -> Path:
    """A minimal workbook of `sheets` sheets, written as `parts` sheet files (all sheets share them when fewer)."""
    parts = sheets if parts is None else parts
    sheet_xml = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>')
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                                  f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                      f'xmlns:r="{rel}"><sheets>'
                   + "".join(f'<sheet name="S{i}" sheetId="{i + 1}" r:id="rId{i % parts}"/>' for i in range(sheets))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(parts))
                   + "</Relationships>")
        for i in range(parts):
            z.writestr(f"xl/worksheets/sheet{i}.xml", sheet_xml)
    return dst


# --- one far cell -------------------------------------------------------------------------------------
@case("refused", "XFD1048576", "Questionnaire")
def last_cell_of_the_grid(good: Path, folder: Path) -> Path:
    """The finding: one inline string at XFD1048576 made the parser ask for 512 GB and abort."""
    return append_rows(good, folder / "xfd.xlsx",
                       b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')


@case("refused", "A1048576")
def last_row_of_the_grid(good: Path, folder: Path) -> Path:
    return append_rows(good, folder / "a1048576.xlsx", b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>')


@case("refused", "XFD1048576")
def far_cell_in_a_second_r_attribute(good: Path, folder: Path) -> Path:
    """calamine keeps the last r attribute of a cell, in any quoting: the first one must not hide it."""
    part = questionnaire(good)
    return rewrite(good, folder / "second-r.xlsx", {part: lambda data: data.replace(
        b'<c r="A3" ', b"<c r=\"A3\"\tr = 'XFD1048576' ", 1)})


@case("refused", "Questionnaire")
def far_cells_without_references(good: Path, folder: Path) -> Path:
    """Cells without r take the next column: 20,000 of them in one row reach far to the right."""
    return append_rows(good, folder / "implied.xlsx", b'<row r="500">' + b"<c><v>1</v></c>" * 20_000 + b"</row>")


@case("reads")
def huge_declared_dimension(good: Path, folder: Path) -> Path:
    """A <dimension> is only a claim: the cells are where they are, and this file is fine."""
    part = questionnaire(good)
    return rewrite(good, folder / "dimension.xlsx", {part: lambda data: data.replace(
        data[data.index(b"<dimension "):data.index(b"/>", data.index(b"<dimension ")) + 2],
        b'<dimension ref="A1:XFD1048576"/>')})


@case("reads")
def styled_empty_cells_far_right(good: Path, folder: Path) -> Path:
    """Empty cells (a format, no value) hold nothing the parser keeps: not a reason to refuse."""
    return append_rows(good, folder / "styled.xlsx", b'<row r="7999"><c r="XFD7999" s="1"/></row>')


# --- too much of everything -----------------------------------------------------------------------------
@case("refused", "cells")
def hundred_thousand_duplicated_rows(good: Path, folder: Path) -> Path:
    """One row of 13 cells pasted 100,000 times, each copy with the same row number: 1.3 million cells."""
    row = b'<row r="6">' + b"".join(b'<c r="%s6"><v>1</v></c>' % bytes([65 + i]) for i in range(13)) + b"</row>"
    return append_rows(good, folder / "duplicated-rows.xlsx", row * 100_000)


@case("refused", "10000 sheets")
def ten_thousand_sheets(good: Path, folder: Path) -> Path:
    """10,000 sheets sharing one sheet part (a small file, a long list)."""
    return bare_workbook(folder / "sheets.xlsx", 10_000, parts=1)


@case("refused", "files inside the workbook")
def ten_thousand_sheet_files(good: Path, folder: Path) -> Path:
    return bare_workbook(folder / "sheet-files.xlsx", 10_000)


@case("refused", "expands")
def shared_strings_bomb(good: Path, folder: Path) -> Path:
    """A shared-strings part that inflates from about 100 KB to 100 MB."""
    filler = b"<si><t>" + b"A" * 1_000_000 + b"</t></si>"
    return rewrite(good, folder / "strings-bomb.xlsx", {"xl/sharedStrings.xml": lambda data: data.replace(
        b"</sst>", filler * 100 + b"</sst>")})


@case("refused", "expands")
def sheet_bomb_with_a_small_declared_size(good: Path, folder: Path) -> Path:
    """The zip directory says the questionnaire is small; its data inflates to 100 MB."""
    path = append_rows(good, folder / "lying-size.xlsx", b"<!-- " + b" " * 100_000_000 + b" -->")
    part = questionnaire(good).encode()
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")  # the central directory: find the questionnaire's record
    while True:
        name_len, extra_len, comment_len = (int.from_bytes(data[at + k:at + k + 2], "little") for k in (28, 30, 32))
        if bytes(data[at + 46:at + 46 + name_len]) == part:
            data[at + 24:at + 28] = (400_000).to_bytes(4, "little")  # declared uncompressed size
            break
        at += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))
    return path


# --- odd text -------------------------------------------------------------------------------------------
@case("reads")
def control_characters_in_texts(good: Path, folder: Path) -> Path:
    """Control characters (raw, and as character references) in a shared string, as an auditor could paste them."""
    def edit(data: bytes) -> bytes:
        at = data.rindex(b"<si><t>") + len(b"<si><t>")  # the last shared string (not a marker)
        return data[:at] + b"\x01\x0b\x1b&#8;&#x7f;" + data[at:]
    return rewrite(good, folder / "control.xlsx", {"xl/sharedStrings.xml": edit})


@case("refused", "not a readable workbook")
def billion_laughs_in_the_workbook_part(good: Path, folder: Path) -> Path:
    laughs = b'<!DOCTYPE workbook [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)) + b"]>"
    return rewrite(good, folder / "laughs.xlsx", {"xl/workbook.xml": lambda data: data.replace(b"?>", b"?>" + laughs, 1)})


@case("any")
def billion_laughs_in_shared_strings(good: Path, folder: Path) -> Path:
    laughs = b'<!DOCTYPE sst [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)) + b"]>"
    def edit(data: bytes) -> bytes:
        at = data.index(b"<si><t>") + len(b"<si><t>")
        return (data[:at] + b"&lol9;" + data[at:]).replace(b"?>", b"?>" + laughs, 1)
    return rewrite(good, folder / "laughs-strings.xlsx", {"xl/sharedStrings.xml": edit})


@case("any")
def external_entity_in_shared_strings(good: Path, folder: Path) -> Path:
    """XXE: a shared string that would pull /etc/passwd into the audit if entities were resolved."""
    def edit(data: bytes) -> bytes:
        at = data.index(b"<si><t>") + len(b"<si><t>")
        doctype = b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        return (data[:at] + b"&xxe;" + data[at:]).replace(b"?>", b"?>" + doctype, 1)
    return rewrite(good, folder / "xxe.xlsx", {"xl/sharedStrings.xml": edit})


@case("any")
def entities_and_a_doctype_in_the_questionnaire(good: Path, folder: Path) -> Path:
    part = questionnaire(good)
    doctype = b'<!DOCTYPE worksheet [<!ENTITY far "XFD1048576">]>'
    return rewrite(good, folder / "sheet-entities.xlsx", {part: lambda data: data.replace(b"?>", b"?>" + doctype, 1).replace(
        b"</sheetData>", b'<row r="9"><c r="&far;"><v>1</v></c></row></sheetData>')})
