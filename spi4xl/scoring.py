"""Scores of an audit, computed exactly as docs/scoring.md says (the workbook's formulas compute the same).

The numbers come from the catalog (answer values, N/A, scoring method), never from code. Scoring is
pure Python and fast: everything that depends only on the catalog and the audit's scope (profile,
modules) is computed once per catalog object and kept in a cache keyed by the object's identity.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Iterator, Mapping

from spi4xl.audit import Audit
from spi4xl.catalog.model import CORE_MODULE, Catalog, Indicator
from spi4xl.records import Record, record

POOLED_MEAN = "pooled_mean"
MEAN_OF_CHILDREN = "mean_of_children"
METHODS = (POOLED_MEAN, MEAN_OF_CHILDREN)
# Unit kinds, in the order of to_frame(); "practice" is an essential practice.
KINDS = ("overall", "dimension", "standard", "practice", "principle", "alinus", "module")
OVERALL_CODE = "overall"
ALINUS_CODE = "alinus"


@record(slots=True)
class IndicatorResult(Record):
    """One indicator's state: `done` (answered validly, N/A included), `na` (not applicable), `value` in [0, 1]."""

    done: bool
    na: bool
    value: float | None


@record(slots=True)
class UnitScore(Record):
    """A scored unit: its score (None when nothing is scored) and its counts (see docs/scoring.md)."""

    kind: str  # one of KINDS
    code: str  # "overall", dimension/standard/practice code, CP1..CP7, "alinus" or a module code
    score: float | None
    total: int  # indicators in the unit
    answered: int  # of total: answered validly, N/A included
    na: int  # of answered: not applicable
    applicable: int  # total - na
    scored: int  # of answered: with a value
    completion: float | None  # answered / total
    parent: str = ""  # practice -> standard, standard -> dimension, dimension -> "overall"; else ""

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "total": self.total, "answered": self.answered, "na": self.na,
                "applicable": self.applicable, "scored": self.scored, "completion": self.completion}


@record
class Scores(Record):
    """Every unit score of one audit, plus each in-scope indicator's result.

    `dimensions`, `standards`, `essential_practices`, `client_protection` (CP1..CP7) and `modules`
    map codes to UnitScore in catalog order; `overall` and `alinus` are single units.
    """

    overall: UnitScore
    dimensions: dict[str, UnitScore]
    standards: dict[str, UnitScore]
    essential_practices: dict[str, UnitScore]
    client_protection: dict[str, UnitScore]
    alinus: UnitScore
    modules: dict[str, UnitScore]
    indicators: dict[str, IndicatorResult]
    completion: float | None
    provisional: bool
    edition: str
    catalog_version: str
    language: str
    method: str = POOLED_MEAN

    def units(self) -> Iterator[UnitScore]:
        """Every unit, in the order: overall, dimensions, standards, practices, principles, ALINUS, modules."""
        yield self.overall
        yield from self.dimensions.values()
        yield from self.standards.values()
        yield from self.essential_practices.values()
        yield from self.client_protection.values()
        yield self.alinus
        yield from self.modules.values()

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape of the scores (plain dicts, lists of nothing, floats or null)::

            {
              "edition": "usspm-2016", "catalog_version": "1.0.0", "language": "en",
              "completion": 0.42,            # overall answered / total, null when total is 0
              "provisional": true,           # overall answered < total
              "overall": UNIT,
              "dimensions": {"1": UNIT, ...},
              "standards": {"1A": UNIT, ...},
              "essential_practices": {"1A.1": UNIT, ...},
              "client_protection": {"CP1": UNIT, ..., "CP7": UNIT},
              "alinus": UNIT,
              "modules": {"gender": UNIT, ...}   # non-core modules with indicators in scope
            }

        where UNIT = {"score": float in [0, 1] or null, "total": int, "answered": int (N/A included),
        "na": int (of answered), "applicable": int (total - na), "scored": int (of answered),
        "completion": float or null (answered / total)}. `catalog_version` is the version
        of the catalog the scores were computed with. Dict keys keep catalog order.
        """
        def block(units: Mapping[str, UnitScore]) -> dict[str, dict[str, Any]]:
            return {code: unit.as_dict() for code, unit in units.items()}

        return {
            "edition": self.edition,
            "catalog_version": self.catalog_version,
            "language": self.language,
            "completion": self.completion,
            "provisional": self.provisional,
            "overall": self.overall.as_dict(),
            "dimensions": block(self.dimensions),
            "standards": block(self.standards),
            "essential_practices": block(self.essential_practices),
            "client_protection": block(self.client_protection),
            "alinus": self.alinus.as_dict(),
            "modules": block(self.modules),
        }

    def to_frame(self):
        """A tidy pandas DataFrame, one row per unit: kind, code, parent, score and the counts."""
        import pandas as pd

        columns = ["kind", "code", "parent", "score", "total", "answered", "na", "applicable", "scored", "completion"]
        rows = [(u.kind, u.code, u.parent, u.score, u.total, u.answered, u.na, u.applicable, u.scored, u.completion)
                for u in self.units()]
        frame = pd.DataFrame.from_records(rows, columns=columns)
        return frame.astype({"score": "float64", "completion": "float64"})


# --- per-catalog index ------------------------------------------------------------------------
_MISSING = object()  # an answer code that is not in the row's scale, or no answer at all


class _Item:
    """What scoring needs of one indicator: answer values by code, and its detail items'."""

    __slots__ = ("code", "checklist", "values", "details", "indicator")

    def __init__(self, ind: Indicator, catalog: Catalog, values_of: Callable[[str], dict[str, float | None]]):
        self.code = ind.code
        self.checklist = ind.is_checklist
        self.values = values_of(ind.scale)
        self.details = tuple((d.code, values_of(d.scale)) for d in ind.details)
        self.indicator = ind


