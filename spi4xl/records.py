"""Frozen dataclasses that share one `__eq__`, `__hash__` and `__repr__` instead of compiling their own.

Python 3.11 writes the source of every method a dataclass gets and compiles it with `exec` when the class is
made: six methods for a frozen class, ~1.1 ms a class here, and `spi4xl score` makes ~30 of them before it reads
a byte (a sixth of its start-up). `@record` makes a frozen dataclass that compiles only `__init__`,
`__setattr__` and `__delattr__`; the other three come from `Record` and behave as the generated ones do
(tests/test_records.py compares them with a plain frozen dataclass of the same fields): equal when of the same
class with equal compared fields, hashed on those fields, shown as `Name(field=value, ...)`.
"""

from __future__ import annotations

import dataclasses
import reprlib
from operator import attrgetter
from typing import Any, Callable, TypeVar

T = TypeVar("T", bound=type)
_KEYS: dict[type, Callable[[Any], tuple]] = {}
_SHOWN: dict[type, tuple[str, ...]] = {}


def _key_of(cls: type) -> Callable[[Any], tuple]:
    """The function giving an object's compared fields as a tuple (what the generated __eq__ and __hash__ use)."""
    names = [f.name for f in dataclasses.fields(cls) if f.compare]
    if len(names) == 1:
        one = attrgetter(names[0])
        key = lambda obj: (one(obj),)  # noqa: E731 - attrgetter of one name gives the bare value
    elif names:
        key = attrgetter(*names)
    else:
        key = lambda obj: ()  # noqa: E731
    _KEYS[cls] = key
    return key


class Record:
    """Base of `@record` classes (see the module's docstring)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = _KEYS.get(self.__class__) or _key_of(self.__class__)
        return key(self) == key(other)

    def __hash__(self) -> int:
        return hash((_KEYS.get(self.__class__) or _key_of(self.__class__))(self))

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        cls = self.__class__
        names = _SHOWN.get(cls)
        if names is None:
            names = _SHOWN[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.repr)
        return f"{cls.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"


def record(cls: T | None = None, /, *, slots: bool = False) -> Any:
    """`@dataclass(frozen=True)` for a subclass of `Record`, its equality, hash and repr taken from `Record`."""
    def wrap(klass: T) -> T:
        if not issubclass(klass, Record):
            raise TypeError(f"@record class {klass.__qualname__} must derive from Record")
        return dataclasses.dataclass(klass, frozen=True, eq=False, repr=False, slots=slots)
    return wrap if cls is None else wrap(cls)
