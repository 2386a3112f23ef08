"""Validation findings: each code triggered by a minimal change to a clean audit, none on the clean one,
near misses that must stay silent, and messages that render in every language."""

from __future__ import annotations

import ast
import copy
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from spi4xl.audit import Audit
from spi4xl.catalog import load_catalog
from spi4xl.findings import SEVERITIES, Finding, located
from spi4xl.merge import MergeEntry
from spi4xl.ui import LANGUAGES, ui_source, ui_translations
from spi4xl import validation
from spi4xl.validation import validate

from audits import CLEAN_ORG

EDITION = "usspm-2016"

CLEAN_META = {"organization": "Example MFI", "country": "SN", "auditor": "A. Diallo", "assessment_type": "external",
              "start_date": dt.date(2017, 3, 1), "end_date": dt.date(2017, 3, 10)}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(EDITION)


def default_value(field):
    """A valid value for a field this test does not know (the catalog may gain fields)."""
    return {"choice": (field.choices or ("",))[0], "date": dt.date(2016, 12, 31), "text": "x",
            "percent": 0.1}.get(field.type, field.min if field.min is not None and field.min > 0 else 1)


@pytest.fixture(scope="module")
def clean_audit(catalog) -> Audit:
    answers, comments = {}, {}
    for ind in catalog.all_indicators():
        if ind.is_checklist:
            answers.update(dict.fromkeys((d.code for d in ind.details), "yes"))
        else:
            answers[ind.code] = "yes"
            answers.update(dict.fromkeys((d.code for d in ind.details), "yes"))
        comments[ind.code] = "Policy manual p. 12; interview with the operations manager"
    org = {f.id: CLEAN_ORG.get(f.id, default_value(f)) for f in catalog.org_fields}
    return Audit(EDITION, language="en", metadata=dict(CLEAN_META), answers=answers, comments=comments, org=org)


def run(catalog, clean_audit, change, lang="en") -> list[Finding]:
    audit = copy.deepcopy(clean_audit)
    audit.language = lang
    change(audit)
    return validate(audit, catalog)


def setting(attr, key, value):
    def change(audit):
        getattr(audit, attr)[key] = value
    return change


def removing(attr, *keys):
    def change(audit):
        for key in keys:
            getattr(audit, attr).pop(key, None)
    return change


def steps(*changes):
    def change(audit):
        for c in changes:
            c(audit)
    return change


def uncomment_dimension(dim):
    def change(audit):
        for code in [c for c in audit.comments if c.startswith(dim)]:
            del audit.comments[code]
    return change


def details(code, *values):
    return steps(*(setting("answers", f"{code}.{n}", v) for n, v in enumerate(values, 1)))


def merged(audit):
    """The audit came out of `spi4xl merge`: its merge report holds a row."""
    audit.merged = (MergeEntry("added", "answers", "1A.1.1", "yes", "hr.xlsx", "hr", "'Questionnaire'!D5", ""),)


