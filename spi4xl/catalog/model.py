"""The catalog as an immutable, typed model: structure and codes, with texts kept apart by language."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping

from spi4xl.catalog.scope import ALL_MODULES, CORE_MODULE, PROFILES  # noqa: F401 - named from the model too
from spi4xl.errors import Spi4xlError
from spi4xl.records import Record, record

SOURCE_LANGUAGE = "en"
EXCEL_CELL_LIMIT = 32_767  # characters in one cell: a longer text cannot be shown in a workbook
TextKey = tuple[str, str]  # (object key, field), e.g. ("1A.1.1", "text")


@record
class Answer(Record):
    """One answer of a scale: its code and the value it scores."""

    code: str
    value: float | None  # None marks the not-applicable answer
    aliases: tuple[str, ...] = ()  # labels of earlier versions, still understood when typed (e.g. S.O.)

    @property
    def is_na(self) -> bool:
        return self.value is None


@record
class Scale(Record):
    """The answers an indicator or detail item may take."""

    id: str
    answers: tuple[Answer, ...]
    allow_na: bool

    def answer(self, code: str) -> Answer | None:
        return next((a for a in self.answers if a.code == code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.answers)


@record
class Term(Record):
    """A coded, named term: principle, module, department or evidence type."""

    kind: str
    code: str

    @property
    def key(self) -> str:
        return f"{self.kind}.{self.code}"


@record
class DetailItem(Record):
    """One item of a checklist indicator, answered on its own scale."""

    code: str
    indicator: str
    scale: str


@record
class Indicator(Record):
    """An indicator: where it sits, how it is answered and the tags that put it in profiles and parts."""

    code: str
    practice: str
    standard: str
    dimension: str
    kind: str  # "answer" or "checklist"
    scale: str
    mandatory: bool
    principles: tuple[str, ...]
    alinus: bool
    module: str
    department: str
    evidence: tuple[str, ...]
    details: tuple[DetailItem, ...] = ()
    # (principle, why) for each principle a reviewer has justified: notes for the next reviewer, in no workbook
    why: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    @property
    def is_checklist(self) -> bool:
        return self.kind == "checklist"


@record
class Practice(Record):
    """An essential practice and its indicators."""

    code: str
    standard: str
    indicators: tuple[Indicator, ...]


@record
class Standard(Record):
    """A standard and its essential practices."""

    code: str
    dimension: str
    practices: tuple[Practice, ...]


@record
class Dimension(Record):
    """A dimension and its standards."""

    code: str
    standards: tuple[Standard, ...]


@record
class OrgField(Record):
    """A field of the Organization sheet: its type, bounds and choices."""

    id: str
    type: str  # integer, number, percent, currency, date, choice, text
    mandatory: bool
    dashboard: bool
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    has_unit: bool = False
    has_help: bool = False


@record
class OrgRule(Record):
    """A rule between two Organization fields (e.g. women clients <= active clients)."""

    id: str
    left: str
    op: str
    right: str


CHANGE_KINDS = ("moved", "merged", "split", "retired")


@record
class Change(Record):
    """A code of an earlier catalog version and where its content lives since `since` ('' when retired).

    moved: the whole item lives at `new`; merged: `new` also holds another item, so one of two different
    answers has no place; split: the old item's answer is carried to each part, to be reviewed; retired: no place.
    """

    old: str
    new: str
    how: str
    since: str


def version_key(version: str) -> tuple[int, ...]:
    """A MAJOR.MINOR.PATCH version as comparable numbers ('' sorts first)."""
    return tuple(int(part) for part in version.split(".")) if version else ()


@record
class Scoring(Record):
    """How units are scored: the method and how checklists count."""

    method: str  # "pooled_mean" or "mean_of_children"
    checklist: str  # "share_met"


@record
class Source(Record):
    """A document the catalog draws on."""

    title: str
    link: str | None = None  # a printed manual has none


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: caches key on the loaded catalog
class Catalog:
    id: str
    edition: str
    version: str
    date: str
    licence: str
    languages: tuple[str, ...]
    sources: tuple[Source, ...]
    scales: Mapping[str, Scale]
    default_scale: str
    detail_scale: str
    scoring: Scoring
    principles: tuple[Term, ...]
    modules: tuple[Term, ...]
    departments: tuple[Term, ...]
    evidence_types: tuple[Term, ...]
    dimensions: tuple[Dimension, ...]
    org_fields: tuple[OrgField, ...]
    org_rules: tuple[OrgRule, ...]
    texts: Mapping[str, Mapping[TextKey, str]]  # language -> key -> text (English complete)
    changes: tuple[Change, ...] = ()  # codes of earlier versions that moved, merged, split or retired
    # {Organization field id: department code} from departments.yaml; None without that file (spi4xl.catalog.departments)
    field_departments: Mapping[str, str] | None = None
    _index: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), init=False, repr=False, compare=False)
    root: Path | None = field(default=None, repr=False, compare=False)  # the folder it was loaded from

    def __post_init__(self) -> None:
        index: dict[str, object] = {}
        for dim in self.dimensions:
            index[dim.code] = dim
            for std in dim.standards:
                index[std.code] = std
                for ep in std.practices:
                    index[ep.code] = ep
                    for ind in ep.indicators:
                        index[ind.code] = ind
                        for det in ind.details:
                            index[det.code] = det
        object.__setattr__(self, "_index", MappingProxyType(index))

    # --- structure -----------------------------------------------------------------------
    @property
    def standards(self) -> tuple[Standard, ...]:
        return tuple(s for d in self.dimensions for s in d.standards)

    @property
    def practices(self) -> tuple[Practice, ...]:
        return tuple(p for s in self.standards for p in s.practices)

    def all_indicators(self) -> tuple[Indicator, ...]:
        return tuple(i for p in self.practices for i in p.indicators)

    def indicators(self, profile: str = "full", modules: Iterable[str] | None = None,
                   departments: Iterable[str] | None = None) -> tuple[Indicator, ...]:
        """Indicators of a profile (full, alinus, cp); `modules` limits optional modules (None: all);
        `departments` keeps the indicators those departments answer (a department's part; None: all)."""
        if profile not in PROFILES:
            raise Spi4xlError("catalog.unknown_profile", profile=profile, known=", ".join(PROFILES))
        wanted = None if modules is None else {CORE_MODULE, *modules}
        if wanted is not None and (unknown := wanted - set(self.module_codes)):
            raise Spi4xlError("catalog.unknown_modules", modules=", ".join(sorted(unknown)), known=", ".join(self.module_codes))
        keep = {
            "full": lambda i: True,
            "alinus": lambda i: i.alinus,
            "cp": lambda i: bool(i.principles),
        }[profile]
        teams = None if departments is None else set(departments)
        return tuple(i for i in self.all_indicators() if keep(i) and (wanted is None or i.module in wanted)
                     and (teams is None or i.department in teams))

    def node(self, code: str) -> object | None:
        """The dimension, standard, practice, indicator or detail item with this code."""
        return self._index.get(code)

    def indicator(self, code: str) -> Indicator:
        node = self._index.get(code)
        if not isinstance(node, Indicator):
            raise KeyError(f"no indicator {code!r} in catalog {self.id} {self.version}")
        return node

    def scale_of(self, item: Indicator | DetailItem) -> Scale:
        return self.scales[item.scale]

    @property
    def module_codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.modules)

    # --- texts ---------------------------------------------------------------------------
    def text(self, key: str, field_: str = "name", lang: str = SOURCE_LANGUAGE) -> str:
        """The text of `key`'s field in `lang`, falling back to English when not translated."""
        found = self.texts.get(lang, {}).get((key, field_))
        if found is None:
            found = self.texts[SOURCE_LANGUAGE].get((key, field_), "")
        return found

    def answer_label(self, scale: str, answer: str, lang: str = SOURCE_LANGUAGE) -> str:
        return self.text(f"scale.{scale}.{answer}", "label", lang)

    @cached_property  # the catalog never changes once built, and each button asks for it several times
    def content_hash(self) -> str:
        """A short hash of structure and every text: changes whenever a template would change."""
        import hashlib  # OpenSSL's start: only where a hash is asked for, not on every read

        payload = json.dumps(
            {
                "structure": repr((self.dimensions, self.scales, self.scoring, self.org_fields, self.org_rules)),
                "texts": {lang: sorted(f"{k}|{f}={v}" for (k, f), v in t.items()) for lang, t in self.texts.items()},
                "version": self.version,
            },
            sort_keys=True,
        ).encode()
        return hashlib.sha256(payload).hexdigest()[:16]
