"""The small XML parts of a package (relationships, workbook, styles, document properties) read by expat as
ElementTree reads them, on files written by XlsxWriter, openpyxl and LibreOffice."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from spi4xl.workbook.package import BUILTIN_FORMATS, Package

ROOT = Path(__file__).resolve().parent.parent
WRITTEN = [*sorted((ROOT / "samples").glob("*.xlsx")), *sorted((ROOT / "tests" / "fixtures" / "workbooks").glob("*.xlsx"))]


def local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def by_element_tree(path: Path) -> dict[str, object]:
    """What the package's parts say, read with ElementTree (the reader before expat): the reference."""
    with zipfile.ZipFile(path) as z:
        names = {n.lower(): n for n in z.namelist()}
        part = lambda name: ET.fromstring(z.read(names[name.lower()]))  # noqa: E731
        target = [e.get("Target", "") for e in part("_rels/.rels").iter() if local(e.tag) == "Relationship"
                  and e.get("Type", "").endswith("/relationships/officeDocument")][-1]
        base = target[: target.rfind("/") + 1].lstrip("/")
        rels = {e.get("Id"): e.get("Target", "") for e in part(f"{base}_rels/workbook.xml.rels").iter()
                if local(e.tag) == "Relationship"}
        sheets = []
        for e in part(f"{base}workbook.xml").iter():
            if local(e.tag) == "sheet":
                rid = [v for k, v in e.attrib.items() if local(k) == "id"][-1]
                sheets.append(rels[rid].lstrip("/") if rels[rid].startswith("/") else base + rels[rid])
        styles = {local(e.tag): e for e in part(f"{base}styles.xml")}
        custom = {e.get("numFmtId"): e.get("formatCode", "") for e in styles.get("numFmts", ())}
        formats = [custom.get(xf.get("numFmtId", "0")) or BUILTIN_FORMATS.get(xf.get("numFmtId", "0"), f"[built-in {xf.get('numFmtId', '0')}]")
                   for xf in styles.get("cellXfs", ()) if local(xf.tag) == "xf"]
        core = part("docProps/core.xml").find("{http://purl.org/dc/terms/}modified") if "docprops/core.xml" in names else None
    return {"base": base, "sheets": sheets, "formats": formats, "modified": (core.text or "").strip() if core is not None else ""}


def by_package(path: Path) -> dict[str, object]:
    package = Package(path)
    return {"base": package.base, "sheets": package.sheet_parts, "formats": package._style_formats(),
            "modified": package.modified()}


def resaved_by_openpyxl(src: Path, dst: Path) -> Path:
    book = openpyxl.load_workbook(src)
    book.active["A1"].number_format = '0.0" pts"'  # a custom format of openpyxl's own numbering
    book.save(dst)
    return dst


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: p.name)
def test_parts_read_as_element_tree_reads_them(path: Path, tmp_path: Path) -> None:
    for file in (path, resaved_by_openpyxl(path, tmp_path / path.name)):
        expected = by_element_tree(file)
        assert by_package(file) == expected
        assert expected["formats"] and expected["sheets"] and expected["modified"]


@pytest.mark.libreoffice
def test_parts_of_a_file_saved_by_libreoffice(libreoffice, tmp_path: Path) -> None:
    saved = tmp_path / "lo.xlsx"
    libreoffice.recalculate(WRITTEN[0], saved)
    expected = by_element_tree(saved)
    assert by_package(saved) == expected
    assert any("%" in code for code in expected["formats"]) and expected["modified"]


def test_a_part_that_is_not_xml_is_refused_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(WRITTEN[0]) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, b"<Relationships><Relationship" if info.filename == "_rels/.rels" else src.read(info))
    with pytest.raises(Exception, match="_rels/.rels") as caught:
        Package(broken)
    assert caught.value.code == "read.unreadable" and "\n" not in str(caught.value)