class _Scope:
    """The indicators of one (profile, modules) scope with the ids of the units each one counts in."""

    __slots__ = ("indicators", "items", "units", "by_kind", "children", "overall", "alinus")

    def __init__(self, catalog: Catalog, items: Mapping[str, _Item], profile: str, modules, departments=None) -> None:
        indicators = catalog.indicators(profile=profile, modules=modules, departments=departments)
        present = {i.code for i in indicators}
        units: list[tuple[str, str, str]] = []
        by_kind: dict[str, list[int]] = {kind: [] for kind in KINDS}
        children: dict[int, list[int]] = {}

        def add(kind: str, code: str, parent: str = "") -> int:
            units.append((kind, code, parent))
            by_kind[kind].append(len(units) - 1)
            return len(units) - 1

        self.overall = add("overall", OVERALL_CODE)
        ids: dict[str, int] = {}
        # dimension-tree units: those holding at least one in-scope indicator (any module)
        for dim in catalog.dimensions:
            if not any(i.code in present for s in dim.standards for p in s.practices for i in p.indicators):
                continue
            ids[dim.code] = add("dimension", dim.code, OVERALL_CODE)
            children.setdefault(self.overall, []).append(ids[dim.code])
        for std in catalog.standards:
            if std.dimension in ids and any(i.code in present for p in std.practices for i in p.indicators):
                ids[std.code] = add("standard", std.code, std.dimension)
                children.setdefault(ids[std.dimension], []).append(ids[std.code])
        for ep in catalog.practices:
            if ep.standard in ids and any(i.code in present for i in ep.indicators):
                ids[ep.code] = add("practice", ep.code, ep.standard)
                children.setdefault(ids[ep.standard], []).append(ids[ep.code])
        principle_ids = {p.code: add("principle", p.code) for p in catalog.principles}
        self.alinus = add("alinus", ALINUS_CODE)
        in_scope_modules = {i.module for i in indicators}
        module_ids = {m.code: add("module", m.code) for m in catalog.modules
                      if m.code != CORE_MODULE and m.code in in_scope_modules}

        scoped: list[tuple[_Item, tuple[int, ...]]] = []
        for ind in indicators:
            if ind.module == CORE_MODULE:
                uids = [ids[ind.practice], ids[ind.standard], ids[ind.dimension], self.overall]
                uids += [principle_ids[p] for p in ind.principles if p in principle_ids]
                if ind.alinus:
                    uids.append(self.alinus)
            else:
                uids = [module_ids[ind.module]]
            scoped.append((items[ind.code], tuple(uids)))
        self.indicators = indicators
        self.items = tuple(scoped)
        self.units = tuple(units)
        self.by_kind = {kind: tuple(v) for kind, v in by_kind.items()}
        self.children = {k: tuple(v) for k, v in children.items()}


class _CatalogIndex:
    __slots__ = ("items", "scopes", "extra", "__weakref__")

    def __init__(self, catalog: Catalog) -> None:
        value_maps: dict[str, dict[str, float | None]] = {}

        def values_of(scale_id: str) -> dict[str, float | None]:
            if scale_id not in value_maps:
                value_maps[scale_id] = {a.code: (None if a.value is None else float(a.value))
                                        for a in catalog.scales[scale_id].answers}
            return value_maps[scale_id]

        self.items = {ind.code: _Item(ind, catalog, values_of) for ind in catalog.all_indicators()}
        self.scopes: dict[tuple, _Scope] = {}
        self.extra: dict[str, Any] = {}  # other modules' per-catalog precomputations (validation)


