"""Translations: PO statuses, `catalog check` on them, and the translators' workbook round trip.

Every test works on copies in tmp_path: the catalog, and the interface-string folder that
spi4xl.ui.UI_DIR points to (a tiny fixture `fixtures/catalogs/ui`, or a copy of the real spi4xl/ui
for the real catalog). Errors are interface strings too, so the tiny folder gets the real error
messages (en/errors.yaml, en/cli.yaml and their translations). A guard refuses any file write outside tmp_path.
"""

from __future__ import annotations

import pathlib
import shutil
from pathlib import Path

import openpyxl
import polib
import pytest
import yaml

import spi4xl.catalog.i18n_workbook as i18n_workbook
import spi4xl.ui
from spi4xl.catalog import load_catalog
from spi4xl.catalog.check import check_catalog
from spi4xl.po import read_translations
from spi4xl.catalog.i18n_workbook import headers
from spi4xl.workbook.text_files import export_workbook, import_workbook
from spi4xl.catalog.summary import summarize
from spi4xl.cli import main
from spi4xl.errors import Spi4xlError

FIXTURES = Path(__file__).parent / "fixtures" / "catalogs"
REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "standards" / "usspm-2016"
UI_SRC = Path(spi4xl.ui.__file__).resolve().parent
MESSAGE_FILES = ("errors.yaml", "cli.yaml")  # interface strings every error needs, whatever the folder


def _clear_ui_caches() -> None:
    for fn in (spi4xl.ui.ui_source, spi4xl.ui.ui_translations, spi4xl.ui._table):
        fn.cache_clear()


@pytest.fixture(autouse=True)
def only_tmp_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Fail the test if anything writes a file with Path.write_text outside tmp_path (PO files do)."""
    real_write = pathlib.Path.write_text

    def guarded(self: Path, *args, **kwargs):
        assert Path(self).resolve().is_relative_to(tmp_path.resolve()), f"test wrote outside tmp_path: {self}"
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "write_text", guarded)
    fixture_before = {p: p.read_bytes() for p in FIXTURES.rglob("*") if p.is_file()}
    real_before = {p: p.read_bytes() for p in (REAL / "locale").glob("*.po")}
    yield
    assert {p: p.read_bytes() for p in FIXTURES.rglob("*") if p.is_file()} == fixture_before
    assert {p: p.read_bytes() for p in (REAL / "locale").glob("*.po")} == real_before


def use_ui(src: Path, dst: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copy an interface-string folder (en/*.yaml + *.po) to dst and point the code at it."""
    (dst / "en").mkdir(parents=True)
    for path in (src / "en").glob("*.yaml"):
        shutil.copy2(path, dst / "en")
    for path in src.glob("*.po"):
        shutil.copy2(path, dst)
    if src != UI_SRC:
        _add_error_messages(dst)
    monkeypatch.setattr(spi4xl.ui, "UI_DIR", dst)
    monkeypatch.setattr(i18n_workbook, "UI_DIR", dst)
    _clear_ui_caches()
    return dst


def _add_error_messages(dst: Path) -> None:
    """Give a fixture folder the real error messages, English and translated, so errors can be shown."""
    keys = set()
    for name in MESSAGE_FILES:
        shutil.copy2(UI_SRC / "en" / name, dst / "en")
        keys |= {f"ui.{key}|text" for key in yaml.safe_load((UI_SRC / "en" / name).read_text(encoding="utf-8"))}
    for lang in ("fr", "es"):
        po = polib.pofile(str(dst / f"{lang}.po"))
        po[:0] = [e for e in polib.pofile(str(UI_SRC / f"{lang}.po")) if e.msgctxt in keys]  # source order: cli, errors, ...
        po.save()


@pytest.fixture
def ui_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the tiny, complete interface-string fixture (independent of work on spi4xl/ui)."""
    yield use_ui(FIXTURES / "ui", tmp_path / "ui", monkeypatch)
    _clear_ui_caches()


@pytest.fixture
def real_ui_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the real spi4xl/ui."""
    yield use_ui(UI_SRC, tmp_path / "ui", monkeypatch)
    _clear_ui_caches()


