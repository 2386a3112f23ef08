"""What the workbook shows by name (profile, modules, conversion status, severity, field labels) reads
back from any language, and each finding's link sits on its own row."""

from __future__ import annotations

import openpyxl
import pytest

from audits import CATALOG, random_audit
from spi4xl.audit import Audit
from spi4xl.findings import Finding
from spi4xl.validation import validate
from spi4xl.workbook.names import (CONVERSION_STATUSES, modules_name, parse_modules_name, parse_profile,
                                   parse_status, profile_name, status_name)
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook.render import render
from spi4xl.catalog.model import PROFILES


@pytest.mark.parametrize("lang", CATALOG.languages)
def test_names_read_back_in_every_language(lang):
    for profile in PROFILES:
        assert parse_profile(profile_name(profile, lang)) == profile
        assert parse_profile(f"  {profile_name(profile, lang).upper()} ") == profile
    for modules in (None, (), ("gender",), ("poverty", "rural")):
        assert parse_modules_name(CATALOG, modules_name(CATALOG, modules, lang)) == modules
    for status in CONVERSION_STATUSES:
        assert parse_status(status_name(status, lang)) == status
    assert parse_modules_name(CATALOG, "gender,rural") == ("gender", "rural")  # codes of older workbooks
    assert parse_profile("nonsense") is None and parse_status("nonsense") is None


def test_settings_and_conversion_report_read_back_from_french(tmp_path):
    audit = random_audit(3, "fr")
    audit.profile, audit.modules = "alinus", ("gender",)
    path = render(CATALOG, "fr", audit, tmp_path / "a.xlsx")
    read = read_workbook(path).audit
    assert (read.profile, read.modules) == ("alinus", ("gender",))
    outside = {c: a for c, a in audit.answers.items() if c not in {i.code for i in CATALOG.indicators("alinus", ("gender",))}
               and CATALOG.node(c) is not None and getattr(CATALOG.node(c), "details", None) is not None}
    assert outside and all(read.answers.get(c) == a for c, a in outside.items())  # kept on the conversion report


def test_findings_name_fields_by_label_and_link_on_their_row(tmp_path):
    audit = Audit(edition=CATALOG.edition, language="fr")
    findings = validate(audit, CATALOG)
    missing = next(f for f in findings if f.code == "org.missing" and f.item == "senior_managers_women")
    assert missing.message("fr").startswith("Femmes dans la direction générale :")
    assert Finding("meta.missing", "warning", "country", "start").message("es").startswith("País")
    path = render(CATALOG, "fr", audit, tmp_path / "f.xlsx", findings=findings)
    ws = next(w for w in openpyxl.load_workbook(path).worksheets if w["A1"].value == "spi4xl:findings")
    header = {c.value: c.column for c in ws[1]}
    linked = 0
    for row in ws.iter_rows(min_row=3):
        link = row[header["cell"] - 1]
        if link.hyperlink is None:
            continue
        linked += 1
        assert link.hyperlink.location.endswith("!" + link.value)
        assert link.alignment.vertical == "top"  # beside its own finding's texts, not at the foot of a tall row
        assert row[header["severity"] - 1].value in ("Erreur", "Avertissement", "Remarque")
    assert linked > 40
