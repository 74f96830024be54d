"""``Model`` and ``Record``: the bases of the SDK's value classes, with their ``repr``, equality
and hash.

``Model`` is the base of the generated models.

attrs compiles a ``__repr__``, ``__eq__`` and ``__hash__`` for every class it defines, which is most
of what defining a model costs (about half of defining the generated models at import). These are
written once here instead, from each class's attrs fields, and give what attrs's would:
``Run(id='run_1234', ...)``, equal when of the same class with equal fields (compared as tuples, so
a field value is equal to itself), hashable when every field is.

``Record`` is the base of the protocol's small immutable records, written out as plain slotted
classes rather than made by attrs (whose class building a subscription would pay at import): each
names its fields in ``__match_args__``, in order, and sets them in ``__init__`` with
``object.__setattr__``; the rest (immutability, equality and hash by fields, a repr naming each
field) is here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar, NoReturn

import attrs

__all__ = ["Model", "Record"]

_Fields = Callable[[Any], tuple[Any, ...]]

#: class -> (the names of its attrs fields, a function returning their values as a tuple). Filled
#: on first use per class; threads racing to fill it compute the same value.
_fields: dict[type, tuple[tuple[str, ...], _Fields]] = {}


def _fields_of(cls: type) -> tuple[tuple[str, ...], _Fields]:
    known = _fields.get(cls)
    if known is None:
        names = tuple(a.name for a in attrs.fields(cls))
        values: _Fields
        if len(names) > 1:
            values = attrgetter(*names)
        elif names:
            one = attrgetter(names[0])
            values = lambda obj: (one(obj),)  # noqa: E731
        else:
            values = lambda obj: ()  # noqa: E731
        known = _fields[cls] = (names, values)
    return known


class Model:
    """Base of the generated attrs models (defined with ``eq=False, repr=False``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        cls = type(self)
        names, values = _fields_of(cls)
        fields = ", ".join(f"{n}={v!r}" for n, v in zip(names, values(self), strict=True))
        return f"{cls.__qualname__.rsplit('>.', 1)[-1]}({fields})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        values = _fields_of(self.__class__)[1]
        return bool(values(self) == values(other))

    def __hash__(self) -> int:
        cls = type(self)
        return hash((cls, _fields_of(cls)[1](self)))


class Record:
    """Base of the protocol's immutable records: fields are ``__match_args__``, in order."""

    __slots__ = ()
    __match_args__: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__match_args__)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:  # a TypeError when a field is unhashable (a dict, a list)
        return hash((type(self), *self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__match_args__)
        return f"{type(self).__name__}({fields})"