# (case, change, code, severity, item, sheet)
TRIGGERS = [
    ("meta missing", removing("metadata", "country"), "meta.missing", "warning", "country", "start"),
    ("meta blank", setting("metadata", "organization", "  "), "meta.missing", "warning", "organization", "start"),
    ("meta dates", setting("metadata", "end_date", dt.date(2017, 2, 1)), "meta.dates", "error", "end_date", "start"),
    ("meta dates as text", steps(setting("metadata", "start_date", "2017-03-01"),
                                 setting("metadata", "end_date", "2017-02-01")), "meta.dates", "error", "end_date",
     "start"),
    ("org missing", removing("org", "active_clients"), "org.missing", "error", "active_clients", "organization"),
    ("org not integer", setting("org", "branches", 24.5), "org.type", "error", "branches", "organization"),
    ("org text for number", setting("org", "gross_loan_portfolio", "12 bn"), "org.type", "error",
     "gross_loan_portfolio", "organization"),
    ("org bool for number", setting("org", "deposits", True), "org.type", "error", "deposits", "organization"),
    ("org not a date", setting("org", "reporting_date", "end of year"), "org.type", "error", "reporting_date",
     "organization"),
    ("org not a choice", setting("org", "legal_form", "mfi"), "org.type", "error", "legal_form", "organization"),
    ("org below min", setting("org", "year_founded", 1700), "org.bound", "error", "year_founded", "organization"),
    ("org above max", setting("org", "roa", 1.5), "org.bound", "error", "roa", "organization"),
    ("org negative count", setting("org", "branches", -1), "org.bound", "error", "branches", "organization"),
    ("percent typed whole", setting("org", "portfolio_yield", 35), "org.percent_scale", "warning",
     "portfolio_yield", "organization"),
    ("percent typed whole, bounded", setting("org", "par30", 4), "org.bound", "error", "par30", "organization"),
    ("org rule", setting("org", "women_clients", 60000), "org.rule", "error", "women_clients", "organization"),
    ("org rule >=", setting("org", "active_loans", 39000), "org.rule", "error", "active_loans", "organization"),
    ("percent typed whole in a General cell", steps(setting("org", "average_apr", 45),
                                                    setting("org_formats", "average_apr", "number")),
     "org.percent_scale", "warning", "average_apr", "organization"),
    # CLEAN_ORG: 12,000,000,000 / 41,500 loans = 289,156.6; the tolerance is 10 % of that
    ("average loan above portfolio / loans", setting("org", "average_loan", 318_100), "org.average_loan", "warning",
     "average_loan", "organization"),
    ("average loan below portfolio / loans", setting("org", "average_loan", 260_200), "org.average_loan", "warning",
     "average_loan", "organization"),
    ("deposits without savers", setting("org", "voluntary_savers", 0), "org.deposits_savers", "error", "deposits",
     "organization"),
    ("savers without deposits", setting("org", "deposits", 0), "org.deposits_savers", "error", "deposits",
     "organization"),
    ("answer missing", removing("answers", "1A.2.1"), "answer.missing", "error", "1A.2.1", "questionnaire"),
    ("answer not in scale", setting("answers", "1A.2.1", "maybe"), "answer.missing", "error", "1A.2.1",
     "questionnaire"),
    ("checklist detail missing", removing("answers", "1A.1.2.3"), "answer.missing", "error", "1A.1.2.3",
     "questionnaire"),
    ("na forbidden", setting("answers", "1A.1.1", "na"), "answer.na_forbidden", "error", "1A.1.1", "questionnaire"),
    ("na forbidden typed", steps(removing("answers", "1A.1.1"), setting("unparsed", ("1A.1.1", "answer"), " n/a ")),
     "answer.na_forbidden", "error", "1A.1.1", "questionnaire"),
    ("na no comment", steps(setting("answers", "1A.2.1", "na"), removing("comments", "1A.2.1")),
     "answer.na_no_comment", "warning", "1A.2.1", "questionnaire"),
    ("checklist na no comment", steps(details("1A.1.2", *["na"] * 5), removing("comments", "1A.1.2")),
     "answer.na_no_comment", "warning", "1A.1.2", "questionnaire"),
    ("no evidence", removing("comments", "1A.2.1"), "answer.no_evidence", "warning", "1A.2.1", "questionnaire"),
    ("partially no evidence", steps(setting("answers", "1A.2.1", "partially"), removing("comments", "1A.2.1")),
     "answer.no_evidence", "warning", "1A.2.1", "questionnaire"),
    ("checklist no evidence", removing("comments", "1A.1.2"), "answer.no_evidence", "warning", "1A.1.2",
     "questionnaire"),
    ("yes over mostly no", details("1A.1.3", "no", "no", "yes"), "detail.contradiction", "warning", "1A.1.3",
     "questionnaire"),
    ("no over all yes", setting("answers", "1A.1.3", "no"), "detail.contradiction", "warning", "1A.1.3",
     "questionnaire"),
    ("na over all yes", setting("answers", "1A.1.3", "na"), "detail.contradiction", "warning", "1A.1.3",
     "questionnaire"),
    ("overestimated", uncomment_dimension("1"), "dimension.overestimated", "warning", "1", "questionnaire"),
    ("incomplete", removing("answers", "1A.2.1", "2A.1.1"), "audit.incomplete", "info", "", "questionnaire"),
    ("unanswered after a merge", steps(removing("answers", "1A.2.1"), merged), "department.unanswered", "info",
     "management", "questionnaire"),
]


