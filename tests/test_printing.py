"""Every sheet prints: the page setup the renderer writes, checked on paper through LibreOffice's PDF export.

Filled audits in EN/FR/ES (Findings, Conversion report and Peer comparison sheets included) are printed
as their page setup says, then read back with pdfinfo/pdftotext: each page names its sheet in the
header, no table spills into page-columns (every page holds its first and last columns), Start and
Settings fit one page, the Dashboard two, and paper, header and footer are the workbook's.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from audits import CATALOG, random_audit
from spi4xl.compare import compare
from spi4xl.engines.libreoffice import available, pages_by_sheet, pdf_page_texts
from spi4xl.errors import Spi4xlError
from spi4xl.scoring import score
from spi4xl.ui import ui
from spi4xl.validation import validate
from spi4xl.workbook import layout as L
from spi4xl.workbook.printing import DEFAULT_PAPER, header_footer, paper_for
from spi4xl.build import TEMPLATES_DIR
from spi4xl.workbook.render import new_context, render, sheet_names

ORG = "Crédit & Épargne Ejemplo"  # an ampersand: a code character in Excel headers, printed as is
START, END = dt.date(2026, 9, 1), dt.date(2026, 9, 12)
# (language, paper asked for, paper expected): both defaults, and an override
CASES = (("en", "letter", "letter"), ("fr", None, "a4"), ("es", None, "letter"))
PAGE_POINTS = {"a4": (595, 842), "letter": (612, 792)}
needs_libreoffice = pytest.mark.skipif(not available() and not os.environ.get("CI"),
                                       reason="LibreOffice is not installed: run scripts/setup-tests.sh")
TABLES = (L.ORGANIZATION, L.QUESTIONNAIRE, L.RESULTS, L.FINDINGS, L.PLAN, L.CONVERSION, L.PEERS)


def filled_audit(lang: str):
    audit = random_audit(7, lang)
    audit.metadata.update(organization=ORG, country="Perú", start_date=START, end_date=END)
    audit.answers["9Z.9.9"] = "yes"  # no such indicator: kept on the Conversion report sheet
    return audit


def paper_setting(path: Path) -> set[str]:
    """The paperSize attribute of every sheet of a workbook file."""
    with zipfile.ZipFile(path) as z:
        return {m for n in z.namelist() if n.startswith("xl/worksheets/sheet")
                for m in re.findall(r'paperSize="(\d+)"', z.read(n).decode())}


def test_paper_defaults_by_language_and_unknown_paper_refused(tmp_path: Path) -> None:
    assert set(DEFAULT_PAPER) == set(CATALOG.languages)
    assert paper_for("es") == "letter" and paper_for("fr") == "a4" and paper_for("es", "a4") == "a4"
    with pytest.raises(Spi4xlError) as err:
        render(CATALOG, "en", None, tmp_path / "a3.xlsx", paper="a3")
    assert err.value.code == "render.paper"
    assert not (tmp_path / "a3.xlsx").exists()
    assert paper_setting(render(CATALOG, "es", None, tmp_path / "es.xlsx")) == {"1"}
    assert paper_setting(render(CATALOG, "es", None, tmp_path / "es-a4.xlsx", paper="a4")) == {"9"}


def test_build_paper_option(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "spi4xl.cli", "build", "--lang", "fr", "--format", "xlsx", "--paper",
                           "letter", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (built,) = tmp_path.glob("*.xlsx")
    assert paper_setting(built) == {"1"}  # French defaults to A4: the option wins


def test_header_escapes_text_and_keeps_codes() -> None:
    ctx = new_context(CATALOG, "fr", filled_audit("fr"), fmt=None)  # type: ignore[arg-type]
    header, footer = header_footer(ctx)
    assert header == f"&L{ORG.replace('&', '&&')}&C&A&RAudit du 2026-09-01 au 2026-09-12"
    assert footer == "&CPage &P sur &N"
    ctx.audit.metadata.clear()
    assert header_footer(ctx)[0] == "&L&C&A&R"  # a template: the sheet name only


# --- on paper -----------------------------------------------------------------------------------
def _sizes(pdf: Path) -> list[tuple[int, int]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "9999", pdf], capture_output=True, text=True, check=True).stdout
    return [(round(float(w)), round(float(h))) for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info, re.M)]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text))


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory, libreoffice) -> dict[str, dict]:
    """Per language: the pages of each sheet (by the sheet name in their header), sizes, paper expected."""
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils is not installed: run scripts/setup-tests.sh")
    out = tmp_path_factory.mktemp("printed")
    result = {}
    for lang, paper, expected in CASES:
        audit = filled_audit(lang)
        scores = score(audit, CATALOG)
        peers = compare(scores, pd.DataFrame({"overall": [0.4, 0.6, 0.7], "dim_1": [0.5, 0.8, 0.9]}))
        book = render(CATALOG, lang, audit, out / f"audit-{lang}.xlsx", findings=validate(audit, CATALOG),
                      peers=peers, paper=paper)
        pdf = libreoffice.print_pdf(book, out / f"audit-{lang}.pdf")
        role_of = {name: role for role, name in sheet_names(lang).items()}
        pages = pdf_page_texts(pdf)
        # a page whose header names no one sheet goes under None: a failure below
        by_sheet = {role_of.get(name): [pages[n - 1] for n in numbers]
                    for name, numbers in pages_by_sheet(pages, role_of).items()}
        result[lang] = {"pages": pages, "by_sheet": by_sheet, "sizes": _sizes(pdf), "paper": expected}
    return result


@needs_libreoffice
@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.parametrize("lang", [c[0] for c in CASES])
def test_every_visible_sheet_prints_in_order_on_its_paper(lang: str, printed: dict) -> None:
    p = printed[lang]
    assert list(p["by_sheet"]) == ["start", "organization", "questionnaire", "results", "dashboard", "findings",
                                   "plan", "conversion", "peers", "settings"]  # the hidden lists sheet does not print
    w, h = PAGE_POINTS[p["paper"]]
    assert len(p["sizes"]) == len(p["pages"])
    assert set(p["sizes"]) <= {(w, h), (h, w)}, f"pages not all {p['paper']}: {sorted(set(p['sizes']))}"


@needs_libreoffice
@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.parametrize("lang", [c[0] for c in CASES])
def test_header_and_footer_in_the_workbook_language(lang: str, printed: dict) -> None:
    pages = printed[lang]["pages"]
    dates = ui("print.dates", lang, start=START.isoformat(), end=END.isoformat())
    for i, text in enumerate(pages, start=1):
        lines = _lines(text) or [""]
        assert ORG in lines[0] and dates in lines[0], lines[0]
        assert lines[-1] == ui("print.page", lang, page=i, pages=len(pages))


@needs_libreoffice
@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.parametrize("lang", [c[0] for c in CASES])
def test_start_fits_one_page_and_the_dashboard_two(lang: str, printed: dict) -> None:
    by_sheet, sizes, pages = printed[lang]["by_sheet"], printed[lang]["sizes"], printed[lang]["pages"]
    assert len(by_sheet["start"]) == 1 and len(by_sheet["settings"]) == 1
    start = by_sheet["start"][0]
    assert ui("start.title", lang) in start and ui("meta.modules", lang) in start  # first and last rows
    assert ui("start.buttons", lang)[-12:] in re.sub(r"\s+", " ", start)  # the paragraphs are not cut
    dashboard = by_sheet["dashboard"]
    assert len(dashboard) <= 2
    first = pages.index(dashboard[0])
    assert all(w > h for w, h in sizes[first:first + len(dashboard)]), "the dashboard prints landscape"
    assert ui("dashboard.title", lang) in dashboard[0]
    # the four charts' titles on the first page, the tables below them on the last
    assert all(ui(k, lang) in dashboard[0] for k in ("results.dimensions", "results.standards", "results.principles"))
    assert ui("dashboard.social", lang) in dashboard[-1]


@needs_libreoffice
@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.parametrize("lang", [c[0] for c in CASES])
def test_tables_print_one_page_wide_with_their_header_row(lang: str, printed: dict) -> None:
    by_sheet = printed[lang]["by_sheet"]
    for role in TABLES:
        visible = [c for c in role.columns if c.header]
        first, last = (_words(ui(c.header, lang)) for c in (visible[0], visible[-1]))
        for n, text in enumerate(by_sheet[role.role], start=1):
            words = _words(text)
            assert first <= words and last <= words, f"{lang} {role.role} page {n}: a page-column without its first or last column"
    codes = re.compile(r"^\s*\d[A-Z]\.\d+\.\d+\b", re.M)  # indicator codes, the questionnaire's first column
    assert all(codes.search(text) for text in by_sheet["questionnaire"])
    hidden = re.compile(r"\b[DSP]:\d")  # the questionnaire's hidden helper columns (D:1, S:1A, P:1A.1)
    assert not any(hidden.search(text) for text in printed[lang]["pages"])


@needs_libreoffice
@pytest.mark.libreoffice
@pytest.mark.slow
def test_macro_template_start_prints_one_page_without_its_buttons(tmp_path: Path, libreoffice) -> None:
    """The committed Spanish .xlsm: form buttons beside the Start texts, no audit yet (header: sheet name only)."""
    pdf = libreoffice.print_pdf(TEMPLATES_DIR / "spi4xl-usspm-2016-full-es.xlsm", tmp_path / "es.pdf")
    texts = pdf_page_texts(pdf)
    names = sheet_names("es")
    pages = pages_by_sheet(texts, names.values())
    assert None not in pages and len(pages[names["start"]]) == 1
    start = texts[pages[names["start"]][0] - 1]
    assert _lines(start)[0] == names["start"]
    for job in ("populate", "validate", "score"):  # captions only where the paragraph about the buttons names them
        caption = ui(f"button.{job}", "es")
        assert start.count(caption) == ui("start.buttons", "es").count(caption), caption
    w, h = PAGE_POINTS["letter"]
    assert set(_sizes(pdf)) <= {(w, h), (h, w)}
