"""What the workbook shows by name, in its language, where spi4xl keeps a code: the profile and modules
on the Start and Settings sheets, the status of the conversion report's rows.

The buttons and the reader read these cells back, so every name is parsed back from any language
(and the codes older workbooks wrote still read).
"""

from __future__ import annotations

import re

from spi4xl.audit import PLAN_STATUSES
from spi4xl.catalog.model import ALL_MODULES, CORE_MODULE, PROFILES, Catalog
from spi4xl.ui import ui, ui_all


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


CONVERSION_STATUSES = ("hidden", "removed", "merged", "changed")


def status_name(status: str, lang: str) -> str:
    return ui(f"conversion_status.{status}", lang)


def parse_status(text: object) -> str | None:
    """The conversion status named by a cell (a code or a name in any language); None otherwise."""
    return _parse_named(text, CONVERSION_STATUSES, "conversion_status")


def _parse_named(text: object, codes: tuple[str, ...], prefix: str) -> str | None:
    """The code named by a cell: the code itself or its UI name `<prefix>.<code>` in any language."""
    wanted = _fold(text) if isinstance(text, str) else ""
    for code in codes:
        if wanted == code or wanted in {_fold(v) for v in ui_all(f"{prefix}.{code}").values()}:
            return code
    return None


def plan_status_name(status: str, lang: str) -> str:
    """An action plan status by its name; a status typed outside the list stays as typed."""
    return ui(f"plan_status.{status}", lang) if status in PLAN_STATUSES else status


def parse_plan_status(text: object) -> str | None:
    return _parse_named(text, PLAN_STATUSES, "plan_status")


def profile_name(profile: str, lang: str) -> str:
    return ui(f"profile.{profile}", lang)


def parse_profile(text: str | None) -> str | None:
    """The profile code named by `text` (a code or a name in any language); None when not understood."""
    wanted = _fold(text or "")
    for code in PROFILES:
        if wanted == code or wanted in {_fold(v) for v in ui_all(f"profile.{code}").values()}:
            return code
    return None


def modules_name(catalog: Catalog, modules: tuple[str, ...] | None, lang: str) -> str:
    """'All modules', the core questionnaire's name when there are none, else the modules' names."""
    if modules is None:
        return ui("modules.all", lang)
    return ", ".join(catalog.text(m.key, "name", lang) for m in catalog.modules
                     if m.code in (modules or (CORE_MODULE,)))


def parse_modules_name(catalog: Catalog, text: str | None) -> tuple[str, ...] | None:
    """The inverse of modules_name for names of any language and for codes; None (every module) for
    'all' or an empty cell. Names not understood are left out."""
    folded = _fold(text or "")
    if folded in ("", ALL_MODULES) or folded in {_fold(v) for v in ui_all("modules.all").values()}:
        return None
    names = {m.code: m.code for m in catalog.modules}
    for m in catalog.modules:
        names.update({_fold(catalog.text(m.key, "name", lang)): m.code for lang in catalog.languages})
    codes = [names.get(_fold(part)) for part in re.split(r"[,;]", text or "")]
    if not any(codes):  # codes as older workbooks wrote them: 'gender rural'
        codes = [names.get(part) for part in folded.split()]
    return tuple(c for c in codes if c and c != CORE_MODULE)


def departments_name(catalog: Catalog, departments: tuple[str, ...] | None, lang: str) -> str:
    """'All departments', else the departments' names, separated by semicolons (names may hold commas)."""
    if departments is None:
        return ui("departments.all", lang)
    return "; ".join(catalog.text(d.key, "name", lang) for d in catalog.departments if d.code in departments)


def parse_department(catalog: Catalog, text: str | None) -> str | None:
    """The department code named by `text` (a code or a name in any language); None otherwise."""
    wanted = _fold(text or "")
    for d in catalog.departments:
        if wanted == _fold(d.code) or wanted in {_fold(catalog.text(d.key, "name", lang)) for lang in catalog.languages}:
            return d.code
    return None


def parse_departments_name(catalog: Catalog, text: str | None) -> tuple[str, ...] | None:
    """The inverse of departments_name, for names of any language and codes; None (all) for an empty cell or
    'all departments'. Names not understood are left out."""
    folded = _fold(text or "")
    if folded in ("", "all") or folded in {_fold(v) for v in ui_all("departments.all").values()}:
        return None
    codes = {parse_department(catalog, part) for part in re.split(r"[;,]", text or "")}
    return tuple(d.code for d in catalog.departments if d.code in codes)


def origin_name(catalog: Catalog, origin: str, lang: str) -> str:
    """A department's origin by its name in `lang`; a person's name as typed."""
    code = parse_department(catalog, origin) if origin else None
    return catalog.text(f"department.{code}", "name", lang) if code else origin


def parse_origin(catalog: Catalog, text: str | None) -> str:
    """The origin written on Settings: a department code when it names one, else the text as typed."""
    return parse_department(catalog, text) or (text or "").strip()