@pytest.mark.parametrize("case,change,code,severity,item,sheet", TRIGGERS, ids=[t[0] for t in TRIGGERS])
def test_finding_triggered(catalog, clean_audit, case, change, code, severity, item, sheet):
    findings = run(catalog, clean_audit, change)
    hits = [f for f in findings if f.code == code and f.item == item]
    assert hits, [(f.code, f.item) for f in findings]
    assert all(f.severity == severity and f.sheet == sheet and f.cell == "" for f in hits)
    assert all(f.severity in SEVERITIES for f in findings)


def test_clean_audit_has_no_findings(catalog, clean_audit):
    assert validate(clean_audit, catalog) == []


def emitted_codes(module) -> set[str]:
    """The codes a module can emit: the literal first argument (or code=) of every `Finding(...)` call in
    its source. A call whose code is not a literal fails, so the set cannot silently miss one."""
    codes, source = set(), Path(module.__file__).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Finding":
            arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "code"), None)
            assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), \
                f"{module.__name__} line {node.lineno}: Finding code is not a literal string"
            codes.add(arg.value)
    return codes


def test_every_code_is_covered():
    emitted = emitted_codes(validation)
    assert emitted, "no Finding(...) call found in spi4xl/validation.py"
    triggered = {t[2] for t in TRIGGERS}
    assert emitted - triggered == set(), "codes validation can emit with no case in TRIGGERS"
    assert triggered - emitted == set(), "codes in TRIGGERS that validation never emits"
    texts = {key[0][len("ui.finding."):] for key in ui_source() if key[0].startswith("ui.finding.")
             and not key[0].endswith(".hint")}
    assert emitted - texts == set(), "codes without a message in spi4xl/ui/en/validation.yaml"


