"""``FilterSyntaxError``: why a text is not an expression, with where and what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import final


@final
@dataclass(frozen=True, slots=True)
class FilterSyntaxError:
    """An expression that cannot be loaded: 1-based ``line`` and ``column``, what was expected there.

    ``message`` is the whole human sentence, place included.
    """

    line: int
    column: int
    expected: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return self.message


def position(text: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of ``index`` in ``text``.

    >>> position("a\\nbc", 3)
    (2, 2)
    """
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def syntax_error(text: str, index: int, expected: tuple[str, ...], problem: str = "") -> FilterSyntaxError:
    """Build the error for ``text`` at ``index``, describing what was found there.

    >>> syntax_error("a ==", 4, ("expression",)).message
    'line 1, column 5: expected expression, found end of input'
    """
    line, column = position(text, index)
    found = repr(text[index : index + 12]) if index < len(text) else "end of input"
    wanted = expected[0] if len(expected) == 1 else "one of " + ", ".join(expected)
    head = f"line {line}, column {column}: "
    message = head + (problem if problem else f"expected {wanted}, found {found}")
    return FilterSyntaxError(line, column, expected, message)


__all__ = ["FilterSyntaxError", "position", "syntax_error"]
