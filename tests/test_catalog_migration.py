"""Catalog 1.1.0 and the audits of 1.0.0: change records as data, the migration convert applies, and the checks
that keep records, client-protection tags and terminology complete."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spi4xl.audit import Audit
from spi4xl.catalog import load_catalog
from spi4xl.catalog.check import check_catalog
from spi4xl.convert import convert
from spi4xl.errors import CatalogError
from spi4xl.migration import migrate
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook.render import render

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "catalogs" / "mini"
OLD_WORKBOOKS = HERE / "fixtures" / "workbooks"
CATALOG = load_catalog("usspm-2016")
FROZEN = yaml.safe_load((CATALOG.root / "versions" / "1.0.0.yaml").read_text(encoding="utf-8"))["codes"]
OLD_ITEMS = [(code, kind.split()[1]) for code, kind in FROZEN.items() if kind.split()[0] in ("indicator", "detail")]
OLD_INDICATORS = [code for code, kind in FROZEN.items() if kind.split()[0] in ("indicator", "checklist")]
COLUMNS = ("answer", "comment", "evidence", "flag")
TEXT = st.text(st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=20)


def typed(audit: Audit) -> set[tuple[str, str, str]]:
    """(code, column, value) of everything typed in the questionnaire; unparsed text marked as such."""
    out = {(c, "answer", v) for c, v in audit.answers.items()} | {(c, "evidence", v) for c, v in audit.evidence.items()}
    out |= {(c, "comment", v) for c, v in audit.comments.items()} | {(c, "flag", v) for c, v in audit.flags.items()}
    return out | {(c, col, "unparsed:" + v) for (c, col), v in audit.unparsed.items() if col in ("answer", "evidence")}


def placed(entry: tuple[str, str, str], after: set[tuple[str, str, str]]) -> bool:
    """The entry is in `after` under its own code or a successor's (free text may have been joined to another)."""
    code, column, value = entry
    homes = [code] + [c.new for c in CATALOG.changes if c.old == code and c.new]
    return any((home, column, value) in after or (column in ("comment", "flag") and any(
        c == home and col == column and value in v for c, col, v in after)) for home in homes)


def old_audit(**entries: dict[str, str]) -> Audit:
    audit = Audit(edition="usspm-2016", catalog_version="1.0.0")
    for column, values in entries.items():
        getattr(audit, column).update(values)
    return audit


@st.composite
def audits_of_1_0_0(draw) -> Audit:
    """Random audits filled on catalog 1.0.0, over its frozen code list."""
    audit = Audit(edition="usspm-2016", catalog_version="1.0.0", language=draw(st.sampled_from(["en", "fr", "es"])))
    for code, scale in draw(st.lists(st.sampled_from(OLD_ITEMS), max_size=80, unique=True)):
        audit.answers[code] = draw(st.sampled_from(CATALOG.scales[scale].codes))
    for code in draw(st.lists(st.sampled_from(list(FROZEN)), max_size=25, unique=True)):
        audit.comments[code] = draw(TEXT)
    for code in draw(st.lists(st.sampled_from(OLD_INDICATORS), max_size=10, unique=True)):
        audit.flags[code] = draw(TEXT)
    for code in draw(st.lists(st.sampled_from(OLD_INDICATORS), max_size=15, unique=True)):
        audit.evidence[code] = draw(st.sampled_from([e.code for e in CATALOG.evidence_types]))
    for code, _ in draw(st.lists(st.sampled_from(OLD_ITEMS), max_size=3, unique=True)):
        if code not in audit.answers:
            audit.unparsed[(code, "answer")] = draw(TEXT)
    return audit


# --- the records ---------------------------------------------------------------------------------
def test_every_1_0_0_code_is_in_1_1_0_or_recorded_as_changed() -> None:
    recorded = {c.old for c in CATALOG.changes}
    assert CATALOG.version == "1.1.0"
    assert [code for code in FROZEN if CATALOG.node(code) is None and code not in recorded] == []
    assert {c.how for c in CATALOG.changes} == {"moved", "merged", "split"}


