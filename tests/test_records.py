"""`@record` classes behave as the frozen dataclasses they replace: same equality, hash and repr."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from spi4xl.assess import assess
from spi4xl.catalog import load_catalog
from spi4xl.records import Record, record

ROOT = Path(__file__).resolve().parent.parent


def twin(cls: type) -> type:
    """A plain `@dataclass(frozen=True)` with the same name and fields: the reference implementation."""
    fields = [(f.name, f.type, dataclasses.field(default=None, repr=f.repr, compare=f.compare))
              for f in dataclasses.fields(cls)]
    made = dataclasses.make_dataclass(cls.__name__, fields, frozen=True)
    made.__qualname__ = cls.__qualname__
    return made


def as_twin(obj: Record) -> object:
    return twin(type(obj))(**{f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})


def real_records() -> list[Record]:
    """Records as spi4xl makes them: the catalog's nodes, scales, terms and rules, an audit's findings and scores."""
    catalog = load_catalog()
    objs: list[object] = [*catalog.dimensions, *catalog.standards, *catalog.practices, *catalog.all_indicators(),
                          *catalog.scales.values(), *catalog.principles, *catalog.modules, *catalog.org_fields,
                          *catalog.org_rules, *catalog.sources, catalog.scoring, *catalog.changes]
    objs += [d for i in catalog.all_indicators() for d in i.details]
    objs += [a for s in catalog.scales.values() for a in s.answers]
    result = assess(ROOT / "samples" / "sample-audit-en.xlsx")
    objs += [*result.findings, result.scores, *result.scores.units(), *result.scores.indicators.values()]
    return [o for o in objs if isinstance(o, Record)]


def test_records_equal_hash_and_show_as_frozen_dataclasses() -> None:
    objs = real_records()
    kinds = {type(o).__name__ for o in objs}
    assert {"Indicator", "Scale", "Answer", "Finding", "Scores", "UnitScore", "IndicatorResult"} <= kinds
    for obj in objs:
        ref = as_twin(obj)
        assert repr(obj) == repr(ref)
        assert obj == dataclasses.replace(obj) and obj != object()
        try:
            expected = hash(ref)
        except TypeError:  # a field holds a dict (a finding's values): neither is hashable
            with pytest.raises(TypeError):
                hash(obj)
        else:
            assert hash(obj) == expected


@record
class Pair(Record):
    left: int
    right: object = None
    note: str = dataclasses.field(default="", compare=False, repr=False)


@record(slots=True)
class Slotted(Record):
    value: int


@record
class Empty(Record):
    pass


def test_equality_follows_the_compared_fields_and_the_class() -> None:
    assert Pair(1, 2, "a") == Pair(1, 2, "b") and hash(Pair(1, 2, "a")) == hash(Pair(1, 2, "b"))
    assert Pair(1, 2) != Pair(1, 3)
    assert Pair(1).__eq__(Slotted(1)) is NotImplemented
    assert Empty() == Empty() and hash(Empty()) == hash(())
    assert Slotted(3) == Slotted(3) and hash(Slotted(3)) == hash((3,))


def test_frozen_slotted_recursive_and_checked() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Pair(1).left = 2  # type: ignore[misc]
    assert not hasattr(Slotted(1), "__dict__")
    inner: list[object] = []
    outer = Pair(1, inner)
    inner.append(outer)
    assert repr(outer) == "Pair(left=1, right=[...])"
    with pytest.raises(TypeError, match="derive from Record"):
        record(type("Plain", (), {"__annotations__": {"x": int}}))