# (case, change, codes that must NOT appear)
NEAR_MISSES = [
    ("optional indicator blank", removing("answers", "1A.3.2"), {"answer.missing", "audit.incomplete"}),
    ("optional checklist blank", removing("answers", *[f"1A.4.2.{n}" for n in range(1, 5)]), {"answer.missing"}),
    ("detail of an answer indicator blank", removing("answers", "1A.1.3.1"), {"answer.missing"}),
    ("out of profile", lambda a: (setattr(a, "profile", "cp"), a.answers.pop("1A.2.1")), {"answer.missing"}),
    ("out of modules", lambda a: (setattr(a, "modules", ()), a.answers.pop("1A.1.4"), a.comments.pop("1A.2.3")),
     {"answer.missing", "answer.no_evidence"}),
    ("na allowed with a reason", setting("answers", "1A.2.1", "na"), {"answer.na_forbidden", "answer.na_no_comment"}),
    ("no without comment", steps(setting("answers", "1A.2.1", "no"), removing("comments", "1A.2.1")),
     {"answer.no_evidence"}),
    ("evidence on a detail counts", steps(removing("comments", "1A.1.2"), setting("comments", "1A.1.2.1", "MIS")),
     {"answer.no_evidence"}),
    ("percent at 100 %", setting("org", "client_retention", 1), {"org.percent_scale", "org.bound"}),
    ("percent above 100", setting("org", "portfolio_yield", 150), {"org.percent_scale"}),
    ("APR of 1.2 in a percent cell", steps(setting("org", "average_apr", 1.2), setting("org_formats", "average_apr", "percent")),
     {"org.percent_scale", "org.bound"}),
    ("45 in a percent cell is 4,500 %", steps(setting("org", "average_apr", 45),
                                              setting("org_formats", "average_apr", "percent")), {"org.percent_scale"}),
    ("average loan within the tolerance", setting("org", "average_loan", 318_000), {"org.average_loan"}),
    ("average loan within the tolerance, below", setting("org", "average_loan", 260_300), {"org.average_loan"}),
    ("average loan without loans outstanding", steps(setting("org", "average_loan", 1), removing("org", "active_loans")),
     {"org.average_loan"}),
    ("average loan with zero loans", steps(setting("org", "active_loans", 0), setting("org", "active_borrowers", 0)),
     {"org.average_loan"}),
    ("no deposits and no savers", steps(setting("org", "deposits", 0), setting("org", "voluntary_savers", 0)),
     {"org.deposits_savers"}),
    ("deposits blank", removing("org", "deposits"), {"org.deposits_savers"}),
    ("integral float for integer", setting("org", "branches", 24.0), {"org.type"}),
    ("iso text date", setting("org", "reporting_date", "2016-12-31"), {"org.type"}),
    ("negative equity", setting("org", "equity", -5), {"org.bound"}),
    ("optional org blank", removing("org", "ceo_pay_ratio", "new_clients"), {"org.missing"}),
    ("org typed but unreadable", steps(removing("org", "branches"), setting("unparsed", ("branches", "value"), "24 br")),
     {"org.missing"}),
    ("rule with a side blank", removing("org", "clients_below_poverty_line"), {"org.rule"}),
    ("rule at equality", setting("org", "women_clients", 52000), {"org.rule"}),
    ("auditor and end date optional", removing("metadata", "auditor", "end_date"), {"meta.missing", "meta.dates"}),
    ("same day", setting("metadata", "end_date", dt.date(2017, 3, 1)), {"meta.dates"}),
    ("yes with half no", details("1A.1.3", "no", "yes", "na"), {"detail.contradiction"}),
    ("no with one yes", steps(setting("answers", "1A.1.3", "no"), details("1A.1.3", "yes", "na", "na")),
     {"detail.contradiction"}),
    ("na with one yes", steps(setting("answers", "1A.1.3", "na"), details("1A.1.3", "yes", "na", "na")),
     {"detail.contradiction"}),
    ("partially whatever the details", steps(setting("answers", "1A.1.3", "partially"), details("1A.1.3", "no", "no")),
     {"detail.contradiction"}),
    ("half commented", lambda a: [a.comments.pop(c) for c in [i.code for i in load_catalog(EDITION).indicators()
                                                                if i.dimension == "1" and i.module == "core"][:7]],
     {"dimension.overestimated"}),
    ("one answer not yes", steps(uncomment_dimension("1"), setting("answers", "1A.2.1", "partially")),
     {"dimension.overestimated"}),
]


@pytest.mark.parametrize("case,change,absent", NEAR_MISSES, ids=[n[0] for n in NEAR_MISSES])
def test_finding_not_triggered(catalog, clean_audit, case, change, absent):
    findings = run(catalog, clean_audit, change)
    assert not [f for f in findings if f.code in absent], [(f.code, f.item) for f in findings]


def test_org_values_and_rule_text_in_audit_language(catalog, clean_audit):
    findings = run(catalog, clean_audit, steps(setting("org", "women_clients", 60000),
                                               setting("org", "par30", 4)), lang="fr")
    rule = next(f for f in findings if f.code == "org.rule")
    assert rule.values["rule"] == catalog.text("rule.women_clients_within_clients", "message", "fr")
    assert rule.values["rule"] != catalog.text("rule.women_clients_within_clients", "message", "en")
    bound = next(f for f in findings if f.code == "org.bound")
    assert (bound.values["min"], bound.values["max"], bound.values["value"]) == ("0", "1", "4")
    scale = next(f for f in findings if f.code == "org.percent_scale")
    assert scale.values["fraction"] == "0.04"