def test_cp_tags_carry_their_why_and_the_issue_s_corrections() -> None:
    tags = {i.code: set(i.principles) for i in CATALOG.all_indicators()}
    assert all(dict(i.why).keys() == set(i.principles) for i in CATALOG.all_indicators())
    assert "CP1" not in tags["3B.1.2"] | tags["3B.1.3"] and "CP5" not in tags["5C.3.2"]
    assert tags["3B.3.2"] == {"CP5"} and "CP1" in tags["3A.2.1"] & tags["3A.2.2"]
    assert tags["5B.2.2"] >= {"CP2", "CP3", "CP5", "CP6", "CP7"}


# --- the migration, change by change -------------------------------------------------------------
def test_a_moved_indicator_takes_everything_typed_with_it() -> None:
    before = old_audit(answers={"1A.3.3": "yes", "1A.3.4.2": "no"}, comments={"1A.3.3": "policy p. 2"},
                       evidence={"1A.3.3": "document"}, flags={"1A.3.3": "ask the board"})
    after = migrate(before, CATALOG).audit
    assert (after.answers, after.comments, after.evidence, after.flags) == (
        {"1A.4.1": "yes", "1A.4.2.2": "no"}, {"1A.4.1": "policy p. 2"}, {"1A.4.1": "document"}, {"1A.4.1": "ask the board"})
    assert after.catalog_version == "1.1.0" and before.answers == {"1A.3.3": "yes", "1A.3.4.2": "no"}  # a copy


@pytest.mark.parametrize("old,new", [("5B.3.1", "4C.1.2"), ("5B.3.2", "4C.1.4"), ("5B.3.3", "4C.3.2"),
                                     ("4A.3.4", "2C.3.1"), ("2B.3.1", "5B.2.1")])
def test_a_merged_indicator_joins_its_successor_when_the_answers_agree(old: str, new: str) -> None:
    after = migrate(old_audit(answers={old: "partially", new: "partially"}, comments={old: "B", new: "A"},
                              evidence={old: "interview"}), CATALOG).audit
    assert (after.answers, after.comments, after.evidence) == ({new: "partially"}, {new: f"A\n{old}: B"}, {new: "interview"})
    alone = migrate(old_audit(answers={old: "no"}, flags={old: "to check"}), CATALOG).audit
    assert (alone.answers, alone.flags) == ({new: "no"}, {new: "to check"})


def test_a_merged_indicator_with_another_answer_stays_whole_beside_its_successor(tmp_path: Path) -> None:
    before = old_audit(answers={"2C.3.1": "yes", "4A.3.4": "no"}, comments={"4A.3.4": "bonus on volume"},
                       evidence={"4A.3.4": "data"})
    after = migrate(before, CATALOG).audit
    assert after.answers == {"2C.3.1": "yes", "4A.3.4": "no"}
    assert (after.comments, after.evidence) == ({"4A.3.4": "bonus on volume"}, {"4A.3.4": "data"})
    out = tmp_path / "merged.xlsx"
    render(CATALOG, "fr", after, out)
    back = read_workbook(out)
    assert "conversion" in back.sheets and typed(back.audit) == typed(after)


def test_a_split_practice_s_notes_go_to_both_parts_and_a_merged_one_s_to_its_successor() -> None:
    after = migrate(old_audit(comments={"1A.3": "seen in 2 branches", "5B.3": "code signed"}), CATALOG)
    assert after.audit.comments == {"1A.3": "seen in 2 branches", "1A.4": "seen in 2 branches", "4C.1": "code signed"}
    assert after.split == {"1A.4"}


