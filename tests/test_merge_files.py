"""`spi4xl split`, `spi4xl merge` and `build --department` on real workbooks: parts of any language, sorted and
saved by LibreOffice, foreign and truncated parts, the Merge report read back, the buttons' `merge(book, parts)`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import xlwings as xw

from audits import CATALOG, random_audit
from spi4xl.catalog.departments import owns_field
from spi4xl.cli import main
from spi4xl.merge import slots
from spi4xl.ui import ui
from spi4xl.workbook import layout as L
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook.render import render
from spi4xl.xl import adapter
from xl_helpers import enable_xlwings_pro, payload, replay, role_sheet

pytestmark = pytest.mark.slow  # every test renders and reads several whole workbooks
TEAMS = ("hr", "finance", "management")


@pytest.fixture(scope="module")
def audit_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A French audit as an auditor fills it from a template: no audit id yet."""
    path = tmp_path_factory.mktemp("audit") / "audit.xlsx"
    audit = random_audit(11, "fr", fill=0.6)
    audit.org.update(branches=24, staff_total=310, gross_loan_portfolio=12_000_000)
    audit.metadata.update(organization="IMF Test", country="Sénégal")
    return render(CATALOG, "fr", audit, path)


@pytest.fixture(scope="module")
def parts(audit_file: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("parts")
    assert main(["split", str(audit_file), "--by", "department", "--departments", ",".join(TEAMS), "--out", str(out)]) == 0
    return [out / f"audit-{team}.xlsx" for team in TEAMS]


def first_answerable(team: str, skip: int = 0) -> str:
    return [i.code for i in CATALOG.indicators(departments=(team,)) if not i.is_checklist][skip]


def fill(part: Path, out: Path, lang: str, answers: dict[str, str], org: dict | None = None) -> tuple[Path, dict]:
    """A department fills its part, in its own language: read, typed into, written as a new file."""
    read = read_workbook(part)
    audit = read.audit
    new = dataclasses.replace(audit, answers={**audit.answers, **answers}, org={**audit.org, **(org or {})},
                              language=lang)
    render(CATALOG, lang, new, out)
    return out, {**{("answers", c): v for c, v in answers.items()}, **{("org", k): v for k, v in (org or {}).items()}}


@pytest.fixture(scope="module")
def filled(parts: list[Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict]:
    tmp = tmp_path_factory.mktemp("filled")
    out, edits = [], {}
    for part, team, lang in zip(parts, TEAMS, ("es", "en", "fr")):
        code = first_answerable(team)
        answer = next(a for a in CATALOG.scales[CATALOG.indicator(code).scale].codes
                      if a != read_workbook(part).audit.answers.get(code))
        path, made = fill(part, tmp / part.name, lang, {code: answer},
                          {"staff_total": 333} if team == "hr" else {"gross_loan_portfolio": 13_000_000} if team == "finance" else None)
        out.append(path)
        edits.update(made)
    return out, edits


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- split ---------------------------------------------------------------------------------------------
def test_split_writes_each_department_its_items_fields_and_answers(audit_file: Path, parts: list[Path]) -> None:
    original = read_workbook(audit_file).audit
    ids = set()
    for part, team in zip(parts, TEAMS):
        result = read_workbook(part)
        audit = result.audit
        ids.add(audit.audit_id)
        assert (audit.departments, audit.origin, audit.language, audit.edition) == ((team,), team, "fr", original.edition)
        rows = {code for (role, code) in result.cells if role == "questionnaire"}
        mine = CATALOG.indicators(departments=(team,))
        assert rows == {c for i in mine for c in (i.code, *(d.code for d in i.details))}
        assert audit.answers == {c: v for c, v in original.answers.items() if c in rows}
        assert audit.org == {k: v for k, v in original.org.items() if owns_field(CATALOG, k, (team,))}
        assert audit.metadata == original.metadata
        assert [f.code for f in result.findings] == []  # no "row missing" for other departments' rows
    assert len(ids) == 1 and len(ids.pop()) == 32  # one new audit id for all the parts
    assert read_workbook(audit_file).audit.audit_id == ""  # the auditor's file is never rewritten


def test_identity_is_shown_on_start_and_settings(parts: list[Path]) -> None:
    audit = read_workbook(parts[0]).audit
    start = [row for row in role_sheet(parts[0], "start")[1]]
    shown = {L.normalise(row[1]): L.normalise(row[2]) for row in start if len(row) > 2}
    assert shown[ui("meta.audit_id", "fr")] == audit.audit_id
    assert shown[ui("meta.origin", "fr")] == CATALOG.text("department.hr", "name", "fr")
    assert shown[ui("meta.departments", "fr")] == CATALOG.text("department.hr", "name", "fr")
    assert audit.created and audit.created == audit.updated


# --- merge ---------------------------------------------------------------------------------------------
def test_merge_gives_the_audit_plus_every_part_and_is_idempotent(audit_file, filled, tmp_path, capsys) -> None:
    files, edits = filled
    code, out, err = run(capsys, "merge", *map(str, reversed(files)), "--into", str(audit_file),
                         "--out", str(tmp_path / "merged.xlsx"), "--json")
    assert (code, err) == (0, "")
    report = json.loads(out)
    merged = read_workbook(tmp_path / "merged.xlsx").audit
    expected = {**slots(read_workbook(audit_file).audit), **edits}
    assert slots(merged) == expected
    assert report["conflicts"] == 0 and {(e["field"], e["item"]) for e in report["entries"]} == set(edits)
    assert merged.audit_id == read_workbook(files[0]).audit.audit_id and merged.departments is None
    assert [dataclasses.asdict(e) for e in merged.merged] == report["entries"]  # the sheet reads back as the JSON
    entry = next(e for e in report["entries"] if e["item"] == "staff_total")
    assert (entry["file"], entry["origin"], entry["value"]) == ("audit-hr.xlsx", "hr", "333")
    assert entry["cell"].startswith(f"'{ui('sheet.organization', 'es')}'!")  # the hr part was filled in Spanish
    code, _, _ = run(capsys, "merge", *map(str, files), "--into", str(audit_file), "--out", str(tmp_path / "again.xlsx"))
    assert code == 0 and (tmp_path / "again.xlsx").read_bytes() == (tmp_path / "merged.xlsx").read_bytes()


def test_conflicts_keep_both_values_in_the_report_through_convert(audit_file, parts, tmp_path, capsys) -> None:
    code = first_answerable("hr", 1)
    before = read_workbook(parts[0]).audit.answers.get(code)
    yes, no = [a for a in CATALOG.scales[CATALOG.indicator(code).scale].codes if a != before][:2]
    a, _ = fill(parts[0], tmp_path / "hr-awa.xlsx", "fr", {code: yes})
    b, _ = fill(parts[0], tmp_path / "hr-binta.xlsx", "en", {code: no})
    assert run(capsys, "merge", str(a), str(b), "--into", str(audit_file), "--out", str(tmp_path / "m.xlsx"))[0] == 0
    assert run(capsys, "convert", str(tmp_path / "m.xlsx"), "--lang", "es", "--out", str(tmp_path / "m-es.xlsx"))[0] == 0
    ids = {read_workbook(path).audit.audit_id for path in (a, tmp_path / "m.xlsx", tmp_path / "m-es.xlsx")}
    assert len(ids) == 1 and "" not in ids  # convert keeps the audit id
    for path in (tmp_path / "m.xlsx", tmp_path / "m-es.xlsx"):
        audit = read_workbook(path).audit
        [conflict] = [e for e in audit.merged if e.status == "conflict"]
        assert (conflict.item, conflict.value, conflict.other, conflict.rule) == (code, no, yes, "parts")
        assert audit.answers[code] == yes  # same save time: the first file name wins
    rows = role_sheet(tmp_path / "m-es.xlsx", "merge")[1]
    assert ui("merge_status.conflict", "es") in {L.normalise(v) for row in rows for v in row}
    code, out, _ = run(capsys, "merge", str(a), str(b), "--into", str(audit_file), "--out", str(tmp_path / "f.xlsx"),
                       "--prefer", "fail")
    assert code == 1 and not (tmp_path / "f.xlsx").exists()


def test_validate_lists_unanswered_items_per_department(audit_file, filled, tmp_path, capsys) -> None:
    assert run(capsys, "merge", *map(str, filled[0]), "--into", str(audit_file), "--out", str(tmp_path / "m.xlsx"))[0] == 0
    code, out, _ = run(capsys, "validate", str(tmp_path / "m.xlsx"), "--json")
    notes = [f for f in json.loads(out)["findings"] if f["code"] == "department.unanswered"]
    audit = read_workbook(tmp_path / "m.xlsx").audit
    unanswered = {i.department for i in CATALOG.indicators() if i.mandatory and not i.is_checklist
                  and i.code not in audit.answers}
    assert unanswered and unanswered <= {f["item"] for f in notes}
    for f in notes:  # in the workbook's language, the department by its name
        assert f["message"].startswith(CATALOG.text(f"department.{f['item']}", "name", "fr") + " : ")


def test_a_truncated_part_is_skipped_in_one_line_and_fails_the_merge_with_prefer_fail(audit_file, filled, tmp_path,
                                                                                       capsys) -> None:
    files, edits = filled
    broken = tmp_path / "audit-credit.xlsx"
    broken.write_bytes(files[0].read_bytes()[:5000])
    code, out, err = run(capsys, "merge", str(broken), *map(str, files), "--into", str(audit_file),
                         "--out", str(tmp_path / "m.xlsx"))
    assert code == 0 and len(err.splitlines()) == 1 and str(broken) in err and "[" in err
    assert slots(read_workbook(tmp_path / "m.xlsx").audit) == {**slots(read_workbook(audit_file).audit), **edits}
    code, _, err = run(capsys, "merge", str(broken), *map(str, files), "--into", str(audit_file),
                       "--out", str(tmp_path / "f.xlsx"), "--prefer", "fail")
    assert code == 1 and len(err.splitlines()) == 1 and not (tmp_path / "f.xlsx").exists()


def test_a_part_of_another_audit_is_refused_unless_forced(audit_file, filled, tmp_path, capsys) -> None:
    other = tmp_path / "other"
    assert main(["split", str(audit_file), "--departments", "hr", "--out", str(other)]) == 0  # a second split: new id
    code, _, err = run(capsys, "merge", str(other / "audit-hr.xlsx"), *map(str, filled[0]), "--into", str(audit_file),
                       "--out", str(tmp_path / "m.xlsx"))
    assert code == 1 and "[merge.foreign_audit]" in err and len(err.splitlines()) == 1
    code, _, _ = run(capsys, "merge", str(other / "audit-hr.xlsx"), *map(str, filled[0]), "--into", str(audit_file),
                     "--out", str(tmp_path / "m.xlsx"), "--force")
    assert code == 0


def test_build_department_makes_blank_parts_of_one_audit_that_merge_into_a_template(tmp_path, capsys) -> None:
    code, out, _ = run(capsys, "build", "--department", "hr,finance", "--lang", "en", "--format", "xlsx",
                       "--out", str(tmp_path), "--json")
    written = json.loads(out)
    assert code == 0 and len({e["audit_id"] for e in written}) == 1 and len(written) == 2
    hr, finance = (Path(e["file"]) for e in written)
    assert read_workbook(hr).audit.departments == ("hr",)
    filled_hr, made = fill(hr, tmp_path / "hr-filled.xlsx", "en", {first_answerable("hr"): "yes"})
    template = tmp_path / "template.xlsx"
    render(CATALOG, "en", None, template)
    assert run(capsys, "merge", str(filled_hr), str(finance), "--into", str(template), "--out", str(tmp_path / "m.xlsx"))[0] == 0
    merged = read_workbook(tmp_path / "m.xlsx").audit
    assert merged.audit_id == written[0]["audit_id"] and slots(merged) == made
    assert run(capsys, "build", "--department", "nobody", "--out", str(tmp_path))[0] == 1


# --- LibreOffice: sorted rows, saved by another program -------------------------------------------------
@pytest.mark.libreoffice
def test_parts_sorted_and_saved_by_libreoffice_merge_the_same(audit_file, filled, tmp_path, libreoffice, capsys) -> None:
    files, edits = filled
    saved = []
    for path in files:
        name, rows = role_sheet(path, "questionnaire")
        last_col = len(rows[0]) - 1
        libreoffice.edit_rows(path, tmp_path / path.name, name,
                              sort=(L.FIRST_DATA_ROW, len(rows) - 1, last_col, L.QUESTIONNAIRE.col("code"), False))
        saved.append(tmp_path / path.name)
        codes = [L.normalise(r[L.QUESTIONNAIRE.col("code")]) for r in role_sheet(saved[-1], "questionnaire")[1][2:]]
        assert codes == sorted(codes, reverse=True)  # sorted, as a user would: descending codes
    assert run(capsys, "merge", *map(str, saved), "--into", str(audit_file), "--out", str(tmp_path / "m.xlsx"))[0] == 0
    assert slots(read_workbook(tmp_path / "m.xlsx").audit) == {**slots(read_workbook(audit_file).audit), **edits}
    seen = libreoffice.inspect(tmp_path / "m.xlsx")  # the merged workbook opens cleanly, its report sheet there
    assert not seen["repaired"] and not seen["warnings"] and ui("sheet.merge", "fr") in seen["sheets"]


# --- the buttons: merge(book, parts) through xlwings' remote engine -----------------------------------------
def test_the_merge_button_writes_what_spi4xl_merge_writes(audit_file, filled, tmp_path, monkeypatch, capsys) -> None:
    enable_xlwings_pro(monkeypatch)
    files, edits = filled
    book = xw.Book(json=payload(audit_file, "VBA"))
    report = adapter.merge(book, [str(p) for p in files])
    actions = book.json()["actions"]
    book.close()
    log = replay(actions, audit_file, tmp_path / "merged-by-button.xlsx")
    after = read_workbook(tmp_path / "merged-by-button.xlsx").audit
    assert slots(after) == {**slots(read_workbook(audit_file).audit), **edits}
    assert {(e.field, e.item) for e in after.merged} == set(edits)
    prompt, title = log["alerts"][0][:2]
    assert title == ui("button.merge", "fr") and prompt.startswith("3 fichier(s) fusionné(s)")
    assert report.job == "merge"


def test_populate_keeps_the_identity_of_a_part(parts, tmp_path, monkeypatch) -> None:
    enable_xlwings_pro(monkeypatch)
    before = read_workbook(parts[1]).audit
    book = xw.Book(json=payload(parts[1], "VBA"))
    adapter.populate(book)
    actions = book.json()["actions"]
    book.close()
    replay(actions, parts[1], tmp_path / "populated.xlsx")
    after = read_workbook(tmp_path / "populated.xlsx").audit
    identity = ("audit_id", "origin", "created", "updated", "departments")
    assert [getattr(after, k) for k in identity] == [getattr(before, k) for k in identity]
    assert after.departments == ("finance",)
