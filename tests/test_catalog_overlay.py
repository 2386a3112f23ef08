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
from spi4xl.catalog.overlay import IDENTITY_KEYS, PO_HEADERS, identity_for, rows_from_cells, wording_hash
from spi4xl.workbook.text_files import apply_overlay
from spi4xl.cli import main
from spi4xl.errors import Spi4xlError

MINI = Path(__file__).parent / "fixtures" / "catalogs" / "mini"


@pytest.fixture
def base() -> Catalog:
    return load_catalog(MINI)


def sheet(path: Path, rows: list[list], stamp: Catalog | None = None) -> Path:
    """An overlay sheet; with `stamp`, its identity rows declare that catalog (as 'spi4xl catalog stamp' writes)."""
    if stamp is not None and rows and "code" in [str(c).lower() for c in rows[0]]:
        identity = identity_for(stamp, rows_from_cells(rows, stamp, path))
        header = [str(c).lower() for c in rows[0]]
        stamp_rows = []
        for key in IDENTITY_KEYS:
            row = [None] * len(header)
            row[header.index("code")], row[header.index("field")] = f"@{key}", getattr(identity, key)
            stamp_rows.append(row)
        rows = [*rows, *stamp_rows]  # anywhere in the sheet; last here, so the rows keep their numbers
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def po_overlay(path: Path, lang: str | None, entries: list[tuple[str, str]], stamp: Catalog | None = None) -> Path:
    po = polib.POFile(wrapwidth=0)
    if lang is not None:
        po.metadata = {"Language": lang, "Content-Type": "text/plain; charset=UTF-8"}
    if stamp is not None:
        identity = identity_for(stamp, [(0, (c.split("|")[0], c.split("|")[1]), lang, t) for c, t in entries])
        po.metadata.update({header: getattr(identity, key) for key, header in PO_HEADERS.items()})
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
    overlaid = apply_overlay(base, sheet(tmp_path / "own.xlsx", OWN, base))
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
    overlaid = apply_overlay(load_catalog(MINI), sheet(tmp_path / "own.xlsx", OWN, load_catalog(MINI)))
    assert overlaid.text("1A", "name") == "Our own wording of standard 1A"
    assert overlaid.root == MINI


def test_po_overlay(base: Catalog, tmp_path: Path) -> None:
    fr = po_overlay(tmp_path / "own-fr.po", "fr", [("1A|name", "Stratégie maison"), ("scale.ypn.na|label", "Sans objet")],
                    base)
    overlaid = apply_overlay(base, fr)
    assert overlaid.text("1A", "name", "fr") == "Stratégie maison"
    assert overlaid.answer_label("ypn", "na", "fr") == "Sans objet"
    assert overlaid.text("1A", "name") == base.text("1A", "name")
    assert structure(overlaid) == structure(base)
    en = po_overlay(tmp_path / "own-en.po", "en", [("2A.1.1|guidance", "Read it.")], base)
    assert apply_overlay(base, en).text("2A.1.1", "guidance") == "Read it."


def test_unknown_codes_in_a_sheet_are_refused_with_their_rows(base: Catalog, tmp_path: Path) -> None:
    path = sheet(tmp_path / "own.xlsx", [
        ["Code", "Field", "EN"],
        ["1A", "name", "fine"],
        ["9Z", "name", "no such standard"],
        ["1A", "colour", "no such field"],
        ["1A.1.1", None, "no field at all"],
    ], base)
    with pytest.raises(Spi4xlError) as caught:
        apply_overlay(base, path)
    message = str(caught.value)
    assert message.startswith(f"{path}: 3 unknown code/field pair(s) refused (rows 3: 9Z|name; 4: 1A|colour; 5: 1A.1.1|)")
    assert "1A|name" not in message
    assert "\n" not in message