_INDEXES: dict[int, tuple[weakref.ref, _CatalogIndex]] = {}


def catalog_index(catalog: Catalog) -> _CatalogIndex:
    """The catalog's precomputed index, built once per catalog object (Catalog is not hashable)."""
    key = id(catalog)
    found = _INDEXES.get(key)
    if found is not None and found[0]() is catalog:
        return found[1]
    index = _CatalogIndex(catalog)
    def forget(ref: weakref.ref, key: int = key) -> None:
        if _INDEXES.get(key, (None,))[0] is ref:
            del _INDEXES[key]

    _INDEXES[key] = (weakref.ref(catalog, forget), index)
    return index


def scope_of(catalog: Catalog, profile: str, modules, departments=None) -> _Scope:
    index = catalog_index(catalog)
    key = (profile, None if modules is None else frozenset(modules), None if departments is None else frozenset(departments))
    scope = index.scopes.get(key)
    if scope is None:
        scope = index.scopes[key] = _Scope(catalog, index.items, profile, modules, departments)
    return scope


# --- one indicator ----------------------------------------------------------------------------
def evaluate(item: _Item, answers: Mapping[str, str]) -> tuple[bool, bool, float | None]:
    """(done, na, value) of one indicator, per docs/scoring.md."""
    if not item.checklist:
        value = item.values.get(answers.get(item.code), _MISSING)
        if value is _MISSING:
            return False, False, None
        if value is None:
            return True, True, None
        return True, False, value
    done = True
    all_na = True
    total = 0.0
    n = 0
    for code, values in item.details:
        value = values.get(answers.get(code), _MISSING)
        if value is _MISSING:
            done = all_na = False
        elif value is not None:
            all_na = False
            total += value
            n += 1
    return done, done and all_na, (total / n if n else None)


def indicator_result(catalog: Catalog, ind: Indicator | str, audit: Audit) -> IndicatorResult:
    """The result of one indicator; an answer code outside the row's scale counts as unanswered."""
    code = ind if isinstance(ind, str) else ind.code
    item = catalog_index(catalog).items.get(code)
    if item is None:
        raise KeyError(f"no indicator {code!r} in catalog {catalog.id} {catalog.version}")
    return IndicatorResult(*evaluate(item, audit.answers))


# --- units ------------------------------------------------------------------------------------
def score(audit: Audit, catalog: Catalog | None = None) -> Scores:
    """Score an audit on its catalog (loaded from `audit.edition` when not given)."""
    if catalog is None:
        from spi4xl.catalog import load_catalog

        catalog = load_catalog(audit.edition)
    method = catalog.scoring.method
    if method not in METHODS:
        raise ValueError(f"unknown scoring method {method!r}; choose one of {', '.join(METHODS)}")
    scope = scope_of(catalog, audit.profile, audit.modules, audit.departments)
    answers = audit.answers
    n = len(scope.units)
    total = [0] * n
    answered = [0] * n
    na = [0] * n
    scored = [0] * n
    sums = [0.0] * n
    results: dict[str, IndicatorResult] = {}
    for item, uids in scope.items:
        done, is_na, value = evaluate(item, answers)
        results[item.code] = IndicatorResult(done, is_na, value)
        for u in uids:
            total[u] += 1
        if done:
            for u in uids:
                answered[u] += 1
        if is_na:
            for u in uids:
                na[u] += 1
        elif value is not None:
            for u in uids:
                scored[u] += 1
                sums[u] += value

    values: list[float | None] = [sums[u] / scored[u] if scored[u] else None for u in range(n)]
    if method == MEAN_OF_CHILDREN:
        for kind in ("standard", "dimension", "overall"):
            for u in scope.by_kind[kind]:
                kids = [values[c] for c in scope.children.get(u, ()) if values[c] is not None]
                values[u] = sum(kids) / len(kids) if kids else None

    units = [UnitScore(kind, code, values[u], total[u], answered[u], na[u], total[u] - na[u], scored[u],
                       answered[u] / total[u] if total[u] else None, parent)
             for u, (kind, code, parent) in enumerate(scope.units)]

    def group(kind: str) -> dict[str, UnitScore]:
        return {units[u].code: units[u] for u in scope.by_kind[kind]}

    overall = units[scope.overall]
    return Scores(
        overall=overall,
        dimensions=group("dimension"),
        standards=group("standard"),
        essential_practices=group("practice"),
        client_protection=group("principle"),
        alinus=units[scope.alinus],
        modules=group("module"),
        indicators=results,
        completion=overall.completion,
        provisional=overall.answered < overall.total,
        edition=catalog.edition,
        catalog_version=catalog.version,
        language=audit.language,
        method=method,
    )
