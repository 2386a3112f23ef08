"""Render -> read gives the same audit back; conversions between languages lose nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits import CATALOG, INDICATORS, LANGS, audits, random_audit
from spi4xl.convert import convert
from spi4xl.validation import validate
from spi4xl.workbook.read import read_audit, read_workbook
from spi4xl.workbook.render import render

SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.slow
@SLOW
@given(audit=audits())
def test_render_then_read_gives_the_same_audit(tmp_path, audit):
    path = render(CATALOG, audit.language, audit, tmp_path / "audit.xlsx")
    assert read_audit(path) == audit


def test_text_that_reads_like_an_excel_error_is_kept(tmp_path):
    """A comment typed as '#N/A' is the auditor's text (Hypothesis found '#UNKNOWN!' lost); only error cells, which
    python-calamine gives as empty, and the error texts xlwings' clients send for them read as empty."""
    from spi4xl.workbook.layout import EXCEL_ERRORS

    audit = random_audit(3, fill=0.2)
    codes = [c for c in INDICATORS if c not in audit.comments][:len(EXCEL_ERRORS)]
    audit.comments.update(zip(codes, sorted(EXCEL_ERRORS)))
    path = render(CATALOG, audit.language, audit, tmp_path / "audit.xlsx")
    assert read_audit(path) == audit


def test_free_texts_of_blanks_only_are_kept(tmp_path):
    """A Start or Organization text typed as spaces is what was typed (Hypothesis found a country ' ' lost); the
    validator still calls it missing, and a date or a term of spaces still reads as empty."""
    audit = random_audit(4, fill=0.2)
    text_field = next(f.id for f in CATALOG.org_fields if f.type == "text" and f.mandatory)
    audit.metadata.update(country=" ", auditor="\u00a0 ")
    audit.org[text_field] = "  "
    path = render(CATALOG, audit.language, audit, tmp_path / "audit.xlsx")
    assert read_audit(path) == audit
    assert {("meta.missing", "country"), ("org.missing", text_field)} <= {(f.code, f.item) for f in validate(audit, CATALOG)}


def test_answers_and_evidence_of_spaces_only_are_kept_and_found(tmp_path):
    """An answer or evidence cell holding only spaces looks empty but is not: it is kept as typed and reported
    (Hypothesis found a 1.0.0 answer of a no-break space lost)."""
    audit = random_audit(5, fill=0)
    ind = next(i for i in CATALOG.indicators() if not i.is_checklist)
    audit.unparsed[(ind.code, "answer")] = "\u00a0"
    audit.unparsed[(ind.code, "evidence")] = "  "
    path = render(CATALOG, audit.language, audit, tmp_path / "audit.xlsx")
    result = read_workbook(path)
    assert result.audit == audit
    assert {("answer.invalid", ind.code), ("evidence.invalid", ind.code)} <= {(f.code, f.item) for f in result.findings}


@pytest.mark.slow
@SLOW
@given(audit=audits(), pair=st.sampled_from(list(itertools.permutations(LANGS, 2))))
def test_convert_there_and_back_gives_the_same_audit(tmp_path, audit, pair):
    a, b = pair
    audit = dataclasses.replace(audit, language=a)
    first = render(CATALOG, a, audit, tmp_path / f"{a}.xlsx")
    convert(first, b, tmp_path / f"{b}.xlsx")
    there = read_audit(tmp_path / f"{b}.xlsx")
    assert there == dataclasses.replace(audit, language=b)
    convert(tmp_path / f"{b}.xlsx", a, tmp_path / f"back-{a}.xlsx")
    assert read_audit(tmp_path / f"back-{a}.xlsx") == audit


def test_answers_in_any_language_or_case_are_understood(tmp_path):
    audit = random_audit(1, "fr", fill=0)
    path = render(CATALOG, "fr", audit, tmp_path / "fr.xlsx")
    book = openpyxl.load_workbook(tmp_path / "fr.xlsx")  # our own test copy, never an auditor's file
    ws = book["Questionnaire"]
    codes = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    typed = {"1A.1.2.1": " OUI ", "4A.1.1.1": "yes", "4A.1.1.2": "Sí", "1A.1.3": "partially", "2A.1.1": "Parcialmente",
             "1B.2.1": "s.o.", "3A.1.1": "n/a", "5A.1.2": "YESS"}
    for code, text in typed.items():
        ws.cell(codes[code], 4).value = text
    book.save(tmp_path / "typed.xlsx")
    result = read_workbook(tmp_path / "typed.xlsx")
    answers = result.audit.answers
    assert [answers.get(c) for c in typed] == ["yes", "yes", "yes", "partially", "partially", "na", "na", None]
    assert result.audit.unparsed[("5A.1.2", "answer")] == "YESS"
    (finding,) = result.findings
    assert (finding.code, finding.item, finding.cell) == ("answer.invalid", "5A.1.2", f"D{codes['5A.1.2']}")
    assert "YESS" in finding.message("fr") and "Oui" in finding.message("fr")
    assert path.exists()


