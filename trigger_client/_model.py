"""``Model``: the base of the generated models, with their ``repr``, equality and hash.

attrs compiles a ``__repr__``, ``__eq__`` and ``__hash__`` for every class it defines, which is most
of what defining a model costs (about half of defining the generated models at import). These are
written once here instead, from each class's attrs fields, and give what attrs's would:
``Run(id='run_1234', ...)``, equal when of the same class with equal fields (compared as tuples, so
a field value is equal to itself), hashable when every field is.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import attrs

__all__ = ["Model"]

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
