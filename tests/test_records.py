"""`@record` classes behave as the frozen dataclasses they replace: same equality, hash and repr."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from pathlib import Path

import pytest

from spi4xl.assess import assess
from spi4xl.catalog import load_catalog
from spi4xl.records import MutableRecord, Record, record

ROOT = Path(__file__).resolve().parent.parent


def twin(cls: type) -> type:
    """A plain dataclass with the same name and fields (frozen when the record is): the reference implementation."""
    fields = [(f.name, f.type, dataclasses.field(default=None, repr=f.repr, compare=f.compare))
              for f in dataclasses.fields(cls)]
    made = dataclasses.make_dataclass(cls.__name__, fields, frozen=not issubclass(cls, MutableRecord))
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
    objs += [*result.findings, result.scores, *result.scores.units(), *result.scores.indicators.values(),
             result.read.audit, result.read, result]
    return [o for o in objs if isinstance(o, Record)]


def test_records_equal_hash_and_show_as_frozen_dataclasses() -> None:
    objs = real_records()
    kinds = {type(o).__name__ for o in objs}
    assert {"Indicator", "Scale", "Answer", "Finding", "Scores", "UnitScore", "IndicatorResult", "Audit", "ReadResult",
            "Assessment"} <= kinds
    for obj in objs:
        ref = as_twin(obj)
        assert repr(obj) == repr(ref)
        assert obj == dataclasses.replace(obj) and obj != object()
        assert copy.copy(obj) == obj
        try:
            assert pickle.loads(pickle.dumps(obj)) == obj and copy.deepcopy(obj) == obj
        except TypeError as exc:  # it holds the catalog, whose texts are mappingproxies: no dataclass would copy it
            assert "mappingproxy" in str(exc) and {"catalog", "read"} & {f.name for f in dataclasses.fields(obj)}
        values = [getattr(obj, f.name) for f in dataclasses.fields(obj)]
        assert type(obj)(*values) == obj  # positionally, as the generated __init__ takes them
        try:
            expected = hash(ref)
        except TypeError:  # a field holds a dict (a finding's values): neither is hashable
            with pytest.raises(TypeError):
                hash(obj)
        else:
            assert hash(obj) == expected


@record
class Pair(Record):
    """Two values and a note that neither compares nor shows."""

    left: int
    right: object = None
    note: str = dataclasses.field(default="", compare=False, repr=False)
    seen: list = dataclasses.field(default_factory=list, compare=False)


@record(slots=True)
class Slotted(Record):
    """One value, in slots."""

    value: int


@record
class Empty(Record):
    """No field."""


@dataclasses.dataclass(frozen=True)
class PlainPair:
    """Pair as a plain frozen dataclass: the reference."""

    left: int
    right: object = None
    note: str = dataclasses.field(default="", compare=False, repr=False)
    seen: list = dataclasses.field(default_factory=list, compare=False)


@pytest.mark.parametrize(("args", "kwargs"), [
    ((1,), {}), ((1, 2), {}), ((1, 2, "n"), {}), ((), {"left": 1, "note": "n"}), ((1,), {"seen": [3]}),
    ((), {}), ((1, 2, "n", [], 5), {}), ((1,), {"left": 2}), ((1,), {"other": 2}), ((), {"right": 2}),
])
def test_made_as_a_frozen_dataclass_is_made(args: tuple, kwargs: dict) -> None:
    try:
        expected = PlainPair(*args, **kwargs)
    except TypeError:
        with pytest.raises(TypeError):
            Pair(*args, **kwargs)
        return
    made = Pair(*args, **kwargs)
    assert [getattr(made, f.name) for f in dataclasses.fields(made)] == [getattr(expected, f.name) for f in dataclasses.fields(expected)]
    assert repr(made) == repr(expected).replace("PlainPair", "Pair")
    assert Pair(1).seen is not Pair(1).seen  # a fresh list each time, from the factory


def test_equality_follows_the_compared_fields_and_the_class() -> None:
    assert Pair(1, 2, "a") == Pair(1, 2, "b") and hash(Pair(1, 2, "a")) == hash(Pair(1, 2, "b"))
    assert Pair(1, 2) != Pair(1, 3)
    assert Pair(1).__eq__(Slotted(1)) is NotImplemented
    assert Empty() == Empty() and hash(Empty()) == hash(())
    assert Slotted(3) == Slotted(3) and hash(Slotted(3)) == hash((3,))


def test_frozen_slotted_recursive_and_checked() -> None:
    for obj, name in ((Pair(1), "left"), (Slotted(1), "value")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, 2)
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(obj, name)
    assert dataclasses.replace(Pair(1, 2), right=3) == Pair(1, 3) and pickle.loads(pickle.dumps(Slotted(4))) == Slotted(4)
    assert not hasattr(Slotted(1), "__dict__")
    inner: list[object] = []
    outer = Pair(1, inner)
    inner.append(outer)
    assert repr(outer) == "Pair(left=1, right=[...], seen=[])"
    with pytest.raises(TypeError, match="derive from Record"):
        record(type("Plain", (), {"__annotations__": {"x": int}}))


@record(frozen=False)
class Notes(MutableRecord):
    """A mutable record."""

    title: str
    lines: list = dataclasses.field(default_factory=list)


def test_mutable_records_set_compare_and_refuse_hashing() -> None:
    notes = Notes("a")
    notes.title, notes.lines = "b", [1]
    assert notes == Notes("b", [1]) and notes != Notes("b") and repr(notes) == "Notes(title='b', lines=[1])"
    with pytest.raises(TypeError, match="unhashable"):
        hash(notes)
    with pytest.raises(TypeError, match="must derive from MutableRecord"):
        record(frozen=False)(type("Frozen", (Record,), {"__annotations__": {"x": int}}))
    with pytest.raises(TypeError, match="must derive from Record"):
        record(type("Loose", (MutableRecord,), {"__annotations__": {"x": int}}))


def test_what_records_cannot_do_is_refused() -> None:
    later = {"__annotations__": {"x": int, "y": int}, "y": dataclasses.field(default=0, init=False)}
    with pytest.raises(TypeError, match="init=False"):
        record(type("Later", (Record,), later))
    with pytest.raises(TypeError, match="__post_init__"):
        record(type("Checked", (Record,), {"__annotations__": {"x": int}, "__post_init__": lambda self: None}))


def test_made_of_fields_as_by_the_class() -> None:
    assert Pair.of_fields({"left": 1, "right": 2, "note": "n", "seen": [3]}) == Pair(1, 2, "n", [3])
    made = Pair.of_fields({"left": 1, "right": 2, "note": "n", "seen": [3]})
    assert repr(made) == repr(Pair(1, 2, "n", [3])) and made.seen == [3]
    for wrong in ({"left": 1}, {"left": 1, "right": 2, "note": "n", "seen": [], "other": 0},
                  {"left": 1, "right": 2, "note": "n", "other": 0}):
        with pytest.raises(TypeError, match="fields"):
            Pair.of_fields(wrong)
