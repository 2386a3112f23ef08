"""spi4xl as an xlwings Lite plugin: the workbook's buttons and a few custom functions, with nothing to install.

xlwings Lite (a free Office add-in) runs Python in Pyodide inside Excel. Listing `spi4xl` in the
workbook's requirements.txt installs this package there; Lite registers the `@script` and `@func`
functions of this module (the plugin's entry point, see pyproject.toml). Older Lite versions without
plugins get the same with one line in the workbook's main.py: `from spi4xl.xl.lite import *`, since Lite
registers whatever decorated functions main.py holds.

Scripts: Populate, Validate and Score run the adapter functions of the desktop macros and of
`spi4xl serve` (spi4xl.xl.adapter) on the book Lite passes, each asking Lite for only the sheets it
reads (`include`), plus one variant per interface language bound to the named button shapes of the
.xlsx templates' Start sheet. An expected problem (a Settings value, a foreign workbook) is an alert
with its one coded line in the workbook's language; anything else goes to Lite's output pane.

Functions (shown as =SPI4XL.SCORE(...) etc.; ranges are the templates' defined names):
- SCORE(unit, q_code, q_answer) and COMPLETION(unit, q_code, q_answer): a unit (overall, dimension,
  standard, essential practice, CP1..CP7, ALINUS, a module) or an indicator, scored by the Python engine;
- FINDINGS(code, q_code, q_answer, q_comment, q_evidence, language) and FINDINGS_COUNT(...): what
  `spi4xl validate` says about one questionnaire row, in the workbook's language;
- TEXT(code, language): the catalog's wording of a code, in that language.

Sheet protection: Lite can neither lift nor set it (xlwings' remote API and the actions Lite replays
have no protection call), so the buttons need a workbook whose sheets they write are unprotected:
`spi4xl build --unprotected` renders it, or Review > Unprotect Sheet (no password) in Excel. See README.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

import xlwings as xw
from xlwings import func, script  # in Lite: the decorators of xlwings.server; elsewhere no-op stand-ins

from spi4xl.answers import parse_item_answer, term_lookup
from spi4xl.audit import Audit, answer_key, as_text
from spi4xl.catalog import load_catalog
from spi4xl.catalog.model import Catalog, DetailItem, Indicator
from spi4xl.errors import Spi4xlError
from spi4xl.scoring import score as score_audit
from spi4xl.ui import LANGUAGES, ui, ui_language
from spi4xl.validation import validate as validate_audit
from spi4xl.workbook import layout as L
from spi4xl.workbook.shapes import button_ref
from spi4xl.xl import adapter

__xlwings_func_namespace__ = "spi4xl"  # custom functions appear as =SPI4XL.<NAME>(...)
DEFAULT_EDITION = "usspm-2016"


@lru_cache(maxsize=1)
def _catalog() -> Catalog:
    """The edition the functions score on, loaded once: Excel calls a function once per cell."""
    return load_catalog(DEFAULT_EDITION)


# --- scripts ------------------------------------------------------------------------------------
def run_job(job: str, book: Any) -> None:
    """One button's job; an expected problem becomes an alert in the workbook's language, as on the desktop."""
    try:
        adapter.JOBS[job](book)
    except Spi4xlError as exc:
        lang = adapter.book_language(book) or ui_language()
        book.app.alert(exc.line(lang), title="spi4xl", buttons="ok", mode="critical")


def _script(job: str, button: str | None, name: str) -> Callable[..., None]:
    def run(book: xw.Book) -> None:
        run_job(job, book)

    run.__name__ = run.__qualname__ = name
    run.__doc__ = adapter.JOBS[job].__doc__
    return script(include=adapter.sheet_names_for(adapter.JOB_ROLES[job]), button=button)(run)


def _scripts() -> dict[str, Callable[..., None]]:
    """populate/validate/score, and `<job>_button_<lang>` for the Start sheet's button shapes in each language."""
    out = {job: _script(job, None, job) for job in adapter.JOBS}
    for lang in LANGUAGES:
        start = ui(L.START.title_key, lang)
        out.update({f"{job}_button_{lang}": _script(job, button_ref(job, start), f"{job}_button_{lang}")
                    for job in adapter.JOBS})
    return out


SCRIPTS = _scripts()
globals().update(SCRIPTS)  # Lite finds scripts as module-level functions, by their attribute names


# --- custom functions ---------------------------------------------------------------------------
def _column(values: Any) -> list[Any]:
    """A range argument as one list, whatever shape Excel sent it in (a column, a row, one cell)."""
    if not isinstance(values, list):
        return [values]
    return [v for row in values for v in (row if isinstance(row, list) else [row])]


def _language(language: Any) -> str:
    lang = as_text(language).strip().lower()[:2]
    return lang if lang in LANGUAGES else "en"