def test_many_unknown_codes_are_summarised(base: Catalog, tmp_path: Path) -> None:
    path = sheet(tmp_path / "own.xlsx", [["code", "field", "en"]] + [[f"9{c}", "name", "x"] for c in "ABCDEFGHIJKL"], base)
    with pytest.raises(Spi4xlError, match=r"12 unknown code/field pair\(s\) refused \(rows 2: 9A\|name; .*; 11: 9J\|name; \.\.\.\)"):
        apply_overlay(base, path)


def test_unknown_codes_in_a_po_are_refused_with_their_lines(base: Catalog, tmp_path: Path) -> None:
    path = po_overlay(tmp_path / "own.po", "fr", [("1A|name", "ok"), ("9Z|name", "inconnu")], base)
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
    own = sheet(tmp_path / "own.xlsx", OWN, load_catalog(catalog))
    assert main(["catalog", "show", str(catalog), "--json", "--overlay", str(own)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["dimensions"][0]["standards"][0]["name"] == "Our own wording of standard 1A"
    assert shown["dimensions"][0]["name"] == "Goals"
    assert plain["dimensions"][0]["standards"][0]["name"] == "The provider has a strategy"
    assert shown["content_hash"] != plain["content_hash"]
    assert shown["totals"] == plain["totals"]
    bad = sheet(tmp_path / "bad.xlsx", [["code", "field", "en"], ["9Z", "name", "x"]], load_catalog(catalog))
    assert main(["catalog", "show", str(catalog), "--overlay", str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"spi4xl: error [overlay.unknown_codes]: {bad}: 1 unknown code/field pair(s) refused (rows 2: 9Z|name); " \
                           "use the codes of 'spi4xl catalog show' and fields name, text, guidance, label\n"


# --- an overlay vouches for one catalog only ------------------------------------------------------
def other_catalog(tmp_path: Path, version: str | None = None, text: tuple[str, str, str] | None = None) -> Catalog:
    """A copy of the mini catalog with another version, or one English text changed."""
    root = Path(shutil.copytree(MINI, tmp_path / "mini"))
    if version is not None:
        head = root / "catalog.yaml"
        old = load_catalog(MINI).version
        head.write_text(head.read_text(encoding="utf-8").replace(f"version: {old}", f"version: {version}"), encoding="utf-8")
    if text is not None:
        file, old, new = text
        path = root / file
        assert old in path.read_text(encoding="utf-8")
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return load_catalog(root)


def test_wording_hash_is_the_documented_sha256(base: Catalog) -> None:
    import hashlib

    keys = [("1A.1.1", "text"), ("1A", "name"), ("1A", "name")]
    canonical = json.dumps([["1A", "name", base.text("1A", "name")], ["1A.1.1", "text", base.text("1A.1.1", "text")]],
                           ensure_ascii=False, separators=(",", ":"))
    assert wording_hash(base, keys) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert len(wording_hash(base, keys)) == 64


def test_an_unstamped_overlay_is_refused(base: Catalog, tmp_path: Path) -> None:
    for path in (sheet(tmp_path / "own.xlsx", OWN), po_overlay(tmp_path / "own.po", "fr", [("1A|name", "x")])):
        with pytest.raises(Spi4xlError) as caught:
            apply_overlay(base, path)
        assert caught.value.code == "overlay.unstamped"
        assert "spi4xl catalog stamp" in str(caught.value) and "\n" not in str(caught.value)


def test_an_overlay_for_another_version_is_refused(base: Catalog, tmp_path: Path) -> None:
    own = sheet(tmp_path / "own.xlsx", OWN, base)
    newer = other_catalog(tmp_path, version="9.1.0")
    with pytest.raises(Spi4xlError) as caught:
        apply_overlay(newer, own)
    assert caught.value.code == "overlay.other_catalog"
    message = str(caught.value)
    assert f"written for {base.edition} {base.version} sha256:" in message
    assert f"refused on {newer.edition} 9.1.0 sha256:" in message  # the version comes from the catalog


def test_an_overlay_whose_codes_changed_wording_is_refused(base: Catalog, tmp_path: Path) -> None:
    """Same edition and version, but the English of a code the overlay replaces changed: refused. A change
    to a text it does not attach to leaves it valid."""
    po = po_overlay(tmp_path / "own.po", "fr", [("1A|name", "Stratégie maison")], base)
    changed = other_catalog(tmp_path, text=("dimensions/1/1A.yaml", "name: The provider has a strategy",
                                            "name: The provider has a written strategy"))
    with pytest.raises(Spi4xlError, match=r"overlay.other_catalog|written for"):
        apply_overlay(changed, po)
    elsewhere = po_overlay(tmp_path / "other.po", "fr", [("2A.1.1|guidance", "Lisez-le.")], base)
    assert apply_overlay(changed, elsewhere).text("2A.1.1", "guidance", "fr") == "Lisez-le."


@pytest.mark.parametrize("kind", ["xlsx", "po"])
def test_stamp_writes_a_copy_that_declares_the_catalog(tmp_path: Path, capsys: pytest.CaptureFixture, kind: str) -> None:
    old = load_catalog(MINI)
    own = sheet(tmp_path / "own.xlsx", OWN) if kind == "xlsx" else \
        po_overlay(tmp_path / "own.po", "fr", [("1A|name", "Stratégie maison"), ("1|name", "Objectifs")])
    before = own.read_bytes()
    root = Path(shutil.copytree(MINI, tmp_path / "mini"))
    stamped = tmp_path / f"stamped.{kind}"
    assert main(["catalog", "stamp", str(own), "--out", str(stamped), "--edition", str(root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"wrote {stamped}: {4 if kind == 'xlsx' else 2} texts, stamped for {old.edition} {old.version} "
                   f"sha256:{identity_for(old, rows_from_file(old, own)).wording_hash[:12]}"]
    assert own.read_bytes() == before  # the overlay itself is never rewritten
    overlaid = apply_overlay(load_catalog(root), stamped)
    assert overlaid.text("1A", "name", "fr") != old.text("1A", "name", "fr")
    # stamped for a newer version of the catalog: refused there, until stamped again (it says what it was for)
    head = root / "catalog.yaml"
    head.write_text(head.read_text(encoding="utf-8").replace(f"version: {old.version}", "version: 9.1.0"), encoding="utf-8")
    with pytest.raises(Spi4xlError, match="overlay.other_catalog|written for"):
        apply_overlay(load_catalog(root), stamped)
    again = tmp_path / f"again.{kind}"
    assert main(["catalog", "stamp", str(stamped), "--out", str(again), "--edition", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{stamped} was stamped for {old.edition} {old.version} sha256:")
    assert "9.1.0" in lines[1]
    assert apply_overlay(load_catalog(root), again).text("1A", "name", "fr") == overlaid.text("1A", "name", "fr")


def rows_from_file(catalog: Catalog, path: Path):
    from spi4xl.catalog.overlay import rows_from_po
    from spi4xl.workbook.values import read_sheet_values

    return rows_from_po(path, catalog) if path.suffix == ".po" else rows_from_cells(read_sheet_values(path), catalog, path)


def test_stamp_refuses_its_input_another_format_and_unknown_codes(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    own = sheet(tmp_path / "own.xlsx", OWN)
    assert main(["catalog", "stamp", str(own), "--out", str(own), "--edition", str(MINI)]) == 1
    assert "[write.overwrite]" in capsys.readouterr().err
    assert main(["catalog", "stamp", str(own), "--out", str(tmp_path / "own.po"), "--edition", str(MINI)]) == 1
    assert "[overlay.stamp_format]" in capsys.readouterr().err
    bad = sheet(tmp_path / "bad.xlsx", [["code", "field", "en"], ["9Z", "name", "x"]])
    assert main(["catalog", "stamp", str(bad), "--out", str(tmp_path / "bad-stamped.xlsx"), "--edition", str(MINI)]) == 1
    assert "[overlay.unknown_codes]" in capsys.readouterr().err
    assert not (tmp_path / "bad-stamped.xlsx").exists() and not (tmp_path / "own.po").exists()
