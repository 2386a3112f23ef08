"""spi4xl's dataclasses, made without compiling code: `@record` classes share their methods through `Record`.

Python 3.11 writes the source of every method a dataclass gets and compiles it with `exec` when the class is
made: six methods for a frozen class, ~1.1 ms a class here, and `spi4xl score` made ~30 of them before it read a
byte (a sixth of its start-up). A `@record` class is still a dataclass (`dataclasses.fields`, `replace`, `asdict`
work), but `Record` gives it one shared `__init__` (positional and keyword arguments, defaults and default
factories, the same errors), frozen `__setattr__`/`__delattr__`, and the `__eq__`, `__hash__` and `__repr__` a
frozen dataclass generates; tests/test_records.py compares them with plain frozen dataclasses of the same fields.
Only `@record(slots=True)` classes are compiled as frozen dataclasses (their pickling needs the generated state
methods), with equality, hash and repr still from `Record`. A class deriving from `MutableRecord` and declared
`@record(frozen=False)` is the mutable dataclass (fields may be set, unhashable) made the same way. spi4xl's data
classes are records; a plain `@dataclass` is left only where a class needs `__post_init__` or an `init=False` field
(the catalog, whose index is built after it, and the server's grids, which memoise), which `record` refuses.
"""

from __future__ import annotations

import dataclasses
import reprlib
from operator import attrgetter
from typing import Any, Callable, TypeVar, dataclass_transform

T = TypeVar("T", bound=type)


class _Spec:
    """What `Record`'s methods need of a class's fields, worked out once per class."""

    __slots__ = ("order", "defaults", "names", "key", "shown")

    def __init__(self, cls: type) -> None:
        fields = dataclasses.fields(cls)
        init = [f for f in fields if f.init]
        self.order = tuple(f.name for f in init)  # the __init__ parameters in order
        self.names = frozenset(self.order)
        # of those that have one: (True, factory) or (False, value)
        self.defaults = {f.name: (False, f.default) if f.default is not dataclasses.MISSING else (True, f.default_factory)
                         for f in init if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING}
        compared = [f.name for f in fields if f.compare]
        # the compared fields as a tuple, as the generated __eq__ and __hash__ use them (attrgetter of one name
        # gives the bare value)
        self.key: Callable[[Any], tuple] = (
            attrgetter(*compared) if len(compared) > 1
            else (lambda obj, one=attrgetter(compared[0]): (one(obj),)) if compared
            else (lambda obj: ()))
        self.shown = tuple(f.name for f in fields if f.repr)


_SPECS: dict[type, _Spec] = {}


def _spec(cls: type) -> _Spec:
    found = _SPECS.get(cls)
    if found is None:
        found = _SPECS[cls] = _Spec(cls)
    return found


class Record:
    """Base of `@record` classes (see the module's docstring)."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = self.__class__
        spec = _spec(cls)
        names, defaults = spec.order, spec.defaults
        if len(args) > len(names):
            raise TypeError(f"{cls.__qualname__}.__init__() takes {len(names) + 1} positional arguments but "
                            f"{len(args) + 1} were given")
        set_ = object.__setattr__
        for name, value in zip(names, args):
            set_(self, name, value)
        missing = []
        for name in names[len(args):]:
            if name in kwargs:
                set_(self, name, kwargs.pop(name))
            elif name in defaults:
                factory, value = defaults[name]
                set_(self, name, value() if factory else value)
            else:
                missing.append(name)
        if kwargs:
            name = next(iter(kwargs))
            raise TypeError(f"{cls.__qualname__}.__init__() got multiple values for argument {name!r}" if name in names
                            else f"{cls.__qualname__}.__init__() got an unexpected keyword argument {name!r}")
        if missing:
            raise TypeError(f"{cls.__qualname__}.__init__() missing {len(missing)} required argument(s): "
                            + ", ".join(map(repr, missing)))

    @classmethod
    def of_fields(cls, values: dict[str, Any]) -> Any:
        """The record whose fields are exactly `values` (one for each __init__ parameter, as a compiled bundle
        holds them: no default to apply), a third of calling the class's cost: the catalog makes ~550 so."""
        spec = _spec(cls)
        if len(values) != len(spec.order) or not values.keys() <= spec.names:
            raise TypeError(f"{cls.__qualname__}: fields {sorted(values)} are not {list(spec.order)}")
        made = object.__new__(cls)
        made.__dict__.update(values)
        return made

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = _spec(self.__class__).key
        return key(self) == key(other)

    def __hash__(self) -> int:
        return hash(_spec(self.__class__).key(self))

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        cls = self.__class__
        return f"{cls.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in _spec(cls).shown)})"


class MutableRecord(Record):
    """Base of `@record(frozen=False)` classes: their fields may be set, and they are unhashable, as a mutable
    dataclass comparing its fields is."""

    __slots__ = ()
    __setattr__ = object.__setattr__
    __delattr__ = object.__delattr__
    __hash__ = None  # type: ignore[assignment]


@dataclass_transform(frozen_default=True)
def record(cls: T | None = None, /, *, frozen: bool = True, slots: bool = False) -> Any:
    """A dataclass of a subclass of `Record` (frozen) or `MutableRecord` (frozen=False), its methods taken from
    `Record` (see the module's docstring)."""
    def wrap(klass: T) -> T:
        base = Record if frozen else MutableRecord
        if not issubclass(klass, base) or (frozen and issubclass(klass, MutableRecord)):
            raise TypeError(f"@record{'' if frozen else '(frozen=False)'} class {klass.__qualname__} must derive "
                            f"from {base.__name__}")
        if slots and frozen:
            return dataclasses.dataclass(klass, frozen=True, eq=False, repr=False, slots=True)
        made = dataclasses.dataclass(klass, init=False, eq=False, repr=False, slots=slots)
        if hasattr(made, "__post_init__") or not all(f.init for f in dataclasses.fields(made)):
            raise TypeError(f"@record class {klass.__qualname__}: Record's __init__ runs no __post_init__ and sets "
                            "no init=False field (use @dataclass)")
        return made
    return wrap if cls is None else wrap(cls)