@pytest.mark.parametrize("version", ["1.1.0", "", "2.0.0", "one point oh", "1.0"])
def test_an_audit_of_this_version_or_of_no_known_version_is_left_alone(version: str) -> None:
    before = old_audit(answers={"5B.3.1": "no"})
    before.catalog_version = version
    assert migrate(before, CATALOG).audit.answers == {"5B.3.1": "no"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(audits_of_1_0_0())
def test_random_1_0_0_audits_lose_nothing(audit: Audit) -> None:
    before, after = typed(audit), typed(migrate(audit, CATALOG).audit)
    assert [e for e in before if not placed(e, after)] == []
    kept_old = {c for c, _, _ in after if CATALOG.node(c) is None}
    assert all(any(ch.old == c for ch in CATALOG.changes) for c in kept_old)  # only merges that disagreed


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(audits_of_1_0_0())
def test_random_1_0_0_audits_survive_a_1_1_0_workbook(tmp_path: Path, audit: Audit) -> None:
    migrated = migrate(audit, CATALOG).audit
    out = tmp_path / "audit.xlsx"
    render(CATALOG, migrated.language, migrated, out)
    assert typed(read_workbook(out).audit) == typed(migrated)


# --- convert on real 1.0.0 workbooks -------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_convert_carries_a_filled_1_0_0_workbook_over(lang: str, tmp_path: Path) -> None:
    src = OLD_WORKBOOKS / f"usspm-2016-1.0.0-sample-{lang}.xlsx"
    read = read_workbook(src)  # read on 1.1.0: its items already placed anew
    old = read.migration.original
    assert (read.migration.version, read.audit.catalog_version) == ("1.0.0", "1.1.0")
    assert old.unparsed == {}  # French S.O. still understood
    assert typed(read.audit) == typed(migrate(old, CATALOG).audit)
    report = convert(src, "es", tmp_path / "audit-es.xlsx")
    new = read_workbook(tmp_path / "audit-es.xlsx").audit
    assert (report["from"]["catalog_version"], new.catalog_version) == ("1.0.0", "1.1.0")
    assert [e for e in typed(old) if not placed(e, typed(new))] == []
    assert report["moved"]["4C.1.2"] == "5B.3.1" or "5B.3.1" in report["merged"]
    assert set(report["merged"]) <= {c.old for c in CATALOG.changes if c.how == "merged"}
    assert report["removed"] == [] and "1A.4.1" not in report["changed"]  # moved unchanged: nothing to review


# --- the checks ----------------------------------------------------------------------------------
@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MINI, tmp_path / "mini"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def coded(catalog, code: str) -> list[str]:
    return [str(p) for p in check_catalog(catalog) if p.code == code]


def test_a_tag_without_why_loads_but_fails_the_check(mini: Path) -> None:
    assert load_catalog(mini).indicator("1A.1.1").why[0][0] == "CP1"
    edit(mini / "dimensions/1/1A.yaml", "[{code: CP1, why: a strategy written for its clients is where suitable "
         "products start}]", "[CP1]")
    assert coded(load_catalog(mini), "tag.no_why") == [
        "mini/dimensions/1/1A.yaml: 1A.1.1.principles: [tag.no_why] CP1 has no why "
        "(fix: write the tag as {code: CP1, why: <what in the indicator evidences it>})"]


@pytest.mark.parametrize("record,error,path", [
    ("{code: 1A.9.9, since: 2.0.0, how: moved}", "catalog.change_version", "replaces[0].since"),
    ("{code: 1A.9.9, since: 1.0.0, how: teleported}", "catalog.change_kind", "replaces[0].how"),
    ("{code: not a code, since: 1.0.0, how: moved}", "catalog.change_code", "replaces[0].code"),
    ("{code: 1A.9.9, since: 1.0.0, how: moved, colour: red}", "catalog.unknown_key", "replaces[0].colour"),
])
def test_broken_change_records_are_refused_with_file_and_key_path(mini: Path, record: str, error: str, path: str) -> None:
    edit(mini / "dimensions/1/1A.yaml", "    scale: yn\n", f"    scale: yn\n    replaces: [{record}]\n")
    with pytest.raises(CatalogError) as caught:
        load_catalog(mini)
    assert (caught.value.code, caught.value.file) == (error, "mini/dimensions/1/1A.yaml")
    assert caught.value.path == f"practices[0].indicators[0].{path}"


def test_codes_of_a_frozen_version_must_be_recorded(mini: Path) -> None:
    (mini / "versions").mkdir()
    (mini / "versions" / "0.9.0.yaml").write_text("version: 0.9.0\ncontent_hash: x\ncodes:\n  1A.1.1: indicator yn\n"
                                                  "  1A.1.9: indicator yn\n", encoding="utf-8")
    assert coded(load_catalog(mini), "change.unrecorded") == [
        "mini/versions/0.9.0.yaml: 1A.1.9: [change.unrecorded] a 0.9.0 code that is neither in the catalog nor "
        "recorded as changed (fix: add 'replaces:' to its successor, or 'retired:' to its standard)"]
    edit(mini / "dimensions/1/1A.yaml", "practices:\n", "retired: [{code: 1A.1.9, since: 1.0.0, why: asked twice}]\n"
         "practices:\n")
    catalog = load_catalog(mini)
    assert coded(catalog, "change.unrecorded") == [] and catalog.changes[0].how == "retired"
    edit(mini / "dimensions/1/1A.yaml", "code: 1A.1.9,", "code: 1A.1.1,")
    assert coded(load_catalog(mini), "change.still_there")


def test_the_glossary_finds_forbidden_variants_in_catalog_and_interface_texts(mini: Path) -> None:
    (mini / "glossary.yaml").write_text(
        "fr:\n- term: N/A\n  forbidden: [S.O.]\n  note: comme en anglais\n"
        "- term: contrôle\n  forbidden: [audit]\n  allowed: [mini audit]\n"
        "es:\n- term: estrategia\n  forbidden: [hallazgo, hallazgos]\n", encoding="utf-8")
    problems = coded(load_catalog(mini), "glossary.forbidden")
    assert "mini/locale/fr.po: scale.ypn.na|label: [glossary.forbidden] fr: 'S.O.' is not the glossary's term " \
           "(fix: write 'N/A'; comme en anglais)" in problems
    assert not any("catalog|title" in p for p in problems)  # "Mini audit (fr)": an allowed phrase is left alone
    assert any(p.startswith("spi4xl/ui/fr.po: ui.") and "'audit'" in p for p in problems)
    assert any(p.startswith("spi4xl/ui/es.po: ui.") and "'hallazgo" in p for p in problems)  # interface texts too


def test_the_real_catalog_and_interface_follow_their_glossary() -> None:
    assert [str(p) for p in check_catalog(CATALOG) if p.code] == []


def test_populate_carries_a_1_0_0_workbook_over_like_convert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Populate button on a 1.0.0 workbook places its items by the same records (xlwings' remote engine)."""
    import xlwings as xw

    from spi4xl.xl import adapter
    from xl_helpers import enable_xlwings_pro, payload, replay

    enable_xlwings_pro(monkeypatch)
    src = OLD_WORKBOOKS / "usspm-2016-1.0.0-sample-en.xlsx"
    book = xw.Book(json=payload(src, "VBA"))
    adapter.populate(book, alert=False)
    replay(book.json()["actions"], src, tmp_path / "populated.xlsx")
    before, after = read_workbook(src).migration.original, read_workbook(tmp_path / "populated.xlsx").audit
    assert (before.catalog_version, after.catalog_version) == ("1.0.0", "1.1.0")
    assert [e for e in typed(before) if not placed(e, typed(after))] == []
    assert typed(after) == typed(migrate(before, CATALOG).audit)


@pytest.mark.parametrize("lang,sheet,term", [("fr", "Glossaire", "PSF"), ("es", "Glosario", "alcance a población pobre")])
def test_the_translators_workbook_shows_the_glossary_and_still_imports(lang: str, sheet: str, term: str,
                                                                       tmp_path: Path) -> None:
    from spi4xl.workbook.text_files import export_workbook, import_workbook
    from spi4xl.workbook.values import open_book, sheet_rows

    out = tmp_path / f"{lang}.xlsx"
    export_workbook(CATALOG, lang, out)
    book = open_book(out)
    assert book.sheet_names[-1] == sheet
    rows = sheet_rows(book, sheet)
    assert rows[0][0] and term in [r[0] for r in rows[1:]]
    assert import_workbook(CATALOG, out).refused == []  # the glossary sheet is not read back
