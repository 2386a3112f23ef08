"""Overlays: your own wording from a spreadsheet or a PO file replaces texts, never structure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import polib
import pytest

from spi4xl.catalog import load_catalog
from spi4xl.catalog.model import Catalog
from spi4xl.workbook.text_files import apply_overlay
from spi4xl.cli import main
from spi4xl.errors import Spi4xlError

MINI = Path(__file__).parent / "fixtures" / "catalogs" / "mini"


@pytest.fixture
def base() -> Catalog:
    return load_catalog(MINI)


def sheet(path: Path, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def po_overlay(path: Path, lang: str | None, entries: list[tuple[str, str]]) -> Path:
    po = polib.POFile(wrapwidth=0)
    if lang is not None:
        po.metadata = {"Language": lang, "Content-Type": "text/plain; charset=UTF-8"}
    for ctx, text in entries:
        po.append(polib.POEntry(msgctxt=ctx, msgid=f"source of {ctx}", msgstr=text))
    po.save(str(path))
    return path


def structure(catalog: Catalog) -> tuple:
    return (catalog.dimensions, dict(catalog.scales), catalog.scoring, catalog.org_fields, catalog.org_rules,
            catalog.principles, catalog.modules, catalog.departments, catalog.evidence_types, catalog.languages,
            catalog.version, catalog.id)


OWN = [
    ["code", "field", "en", "fr"],
    ["1A", "name", "Our own wording of standard 1A", "Notre formulation de la norme 1A"],
    ["1A.1.1", "text", "Is the strategy on paper?", None],
    [1, "name", "Goals", "Objectifs"],  # a dimension code typed as a number in Excel
    ["org.active_clients", "label", None, "Clients actifs (nombre)"],
]


def test_sheet_overlay_replaces_texts_not_structure(base: Catalog, tmp_path: Path) -> None:
    overlaid = apply_overlay(base, sheet(tmp_path / "own.xlsx", OWN))
    assert structure(overlaid) == structure(base)
    assert repr(structure(overlaid)) == repr(structure(base))
    assert overlaid.content_hash != base.content_hash
    assert overlaid.text("1A", "name") == "Our own wording of standard 1A"
    assert overlaid.text("1A", "name", "fr") == "Notre formulation de la norme 1A"
    assert overlaid.text("1A.1.1", "text") == "Is the strategy on paper?"
    assert overlaid.text("1A.1.1", "text", "fr") == base.text("1A.1.1", "text", "fr")  # no fr cell: unchanged
    assert overlaid.text("1", "name", "fr") == "Objectifs"
    assert overlaid.text("org.active_clients", "label") == "Active clients"
    assert overlaid.text("org.active_clients", "label", "fr") == "Clients actifs (nombre)"
    # only the overlaid texts differ, and the original catalog is untouched
    changed = {(lang, key) for lang in base.texts for key in base.texts[lang]
               if overlaid.texts[lang].get(key) != base.texts[lang].get(key)}
    assert changed == {("en", ("1A", "name")), ("fr", ("1A", "name")), ("en", ("1A.1.1", "text")),
                       ("en", ("1", "name")), ("fr", ("1", "name")), ("fr", ("org.active_clients", "label"))}
    assert base.text("1A", "name") == "The provider has a strategy"
    assert base.content_hash == load_catalog(MINI).content_hash
    with pytest.raises(TypeError):
        overlaid.texts["en"][("1A", "name")] = "x"


def test_overlay_keeps_the_catalog_root(tmp_path: Path) -> None:
    overlaid = apply_overlay(load_catalog(MINI), sheet(tmp_path / "own.xlsx", OWN))
    assert overlaid.text("1A", "name") == "Our own wording of standard 1A"
    assert overlaid.root == MINI


def test_po_overlay(base: Catalog, tmp_path: Path) -> None:
    fr = po_overlay(tmp_path / "own-fr.po", "fr", [("1A|name", "Stratégie maison"), ("scale.ypn.na|label", "Sans objet")])
    overlaid = apply_overlay(base, fr)
    assert overlaid.text("1A", "name", "fr") == "Stratégie maison"
    assert overlaid.answer_label("ypn", "na", "fr") == "Sans objet"
    assert overlaid.text("1A", "name") == base.text("1A", "name")
    assert structure(overlaid) == structure(base)
    en = po_overlay(tmp_path / "own-en.po", "en", [("2A.1.1|guidance", "Read it.")])
    assert apply_overlay(base, en).text("2A.1.1", "guidance") == "Read it."


def test_unknown_codes_in_a_sheet_are_refused_with_their_rows(base: Catalog, tmp_path: Path) -> None:
    path = sheet(tmp_path / "own.xlsx", [
        ["Code", "Field", "EN"],
        ["1A", "name", "fine"],
        ["9Z", "name", "no such standard"],
        ["1A", "colour", "no such field"],
        ["1A.1.1", None, "no field at all"],
    ])
    with pytest.raises(Spi4xlError) as caught:
        apply_overlay(base, path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 3 unknown code/field pair(s) refused (rows 3: 9Z|name; 4: 1A|colour; 5: 1A.1.1|)")
    assert "1A|name" not in message
    assert "\n" not in message


def test_many_unknown_codes_are_summarised(base: Catalog, tmp_path: Path) -> None:
    path = sheet(tmp_path / "own.xlsx", [["code", "field", "en"]] + [[f"9{c}", "name", "x"] for c in "ABCDEFGHIJKL"])
    with pytest.raises(Spi4xlError, match=r"12 unknown code/field pair\(s\) refused \(rows 2: 9A\|name; .*; 11: 9J\|name; \.\.\.\)"):
        apply_overlay(base, path)


def test_unknown_codes_in_a_po_are_refused_with_their_lines(base: Catalog, tmp_path: Path) -> None:
    path = po_overlay(tmp_path / "own.po", "fr", [("1A|name", "ok"), ("9Z|name", "inconnu")])
    line = next(e.linenum for e in polib.pofile(str(path)) if e.msgctxt == "9Z|name")
    with pytest.raises(Spi4xlError, match=rf"1 unknown code/field pair\(s\) refused \(rows {line}: 9Z\|name\)"):
        apply_overlay(base, path)


@pytest.mark.parametrize("name, rows, says", [
    ("no header", [["1A", "name", "x"]], "needs a first row with 'code', 'field'"),
    ("no language", [["code", "field", "de"], ["1A", "name", "x"]], "no language column"),
    ("empty", [], "needs a first row with 'code', 'field'"),
])
def test_malformed_sheet_overlays_are_refused(base: Catalog, tmp_path: Path, name: str, rows: list, says: str) -> None:
    with pytest.raises(Spi4xlError, match=says):
        apply_overlay(base, sheet(tmp_path / "own.xlsx", rows))


def test_malformed_overlay_files_are_refused(base: Catalog, tmp_path: Path) -> None:
    with pytest.raises(Spi4xlError, match="overlay file not found"):
        apply_overlay(base, tmp_path / "missing.xlsx")
    with pytest.raises(Spi4xlError, match="set the PO header 'Language'"):
        apply_overlay(base, po_overlay(tmp_path / "nolang.po", None, [("1A|name", "x")]))
    with pytest.raises(Spi4xlError, match="set the PO header 'Language'"):
        apply_overlay(base, po_overlay(tmp_path / "de.po", "de", [("1A|name", "x")]))
    (tmp_path / "own.csv").write_text("code,field,en\n1A,name,x\n", encoding="utf-8")
    with pytest.raises(Spi4xlError, match=r"not an Excel workbook"):
        apply_overlay(base, tmp_path / "own.csv")


def test_overlay_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    catalog = Path(shutil.copytree(MINI, tmp_path / "mini"))
    assert main(["catalog", "show", str(catalog), "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    own = sheet(tmp_path / "own.xlsx", OWN)
    assert main(["catalog", "show", str(catalog), "--json", "--overlay", str(own)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["dimensions"][0]["standards"][0]["name"] == "Our own wording of standard 1A"
    assert shown["dimensions"][0]["name"] == "Goals"
    assert plain["dimensions"][0]["standards"][0]["name"] == "The provider has a strategy"
    assert shown["content_hash"] != plain["content_hash"]
    assert shown["totals"] == plain["totals"]
    bad = sheet(tmp_path / "bad.xlsx", [["code", "field", "en"], ["9Z", "name", "x"]])
    assert main(["catalog", "show", str(catalog), "--overlay", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"spi4xl: error [overlay.unknown_codes]: {bad}: 1 unknown code/field pair(s) refused (rows 2: 9Z|name); " \
                           "use the codes of 'spi4xl catalog show' and fields name, text, guidance, label\n"