@pytest.mark.slow
def test_sorted_rows_inserted_rows_and_columns_and_renamed_sheets_still_read(tmp_path):
    audit = random_audit(7, "es")
    path = render(CATALOG, "es", audit, tmp_path / "es.xlsx")
    book = openpyxl.load_workbook(path)
    ws = book["Cuestionario"]
    rows = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows(min_row=3)]
    rows.sort(key=lambda r: str(r[1][0]))  # an auditor sorts by indicator text
    for i, values in enumerate(rows, start=3):
        for j, (value, kind) in enumerate(values, start=1):
            ws.cell(i, j).value = value
            ws.cell(i, j).data_type = kind  # keep text like "=SUM(A1)" text, as Excel's sort does
    ws.insert_rows(2, 3)  # rows above the header
    ws.insert_cols(3)  # a column of their own
    ws.column_dimensions["B"].hidden = True
    book["Organización"].insert_rows(1)
    book["Cuestionario"].title = "Mi cuestionario"
    book["Inicio"].title = "Portada"
    book.save(tmp_path / "edited.xlsx")
    assert read_audit(tmp_path / "edited.xlsx") == audit


def test_reading_and_converting_never_touch_the_input(tmp_path):
    path = render(CATALOG, "en", random_audit(3), tmp_path / "in.xlsx")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    read_workbook(path)
    convert(path, "fr", tmp_path / "out.xlsx")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_items_outside_the_profile_are_kept_on_the_conversion_sheet(tmp_path):
    audit = random_audit(5, "en")
    gender = next(i for i in CATALOG.all_indicators() if i.module == "gender" and not i.is_checklist)
    audit.answers[gender.code] = "yes"
    audit.comments[gender.code] = "seen in HR files"
    core_only = dataclasses.replace(audit, modules=())
    path = render(CATALOG, "en", core_only, tmp_path / "core.xlsx")
    result = read_workbook(path)
    assert result.audit == core_only
    assert "conversion" in result.sheets
    back = dataclasses.replace(result.audit, modules=None)
    full = render(CATALOG, "en", back, tmp_path / "full.xlsx")
    assert read_audit(full).answers[gender.code] == "yes"


@pytest.mark.parametrize("lang", LANGS)
def test_templates_read_as_empty_audits(tmp_path, lang):
    path = render(CATALOG, lang, None, tmp_path / "t.xlsx")
    audit = read_audit(path)
    assert (audit.language, audit.edition, audit.catalog_version) == (lang, CATALOG.edition, CATALOG.version)
    assert not (audit.answers or audit.comments or audit.org or audit.unparsed)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.libreoffice
def test_a_workbook_saved_by_a_real_spreadsheet_engine_reads_the_same(tmp_path, libreoffice, lang):
    """What an auditor saves from LibreOffice (its own xlsx writer) reads back to the same audit."""
    audit = random_audit(11, lang)
    audit.flags["1A.1.1"] = "=à vérifier\nligne 2"
    path = render(CATALOG, lang, audit, tmp_path / "in.xlsx")
    libreoffice.recalculate(path, tmp_path / "saved.xlsx")
    assert read_audit(tmp_path / "saved.xlsx") == audit


def test_notes_typed_beside_header_rows_are_kept(tmp_path):
    """A comment or flag typed on a dimension, standard or practice row reads back and survives convert."""
    path = render(CATALOG, "fr", random_audit(5, "fr"), tmp_path / "a.xlsx")
    book = openpyxl.load_workbook(path)
    ws = next(w for w in book.worksheets if w["A1"].value == "spi4xl:questionnaire")
    col = {c.value: c.column for c in ws[1]}
    rows = {ws.cell(r, 1).value: r for r in range(3, ws.max_row + 1)}
    notes = {"1": "Vu avec le CA", "1A": "Stratégie 2016-2020", "2B.1": "À revoir"}
    for code, text in notes.items():
        ws.cell(rows[code], col["comment"]).value = text
    ws.cell(rows["1A"], col["flag"]).value = "relancer"
    book.save(tmp_path / "typed.xlsx")
    audit = read_audit(tmp_path / "typed.xlsx")
    assert {c: audit.comments.get(c) for c in notes} == notes and audit.flags["1A"] == "relancer"
    convert(tmp_path / "typed.xlsx", "es", tmp_path / "es.xlsx")
    back = read_workbook(tmp_path / "es.xlsx")
    assert {c: back.audit.comments.get(c) for c in notes} == notes and back.audit.flags["1A"] == "relancer"
    assert "conversion" not in back.sheets  # placed on their own rows, not on the conversion report