@pytest.fixture
def mini(tmp_path: Path, ui_dir: Path) -> Path:
    """A copy of the minimal catalog, with the tiny interface strings in place of spi4xl/ui."""
    return Path(shutil.copytree(FIXTURES / "mini", tmp_path / "mini"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def po_entries(path: Path) -> list[tuple]:
    """Everything a PO entry carries, in file order."""
    return [(e.msgctxt, e.msgid, e.msgstr, tuple(e.flags), e.obsolete, e.comment, e.tcomment) for e in polib.pofile(str(path))]


def po_files(*roots: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for root in roots for p in sorted(root.rglob("*.po"))}


def sheet_rows(path: Path) -> list[list]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def row_of(path: Path, ident: str, domain: str = "catalog") -> int:
    """The 1-based sheet row of an id, as import reports it."""
    rows = sheet_rows(path)
    found = [n for n, row in enumerate(rows, start=1) if row[0] == domain and row[1] == ident]
    assert len(found) == 1, ident
    return found[0]


def set_cells(path: Path, changes: dict[tuple[int, int], object], append: list[list] | None = None) -> None:
    """Edit cells (row, column), 1-based, and append rows, as a translator would in Excel."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    for (row, col), value in changes.items():
        sheet.cell(row=row, column=col, value=value)
    for values in append or []:
        sheet.append(values)
    book.save(path)


TRANSLATION, STATUS = 4, 5  # columns of the workbook


# --- statuses ------------------------------------------------------------------------------------
def test_statuses_of_po_entries(mini: Path) -> None:
    fr = mini / "locale" / "fr.po"
    edit(fr, 'msgctxt "1A|name"', '#, fuzzy\nmsgctxt "1A|name"')
    edit(fr, 'msgstr "Existe-t-il un code de conduite ?"', 'msgstr ""')
    edit(fr, 'msgstr "Demander le plan stratégique."', 'msgstr "Demander le plan {n}."')
    edit(fr, 'msgid "Social goals"', 'msgid "Social aims"')
    catalog = load_catalog(mini)
    report = read_translations(fr, "fr", catalog.texts["en"])
    status = {e.key: e.status for e in report.entries}
    assert status[("1A", "name")] == "fuzzy"
    assert status[("2A.1.1", "text")] == "missing"
    assert status[("1A.1.1", "guidance")] == "placeholders"
    assert status[("1", "name")] == "stale"
    assert [k for k, s in status.items() if s != "done"] == \
        [("1", "name"), ("1A", "name"), ("1A.1.1", "guidance"), ("2A.1.1", "text")]
    # only reviewed translations are used; the others fall back to English
    assert catalog.text("1A", "name", "fr") == "The provider has a strategy"
    assert catalog.text("1", "name", "fr") == "Social goals"
    assert catalog.text("1A.1", "name", "fr") == "La stratégie est écrite"
    counts = summarize(catalog)["translations"]["fr"]["catalog"]
    assert (counts["fuzzy"], counts["missing"], counts["stale"], counts["placeholders"]) == (1, 1, 1, 1)
    assert counts["percent"] == round(100 * (len(status) - 4) / len(status), 1)


def test_check_reports_fuzzy_stale_missing_and_placeholders(mini: Path) -> None:
    fr = mini / "locale" / "fr.po"
    edit(fr, 'msgctxt "1A|name"', '#, fuzzy\nmsgctxt "1A|name"')
    edit(fr, 'msgstr "Demander le plan stratégique."', 'msgstr "Demander le plan {n}."')
    edit(mini / "locale" / "es.po", 'msgstr "Núcleo"', 'msgstr ""')
    edit(mini / "dimensions" / "1" / "dimension.yaml", "name: Social goals", "name: Social aims")
    problems = {str(p) for p in check_catalog(load_catalog(mini))}
    assert "mini/locale/fr.po: 1A|name: fr translation fuzzy" in problems
    assert "mini/locale/fr.po: 1A.1.1|guidance: fr translation placeholders (placeholders differ from English)" in problems
    assert "mini/locale/es.po: module.core|name: es translation missing" in problems
    assert "mini/locale/fr.po: 1|name: fr translation stale (English changed since translation)" in problems
    assert "mini/locale/es.po: 1|name: es translation stale (English changed since translation)" in problems


def test_interface_placeholder_mismatch_and_sheet_names_are_reported(mini: Path, ui_dir: Path) -> None:
    assert check_catalog(load_catalog(mini)) == []
    edit(ui_dir / "fr.po", "ne fait pas partie de {allowed}.", "ne fait pas partie de la liste.")
    edit(ui_dir / "es.po", 'msgstr "Resultados"', 'msgstr "Resultados: [todos]"')
    _clear_ui_caches()
    problems = [str(p) for p in check_catalog(load_catalog(mini))]
    assert problems == [
        f"{tmp_name(ui_dir)}/ui/fr.po: ui.finding.answer.invalid|text: fr translation placeholders (placeholders differ from English)",
        "ui es: sheet.results: sheet name 'Resultados: [todos]' breaks Excel's rules (1-31 characters, none of []:*?/\\)",
    ]


def tmp_name(ui_dir: Path) -> str:
    return ui_dir.parent.name


def test_changed_english_fails_catalog_check(mini: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["catalog", "check", str(mini)]) == 0
    assert capsys.readouterr().out == "mini 1.0.0: 0 problem(s)\n"
    edit(mini / "dimensions" / "1" / "1A.yaml", "name: The provider has a strategy", "name: The provider has a social strategy")
    assert main(["catalog", "check", str(mini)]) == 1
    out = capsys.readouterr().out
    assert "mini/locale/fr.po: 1A|name: fr translation stale (English changed since translation)" in out.splitlines()
    assert "mini/locale/es.po: 1A|name: es translation stale (English changed since translation)" in out.splitlines()


# --- the workbook ---------------------------------------------------------------------------------
def test_export_lists_every_text_with_its_status(mini: Path, tmp_path: Path) -> None:
    catalog = load_catalog(mini)
    out = tmp_path / "fr.xlsx"
    count, review = export_workbook(catalog, "fr", out)
    rows = sheet_rows(out)
    assert rows[0] == headers("fr") and rows[0][3] == "traduction (fr)"  # in the translator's language
    assert count == len(rows) - 1 == len(catalog.texts["en"]) + len(spi4xl.ui.ui_source())
    assert review == sum(r[4] != "done" for r in rows[1:])
    catalog_rows = [r for r in rows[1:] if r[0] == "catalog"]
    assert [r[1] for r in catalog_rows] == [f"{k}|{f}" for k, f in catalog.texts["en"]]
    assert catalog_rows[0] == ["catalog", "catalog|title", "Mini audit", "Mini audit (fr)", "done", "Mini audit (fr)"]
    assert {r[4] for r in catalog_rows} == {"done"}
    assert {r[0] for r in rows[1:]} == {"catalog", "ui"}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_export_refuses_a_language_that_is_not_a_translation(mini: Path, tmp_path: Path, lang: str) -> None:
    with pytest.raises(Spi4xlError, match=f"language '{lang}' is not a translation of mini"):
        export_workbook(load_catalog(mini), lang, tmp_path / "x.xlsx")


def _damage(mini: Path) -> None:
    """Entries of every status, and an obsolete one, so the round trip has something to lose."""
    fr = mini / "locale" / "fr.po"
    edit(fr, 'msgctxt "1A|name"', '# translator: keep it short\n#, fuzzy\nmsgctxt "1A|name"')
    edit(fr, 'msgstr "Existe-t-il un code de conduite ?"', 'msgstr ""')
    edit(fr, 'msgstr "Demander le plan stratégique."', 'msgstr "Demander le plan {n}."')
    edit(fr, 'msgid "Social goals"', 'msgid "Social aims"')
    with fr.open("a", encoding="utf-8") as fh:
        fh.write('\n#~ msgctxt "1Z|name"\n#~ msgid "Removed standard"\n#~ msgstr "Norme retirée"\n')


def test_unchanged_workbook_round_trip_loses_nothing(mini: Path, ui_dir: Path, tmp_path: Path) -> None:
    _damage(mini)
    before = po_files(mini, ui_dir)
    entries = {p: po_entries(p) for p in before}
    catalog = load_catalog(mini)
    out = tmp_path / "fr.xlsx"
    export_workbook(catalog, "fr", out)
    report = import_workbook(catalog, out)
    assert (report.lang, report.updated, report.refused) == ("fr", 0, [])
    assert {p: po_entries(p) for p in before} == entries
    assert po_files(mini, ui_dir) == before


def test_real_catalog_round_trip_loses_nothing(tmp_path: Path, real_ui_dir: Path) -> None:
    copy = Path(shutil.copytree(REAL, tmp_path / "usspm-2016"))
    catalog = load_catalog(copy)
    assert catalog.root == copy
    before = po_files(copy, real_ui_dir)
    for lang in ("fr", "es"):
        out = tmp_path / f"{lang}.xlsx"
        rows, review = export_workbook(catalog, lang, out)
        assert rows == len(catalog.texts["en"]) + len(spi4xl.ui.ui_source())
        assert review == 0  # the real translations are complete: nothing to review
        report = import_workbook(catalog, out)
        assert (report.updated, report.refused) == (0, [])
        assert report.unchanged == rows
    assert po_files(copy, real_ui_dir) == before


def test_edited_translation_updates_the_po(mini: Path, ui_dir: Path, tmp_path: Path) -> None:
    catalog = load_catalog(mini)
    out = tmp_path / "fr.xlsx"
    export_workbook(catalog, "fr", out)
    ui_key = next(iter(spi4xl.ui.ui_source()))
    ui_id = f"{ui_key[0]}|{ui_key[1]}"
    set_cells(out, {(row_of(out, "1A|name"), TRANSLATION): "Le prestataire a une stratégie sociale",
                    (row_of(out, ui_id, "ui"), TRANSLATION): "Texte revu"})
    before = {p: po_entries(p) for p in po_files(mini, ui_dir)}
    report = import_workbook(catalog, out)
    assert (report.updated, report.refused) == (2, [])
    assert load_catalog(mini).text("1A", "name", "fr") == "Le prestataire a une stratégie sociale"
    ui_entry = next(e for e in polib.pofile(str(ui_dir / "fr.po")) if e.msgctxt == ui_id)
    assert (ui_entry.msgid, ui_entry.msgstr) == (spi4xl.ui.ui_source()[ui_key], "Texte revu")
    # nothing else moved
    after = {p: po_entries(p) for p in po_files(mini, ui_dir)}
    changed = {(p.name, a[0]) for p in before for a, b in zip(after[p], before[p]) if a != b}
    assert changed == {("fr.po", "1A|name"), ("fr.po", ui_id)}
    assert all(len(after[p]) == len(before[p]) for p in before)
    assert po_entries(mini / "locale" / "es.po") == before[mini / "locale" / "es.po"]


def test_fuzzy_translation_is_confirmed_by_marking_it_done(mini: Path, tmp_path: Path) -> None:
    fr = mini / "locale" / "fr.po"
    edit(fr, 'msgctxt "1A|name"', '# translator: keep it short\n#, fuzzy\nmsgctxt "1A|name"')
    catalog = load_catalog(mini)
    out = tmp_path / "fr.xlsx"
    export_workbook(catalog, "fr", out)
    row = row_of(out, "1A|name")
    assert sheet_rows(out)[row - 1][3:5] == ["Le prestataire a une stratégie", "fuzzy"]
    set_cells(out, {(row, STATUS): "done"})
    assert import_workbook(catalog, out).updated == 1
    entry = {e.key: e for e in read_translations(fr, "fr", catalog.texts["en"]).entries}[("1A", "name")]
    assert (entry.status, entry.translation) == ("done", "Le prestataire a une stratégie")
    po_entry = next(e for e in polib.pofile(str(fr)) if e.msgctxt == "1A|name")
    assert (po_entry.flags, po_entry.tcomment) == ([], "translator: keep it short")
    assert load_catalog(mini).text("1A", "name", "fr") == "Le prestataire a une stratégie"


def test_row_exported_before_an_english_change_is_refused(mini: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.xlsx"
    export_workbook(load_catalog(mini), "fr", old)
    row = row_of(old, "1A|name")
    set_cells(old, {(row, TRANSLATION): "Le prestataire a une stratégie sociale"})
    edit(mini / "dimensions" / "1" / "1A.yaml", "name: The provider has a strategy", "name: The provider has a social strategy")
    catalog = load_catalog(mini)
    fr = mini / "locale" / "fr.po"
    before = fr.read_bytes()
    report = import_workbook(catalog, old)
    assert [(n, ident, why.code, str(why)) for n, ident, why in report.refused] == \
        [(row, "1A|name", "i18n.source_changed", "the English source changed since export: export again")]
    assert report.updated == 0
    assert fr.read_bytes() == before
    status = {e.key: e.status for e in read_translations(fr, "fr", catalog.texts["en"]).entries}
    assert status[("1A", "name")] == "stale"
    # exported again, the stale row carries the new English and can be reviewed
    new = tmp_path / "new.xlsx"
    export_workbook(catalog, "fr", new)
    row = row_of(new, "1A|name")
    assert sheet_rows(new)[row - 1][2:5] == ["The provider has a social strategy", "Le prestataire a une stratégie", "stale"]
    set_cells(new, {(row, TRANSLATION): "Le prestataire a une stratégie sociale"})
    report = import_workbook(catalog, new)
    assert (report.updated, report.refused) == (1, [])
    assert load_catalog(mini).text("1A", "name", "fr") == "Le prestataire a une stratégie sociale"


def _older_export_and_newer_translation(mini: Path, tmp_path: Path) -> tuple[Path, int]:
    """Two exports of one state; the second one's 1A|name row is translated anew and imported first."""
    catalog = load_catalog(mini)
    old, new = tmp_path / "old.xlsx", tmp_path / "new.xlsx"
    export_workbook(catalog, "fr", old)
    export_workbook(catalog, "fr", new)
    row = row_of(new, "1A|name")
    set_cells(new, {(row, TRANSLATION): "Le prestataire a une stratégie écrite"})
    assert import_workbook(catalog, new).updated == 1
    return old, row


def test_an_older_export_never_puts_back_a_translation_changed_since(mini: Path, tmp_path: Path) -> None:
    old, row = _older_export_and_newer_translation(mini, tmp_path)
    fr = mini / "locale" / "fr.po"
    before = fr.read_bytes()
    # the older export comes back untouched: its row still holds the translation it was made from
    report = import_workbook(load_catalog(mini), old)
    assert (report.updated, report.refused) == (0, [])
    assert fr.read_bytes() == before
    assert load_catalog(mini).text("1A", "name", "fr") == "Le prestataire a une stratégie écrite"


def test_a_row_edited_on_an_older_export_is_a_conflict_reported_with_both_values(
        mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    old, row = _older_export_and_newer_translation(mini, tmp_path)
    other = row_of(old, "1A.1|name")
    set_cells(old, {(row, TRANSLATION): "Le prestataire suit une stratégie", (other, TRANSLATION): "La stratégie est rédigée"})
    fr = mini / "locale" / "fr.po"
    report = import_workbook(load_catalog(mini), old)
    assert [(n, ident, why.code) for n, ident, why in report.refused] == [(row, "1A|name", "i18n.conflict")]
    message = str(report.refused[0][2])
    assert "'Le prestataire a une stratégie écrite'" in message and "'Le prestataire suit une stratégie'" in message
    assert report.updated == 1  # the row nobody else changed is applied
    catalog = load_catalog(mini)
    assert catalog.text("1A", "name", "fr") == "Le prestataire a une stratégie écrite"
    assert catalog.text("1A.1", "name", "fr") == "La stratégie est rédigée"
    before = fr.read_bytes()
    assert main(["i18n", "import", str(old), "--edition", str(mini)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{old}: row {row}: 1A|name: refused [i18n.conflict]: ") and message in line
    assert fr.read_bytes() == before


def test_an_export_without_base_column_is_refused(mini: Path, tmp_path: Path) -> None:
    """An export made before the base column existed cannot tell a newer translation from its own."""
    old = tmp_path / "old.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["domain", "id", "source (en)", "translation (fr)", "status"])
    book.active.append(["catalog", "1A|name", "The provider has a strategy", "Une stratégie", "done"])
    book.save(old)
    before = po_files(mini)
    with pytest.raises(Spi4xlError, match="exported by an older spi4xl") as refused:
        import_workbook(load_catalog(mini), old)
    assert refused.value.code == "i18n.old_export"
    assert po_files(mini) == before


def test_export_speaks_the_translators_language_and_fits_rows_to_their_text(tmp_path: Path, real_ui_dir: Path,
                                                                           capsys: pytest.CaptureFixture) -> None:
    catalog = load_catalog(REAL)
    out = tmp_path / "es.xlsx"
    rows, review = export_workbook(catalog, "es", out)
    book = openpyxl.load_workbook(out)
    sheet, help_sheet, glossary = book.worksheets  # the glossary: tests/test_catalog_migration.py
    assert glossary.title == "Glosario"
    assert [c.value for c in sheet[1]] == headers("es") and headers("es")[2] == "origen (en)"
    assert sheet.column_dimensions["F"].hidden and not sheet.column_dimensions["D"].hidden
    assert help_sheet.title == "Cómo traducir" and help_sheet["A1"].value.startswith("Traduzca al es")
    heights = {n: sheet.row_dimensions[n].height for n in range(2, rows + 2)}
    longest = max(range(2, rows + 2), key=lambda n: len(sheet.cell(n, 3).value))
    assert heights[longest] and heights[longest] >= 3 * 15  # a long text: a row several lines tall
    short = next(n for n in range(2, rows + 2) if len(sheet.cell(n, 3).value) < 20 and len(sheet.cell(n, 4).value) < 20)
    assert heights[short] is None  # one line: the default height
    # the count the command prints is the rows to review, not every row
    fr = tmp_path / "usspm-2016"
    shutil.copytree(REAL, fr)
    edit(fr / "locale" / "es.po", 'msgctxt "1A|name"', '#, fuzzy\nmsgctxt "1A|name"')
    assert main(["i18n", "export", "--lang", "es", "--out", str(tmp_path / "x.xlsx"), "--edition", str(fr)]) == 0
    assert capsys.readouterr().out.strip().endswith(": 1 texts to review")
    assert review == 0


def test_unknown_ids_are_refused_with_their_row(mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    catalog = load_catalog(mini)
    out = tmp_path / "fr.xlsx"
    rows, _ = export_workbook(catalog, "fr", out)
    set_cells(out, {}, append=[
        ["catalog", "9Z|name", "Ghost standard", "Norme fantôme", "done"],
        ["catalog", "1A|colour", "The provider has a strategy", "x", "done"],
        ["glossary", "1A|name", "The provider has a strategy", "x", "done"],
        ["catalog", "no separator", "x", "y", "done"],
    ])
    before = po_files(mini)
    report = import_workbook(catalog, out)
    first = rows + 2  # header is row 1, data rows 2..rows+1
    assert [(n, ident) for n, ident, _ in report.refused] == \
        [(first, "9Z|name"), (first + 1, "1A|colour"), (first + 2, "1A|name"), (first + 3, "no separator")]
    assert all(why.code == "i18n.unknown_id" and "no text with this id" in str(why) for _, _, why in report.refused)
    assert "'glossary'" in str(report.refused[2][2])
    assert po_files(mini) == before
    # the command line prints each refusal with its row and exits 1
    assert main(["i18n", "import", str(out), "--edition", str(mini)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"{out}: row {first}: 9Z|name: refused [i18n.unknown_id]: no text with this id in domain 'catalog'" in err
    assert len(err) == 4


def test_non_translation_workbooks_are_refused_clearly(mini: Path, tmp_path: Path) -> None:
    catalog = load_catalog(mini)
    cases = {
        "overlay.xlsx": [["code", "field", "en", "fr"], ["1A", "name", "x", "y"]],
        "empty.xlsx": [],
        "short.xlsx": [["domain", "id", "source (en)"], ["catalog", "1A|name", "The provider has a strategy"]],
    }
    for name, rows in cases.items():
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(tmp_path / name)
        with pytest.raises(Spi4xlError, match="not a translation workbook exported by 'spi4xl i18n export'"):
            import_workbook(catalog, tmp_path / name)
    (tmp_path / "notes.xlsx").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(Spi4xlError, match="not a valid workbook"):
        import_workbook(catalog, tmp_path / "notes.xlsx")
    with pytest.raises(Spi4xlError, match="no such file"):
        import_workbook(catalog, tmp_path / "missing.xlsx")


def test_workbook_of_another_language_is_refused(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "fr.xlsx"
    export_workbook(load_catalog(mini), "fr", out)
    set_cells(out, {(1, TRANSLATION): "traduction (de)"})
    with pytest.raises(Spi4xlError, match="language 'de' is not a translation of mini"):
        import_workbook(load_catalog(mini), out)


# --- i18n update ---------------------------------------------------------------------------------
def test_update_adds_new_texts_and_keeps_removed_ones_obsolete(mini: Path, ui_dir: Path, capsys) -> None:
    org = mini / "organization.yaml"
    edit(org, "  help: Clients with an open account.\n", "")
    edit(org, "- id: reporting_date\n  label: Reporting date\n", "- id: reporting_date\n  label: Date of the figures\n")
    for _ in range(2):  # a second run must keep what the first one kept
        assert main(["i18n", "update", "--edition", str(mini)]) == 0
        for lang in ("fr", "es"):
            po = polib.pofile(str(mini / "locale" / f"{lang}.po"))
            obsolete = {e.msgctxt: e.msgstr for e in po.obsolete_entries()}
            assert obsolete == {"org.active_clients|help": {"fr": "Clients ayant un compte ouvert.",
                                                             "es": "Clientes con una cuenta abierta."}[lang]}
    catalog = load_catalog(mini)
    fr = {e.key: e for e in read_translations(mini / "locale" / "fr.po", "fr", catalog.texts["en"]).entries}
    assert fr[("org.reporting_date", "label")].status == "stale"
    assert ("org.active_clients", "help") not in fr
    assert spi4xl.ui.ui("cli.wrote", path=mini / "locale" / "fr.po") in capsys.readouterr().out.splitlines()
