"""A compiled expression the compiler found constant: it says so, and returns its value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

from pipeflow.domain.json import Json, JsonObject


@final
@dataclass(frozen=True, slots=True)
class Constant:
    """The compiled form of an expression whose value ``Codegen`` knew: the same for every event.

    Code that compiles further (the fast path) reads ``value`` instead of calling it per event.

    >>> from pipeflow.domain.filter import compile_expression
    >>> compile_expression('"a" + "b"')
    Constant(value='ab')
    >>> compile_expression('"a" + "b"')({"x": 1})
    'ab'
    """

    value: Json

    def __call__(self, fields: JsonObject, /) -> Json:
        """The value, whatever the fields."""
        return self.value


__all__ = ["Constant"]
