"""Split by department and merge back (spi4xl.merge, spi4xl.parts): the rules on audits, then real files.

The property: a random audit split by department, each part edited at random (its own items only), merges
back into the original plus the edits; copies of one part edited at random give exactly the conflicts made.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits import CATALOG, CLEAN_ORG, TEXT, audits, random_audit
from spi4xl.audit import Audit
from spi4xl.catalog.departments import department_items, owns_field
from spi4xl.errors import Spi4xlError
from spi4xl.merge import RULES, Source, merge, slots
from spi4xl.parts import departments_in_scope, part_of

ID = "5f1c0ffee0ddba11"


def audit(**typed) -> Audit:
    return Audit(edition=CATALOG.edition, catalog_version=CATALOG.version, audit_id=ID, **typed)


def src(a: Audit, name: str, saved: str = "") -> Source:
    return Source(a, name, saved)


# --- the rules, on audits -----------------------------------------------------------------------------
def test_a_part_fills_and_replaces_without_conflict_and_the_report_says_who() -> None:
    base = audit(answers={"1A.1.1": "no"}, comments={"1A.1.1": "asked the CEO"})
    hr = audit(answers={"1A.1.1": "yes", "2B.3.1": "partially"}, comments={"1A.1.1": "asked the CEO"}, origin="hr")
    result = merge(src(base, "audit.xlsx"), [src(hr, "hr.xlsx")])
    assert result.audit.answers == {"1A.1.1": "yes", "2B.3.1": "partially"}
    assert result.conflicts == []
    rows = {(e.status, e.item, e.value, e.other, e.file, e.origin) for e in result.entries}
    assert rows == {("changed", "1A.1.1", "yes", "no", "hr.xlsx", "hr"), ("added", "2B.3.1", "partially", "", "hr.xlsx", "hr")}
    assert result.audit.merged == tuple(result.entries)


def test_parts_that_disagree_are_a_conflict_the_newest_wins_and_the_loser_stays_in_the_report() -> None:
    base = audit()
    old = src(audit(answers={"1A.1.1": "no"}, origin="Awa"), "b-awa.xlsx", "2026-11-01T09:00:00Z")
    new = src(audit(answers={"1A.1.1": "yes"}, origin="Binta"), "a-binta.xlsx", "2026-11-02T09:00:00Z")
    for order in ([old, new], [new, old]):  # the order parts are given in changes nothing
        result = merge(src(base, "audit.xlsx"), order)
        assert result.audit.answers == {"1A.1.1": "yes"}
        [conflict] = result.conflicts
        assert (conflict.value, conflict.other, conflict.file, conflict.rule) == ("no", "yes", "b-awa.xlsx", "parts")
        assert [e.status for e in result.entries] == ["added", "conflict"]


@pytest.mark.parametrize("prefer,kept", [("parts", "yes"), ("blank-only", "no"), ("newest", "no")])
def test_rules_decide_between_the_audit_and_a_part(prefer: str, kept: str) -> None:
    base = src(audit(answers={"1A.1.1": "no"}, updated="2026-11-03T00:00:00"), "audit.xlsx")
    part = src(audit(answers={"1A.1.1": "yes"}), "hr.xlsx", "2026-11-02T00:00:00Z")
    result = merge(base, [part], prefer)
    assert result.audit.answers == {"1A.1.1": kept}
    assert len(result.conflicts) == (prefer != "parts")
    values = {e.value for e in result.entries} | {e.other for e in result.entries}
    assert {"yes", "no"} <= values  # nothing lost: both values are in the report


def test_fail_stops_on_a_conflict_and_names_it() -> None:
    base = src(audit(), "audit.xlsx")
    parts = [src(audit(org={"branches": 12}), "a.xlsx"), src(audit(org={"branches": 13}), "b.xlsx")]
    with pytest.raises(Spi4xlError) as err:
        merge(base, parts, "fail")
    assert err.value.code == "merge.conflicts" and err.value.params["item"] == "branches"
    assert merge(base, parts[:1], "fail").audit.org == {"branches": 12}  # no conflict: fail merges as parts


def test_parts_of_another_audit_or_edition_are_refused_unless_forced() -> None:
    base = src(audit(), "audit.xlsx")
    other = src(dataclasses.replace(audit(answers={"1A.1.1": "yes"}), audit_id="another"), "x.xlsx")
    edition = src(dataclasses.replace(audit(), edition="usspm-2022"), "y.xlsx")
    for part, code in ((other, "merge.foreign_audit"), (edition, "merge.foreign_edition")):
        with pytest.raises(Spi4xlError) as err:
            merge(base, [part])
        assert err.value.code == code and err.value.params["path"] == part.file
        merge(base, [part], force=True)
    assert RULES == ("parts", "blank-only", "newest", "fail")


def test_a_template_takes_the_parts_audit_id_and_unread_text_competes_in_its_slot() -> None:
    template = src(dataclasses.replace(audit(answers={"1A.1.1": "no"}), audit_id=""), "template.xlsx")
    part = src(audit(unparsed={("1A.1.1", "answer"): "peut-être", ("branches", "value"): "douze"}), "hr.xlsx")
    result = merge(template, [part])
    assert result.audit.audit_id == ID
    assert result.audit.answers == {} and result.audit.unparsed == {("1A.1.1", "answer"): "peut-être",
                                                                   ("branches", "value"): "douze"}
    assert {(e.item, e.value, e.other) for e in result.entries} == {("1A.1.1", "peut-être", "no"), ("branches", "douze", "")}


def test_a_blank_never_erases_and_identity_comes_from_the_audit() -> None:
    base = audit(answers={"1A.1.1": "yes"}, origin="spm", created="2026-10-01T08:00:00", updated="2026-10-02T08:00:00")
    part = dataclasses.replace(audit(comments={"1A.1.1": ""}, origin="hr"), updated="2026-11-05T10:00:00")
    result = merge(src(base, "audit.xlsx"), [src(part, "hr.xlsx", "2026-11-06T07:00:00Z")])
    assert result.audit.answers == {"1A.1.1": "yes"} and result.entries == []
    assert (result.audit.origin, result.audit.created, result.audit.updated) == ("spm", "2026-10-01T08:00:00",
                                                                               "2026-11-06T07:00:00")


@dataclass
class PlannedAudit(Audit):
    """The audit model with one more field, as the action plan will add: merged without a change to spi4xl.merge."""

    action_plan: dict[str, dict] = field(default_factory=dict)  # indicator -> its row (owner, due date, ...)


def test_a_field_added_to_the_model_is_merged_too() -> None:
    row = {"owner": "board", "due": "2027-06-30"}
    base = PlannedAudit(CATALOG.edition, audit_id=ID, action_plan={"1A.1.1": row})
    part = PlannedAudit(CATALOG.edition, audit_id=ID, action_plan={"1A.1.1": {**row, "due": "2027-03-31"},
                                                                   "2B.3.1": {"owner": "HR"}})
    same = PlannedAudit(CATALOG.edition, audit_id=ID, action_plan={"1A.1.1": dict(row)})
    result = merge(src(base, "audit.xlsx"), [src(part, "hr.xlsx"), src(same, "spm.xlsx")])
    assert result.audit.action_plan == {"1A.1.1": {**row, "due": "2027-03-31"}, "2B.3.1": {"owner": "HR"}}
    assert {(e.field, e.item, e.status) for e in result.entries} == {("action_plan", "1A.1.1", "changed"),
                                                                     ("action_plan", "2B.3.1", "added")}


# --- departments --------------------------------------------------------------------------------------
def test_every_item_and_field_belongs_to_exactly_one_department() -> None:
    owners = CATALOG.field_departments
    assert set(owners) == {f.id for f in CATALOG.org_fields}
    teams = [d.code for d in CATALOG.departments]
    for item in {c for d in teams for c in department_items(CATALOG, (d,))} - {
            n for i in CATALOG.all_indicators() for n in (i.dimension, i.standard, i.practice)}:
        assert sum(item in department_items(CATALOG, (d,)) for d in teams) == 1, item
    for f in CATALOG.org_fields:
        assert [d for d in teams if owns_field(CATALOG, f.id, (d,))] == [owners[f.id]]


def test_a_broken_departments_file_is_a_catalog_error(tmp_path: Path) -> None:
    import shutil

    from spi4xl.catalog import load_catalog
    from spi4xl.catalog.check import check_catalog

    edition = tmp_path / CATALOG.edition
    shutil.copytree(CATALOG.root, edition)
    for text, code in (("default: nobody\n", "catalog.undefined_department"),
                       ("default: hr\nfields:\n  branchez: hr\n", "catalog.department_field"),
                       ("default: hr\nfields:\n  branches: hq\n", "catalog.undefined_department"),
                       ("default: hr\nowner: me\n", "catalog.unknown_key")):
        (edition / "departments.yaml").write_text(text)
        with pytest.raises(Spi4xlError) as err:
            check_catalog(load_catalog(edition))  # the bundle is out of date: the sources are read
        assert err.value.code == code


# --- the property ------------------------------------------------------------------------------------
def edit_strategy(catalog_items: list[str], fields: list[str]):
    """Edits of one part: new answers and comments on its own items, new values in its own fields."""
    answerable = [c for c in catalog_items if getattr(CATALOG.node(c), "scale", None) and
                  not getattr(CATALOG.node(c), "is_checklist", False)]
    return st.fixed_dictionaries({
        "answers": st.dictionaries(st.sampled_from(answerable), st.sampled_from(["yes", "no", "na"]), max_size=6)
        if answerable else st.just({}),
        "comments": st.dictionaries(st.sampled_from(answerable), TEXT, max_size=3) if answerable else st.just({}),
        "org": st.dictionaries(st.sampled_from(fields), st.integers(1, 10**6), max_size=2) if fields else st.just({}),
    })


def edited(part: Audit, edits: dict) -> Audit:
    out = dataclasses.replace(part, **{k: {**getattr(part, k), **v} for k, v in edits.items()})
    return out


def new_values(base: Audit, edits: dict) -> dict:
    """The edits that change something: a value equal to the audit's is no edit, and a blank one (spaces only)
    is no value, as in a cell: a blank never erases."""
    return {(k, key): v for k, d in edits.items() for key, v in d.items()
            if getattr(base, k).get(key) != v and str(v).strip()}


@st.composite
def split_and_edits(draw):
    base = dataclasses.replace(draw(audits()), audit_id=ID)
    base.org.update({k: v for k, v in CLEAN_ORG.items() if draw(st.booleans())})
    teams = departments_in_scope(CATALOG, base)
    parts = []
    for team in teams:
        items = sorted(department_items(CATALOG, (team,)))
        fields = sorted(f.id for f in CATALOG.org_fields if owns_field(CATALOG, f.id, (team,)) and
                        f.type in ("integer", "number", "currency"))
        parts.append((team, draw(edit_strategy(items, fields))))
    return base, parts


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(split_and_edits())
def test_split_edit_merge_gives_the_original_plus_the_edits(case) -> None:
    base, edits = case
    parts = [src(edited(part_of(CATALOG, base, team), e), f"{team}.xlsx") for team, e in edits]
    result = merge(src(base, "audit.xlsx"), parts)
    expected = dict(slots(base))
    for _team, e in edits:
        expected.update(new_values(base, e))
    assert slots(result.audit) == expected
    assert result.conflicts == []
    assert {(e.field, e.item) for e in result.entries} == {k for _t, e in edits for k in new_values(base, e)}


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_copies_of_one_part_give_exactly_the_conflicts_made(data) -> None:
    base = dataclasses.replace(random_audit(data.draw(st.integers(0, 10**6)), fill=0.5), audit_id=ID)
    team = data.draw(st.sampled_from(departments_in_scope(CATALOG, base)))
    items = sorted(department_items(CATALOG, (team,)))
    fields = sorted(f.id for f in CATALOG.org_fields if owns_field(CATALOG, f.id, (team,)) and f.type == "integer")
    part = part_of(CATALOG, base, team)
    a, b = data.draw(edit_strategy(items, fields)), data.draw(edit_strategy(items, fields))
    copies = [src(edited(part, a), "copy-a.xlsx", "2026-11-02T00:00:00Z"), src(edited(part, b), "copy-b.xlsx")]
    result = merge(src(base, "audit.xlsx"), copies)
    na, nb = new_values(base, a), new_values(base, b)
    made = {key for key in na.keys() & nb.keys() if na[key] != nb[key]}
    assert {(e.field, e.item) for e in result.conflicts} == made
    for key in made:  # the newer copy won; the other copy's value is in the report
        assert slots(result.audit)[key] == na[key]
    assert all(slots(result.audit)[k] == v for k, v in {**nb, **na}.items())