def audit_from_columns(catalog: Catalog, codes: Any, answers: Any, comments: Any = None, evidence: Any = None,
                       language: str = "en") -> Audit:
    """The audit held by the questionnaire's columns (answers typed in any language), as the reader parses them."""
    audit = Audit(catalog.edition, catalog.version, language)
    columns = [_column(c) if c is not None else [] for c in (codes, answers, comments, evidence)]
    ev_codes = term_lookup(catalog, "evidence")
    for i, raw_code in enumerate(columns[0]):
        code = as_text(raw_code).strip()
        node = catalog.node(code)
        if not isinstance(node, (Indicator, DetailItem)):
            continue
        raw, comment, ev = (as_text(col[i]).strip() if i < len(col) else "" for col in columns[1:])
        if raw:
            parsed = parse_item_answer(catalog, code, raw)
            if parsed is not None and not getattr(node, "is_checklist", False):
                audit.answers[code] = parsed[1]
            else:
                audit.unparsed[(code, "answer")] = raw
        if comment:
            audit.comments[code] = comment
        if ev and isinstance(node, Indicator):
            if (ev_code := ev_codes.get(answer_key(ev))) is not None:
                audit.evidence[code] = ev_code
            else:
                audit.unparsed[(code, "evidence")] = ev
    return audit


def _unit(catalog: Catalog, unit: Any, codes: Any, answers: Any) -> tuple[float | None, float | None]:
    """(score, completion) of a unit code, or of an indicator (its value; 1 or 0 for answered)."""
    scores = score_audit(audit_from_columns(catalog, codes, answers), catalog)
    code = as_text(unit).strip()
    found = {"": scores.overall, "overall": scores.overall, "alinus": scores.alinus}.get(code.casefold())
    for units in (scores.dimensions, scores.standards, scores.essential_practices, scores.client_protection,
                  scores.modules):
        found = found or units.get(code) or units.get(code.upper())
    if found is not None:
        return found.score, found.completion
    if code in scores.indicators:
        result = scores.indicators[code]
        return result.value, 1.0 if result.done else 0.0
    raise Spi4xlError("lite.unknown_unit", code=code)


def _number(value: float | None) -> float | str:
    return "" if value is None else round(value, 6)


@func(name="SCORE")
def unit_score(unit: str, q_code: Any, q_answer: Any):  # no return hint: xlwings would take it for a converter
    """The score (0 to 1) of a unit or an indicator by its code, from the questionnaire's code and answer columns; empty when nothing is scored."""
    return _number(_unit(_catalog(), unit, q_code, q_answer)[0])


@func(name="COMPLETION")
def unit_completion(unit: str, q_code: Any, q_answer: Any):  # float, or "" (no return hint, as above)
    """The share (0 to 1) of a unit's indicators that are answered, N/A included."""
    return _number(_unit(_catalog(), unit, q_code, q_answer)[1])


def row_findings(code: Any, q_code: Any, q_answer: Any, q_comment: Any, q_evidence: Any, language: Any) -> list[str]:
    """The messages `spi4xl validate` gives one questionnaire row (its indicator or detail item), in `language`."""
    catalog, lang = _catalog(), _language(language)
    audit = audit_from_columns(catalog, q_code, q_answer, q_comment, q_evidence, lang)
    item = as_text(code).strip()
    return [f.message(lang) for f in validate_audit(audit, catalog) if f.item == item]


@func(name="FINDINGS")
def findings_text(code: str, q_code: Any, q_answer: Any, q_comment: Any, q_evidence: Any, language: str = "en") -> str:
    """What validation says about one questionnaire row, one message a line, in the workbook's language (set_language)."""
    return "\n".join(row_findings(code, q_code, q_answer, q_comment, q_evidence, language))


@func(name="FINDINGS_COUNT")
def findings_count(code: str, q_code: Any, q_answer: Any, q_comment: Any, q_evidence: Any) -> int:
    """How many findings validation reports for one questionnaire row."""
    return len(row_findings(code, q_code, q_answer, q_comment, q_evidence, "en"))


@func(name="TEXT")
def catalog_text(code: str, language: str = "en") -> str:
    """The catalog's wording of a code (an indicator's question, a unit's name) in the workbook's language."""
    catalog, key = _catalog(), as_text(code).strip()
    field = "text" if isinstance(catalog.node(key), (Indicator, DetailItem)) else "name"
    if catalog.node(key) is None and key.upper() in {t.code for t in catalog.principles}:
        key = f"principle.{key.upper()}"
    return catalog.text(key, field, _language(language))


FUNCTIONS = ("unit_score", "unit_completion", "findings_text", "findings_count", "catalog_text")
__all__ = [*SCRIPTS, *FUNCTIONS]  # what `from spi4xl.xl.lite import *` in a workbook's main.py registers