def test_average_loan_finding_states_the_tolerance_and_the_quotient(catalog, clean_audit):
    (finding,) = [f for f in run(catalog, clean_audit, setting("org", "average_loan", 400_000), lang="fr")
                  if f.code == "org.average_loan"]
    assert finding.values == {"value": "400000", "expected": "289156.63", "tolerance": "10"}
    assert "10 %" in finding.message("fr") and "289156.63" in finding.message("fr")


def test_incomplete_counts_mandatory_indicators(catalog, clean_audit):
    findings = run(catalog, clean_audit, removing("answers", "1A.2.1", "1A.3.2", "1A.1.2.1", "1A.1.2.2"))
    incomplete = [f for f in findings if f.code == "audit.incomplete"]
    assert len(incomplete) == 1 and incomplete[0].values["count"] == 2
    assert sorted(f.item for f in findings if f.code == "answer.missing") == ["1A.1.2.1", "1A.1.2.2", "1A.2.1"]


def test_na_forbidden_is_not_also_missing(catalog, clean_audit):
    findings = run(catalog, clean_audit, setting("answers", "1A.1.1", "na"))
    assert [f.code for f in findings if f.item == "1A.1.1"] == ["answer.na_forbidden"]


def test_empty_audit(catalog):
    findings = validate(Audit(EDITION), catalog)
    codes = {f.code for f in findings}
    assert {"meta.missing", "org.missing", "answer.missing", "audit.incomplete"} == codes
    assert sum(f.code == "meta.missing" for f in findings) == 4


# --- messages ---------------------------------------------------------------------------------
def all_triggered(catalog, clean_audit) -> list[Finding]:
    found = {}
    for _case, change, *_ in TRIGGERS:
        for f in run(catalog, clean_audit, change):
            found.setdefault(f.code, f)
    return list(found.values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_messages_render(catalog, clean_audit, lang):
    findings = all_triggered(catalog, clean_audit)
    assert len(findings) >= 14
    for finding in findings:
        message, hint = finding.message(lang), finding.hint(lang)
        assert message.strip() and hint.strip()
        assert "{" not in message and "{" not in hint, (finding.code, message, hint)
        assert finding.as_dict(lang)["message"] == message


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_validation_messages_translated(lang):
    keys = {key for key in ui_source() if key[0].startswith("ui.finding.")}
    statuses = {e.key: e.status for e in ui_translations(lang).entries if e.key in keys}
    assert statuses and all(status == "done" for status in statuses.values()), statuses


def test_unanswered_items_are_listed_per_department_only_for_merged_audits(catalog, clean_audit):
    """After a merge the champion sees whom to chase: one note per department naming its unanswered indicators."""
    plain = run(catalog, clean_audit, removing("answers", "1A.2.1", "2B.1.3"))
    assert not [f for f in plain if f.code == "department.unanswered"]
    after = run(catalog, clean_audit, steps(removing("answers", "1A.2.1", "2B.1.3"), merged))
    notes = {f.item: f for f in after if f.code == "department.unanswered"}
    owner = catalog.indicator("2B.1.3").department
    assert notes["management"].values == {"count": 1, "codes": "1A.2.1"}
    assert notes[owner].values["codes"].split(", ") == ["2B.1.3"]
    assert notes[owner].message("fr").startswith(catalog.text(f"department.{owner}", "name", "fr"))


def test_located_findings_keep_every_field_but_the_cell():
    """located() builds findings field by field (faster than dataclasses.replace): none may be lost, and a new
    field of Finding must be added there too."""
    assert [f.name for f in dataclasses.fields(Finding)] == ["code", "severity", "item", "sheet", "cell", "values", "names"]
    found = Finding("org.invalid", "error", "deposits", "organization", "", {"raw": "x", "kind": "number"},
                    {"en": "Deposits", "fr": "Dépôts"})
    kept = Finding("answer.missing", "error", "1A.1.1", "questionnaire", "D7")
    moved, same = located([found, kept], {("organization", "deposits"): "C12"})
    assert dataclasses.asdict(moved) == dataclasses.asdict(dataclasses.replace(found, cell="C12"))
    assert same is kept

