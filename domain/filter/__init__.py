"""The expression language of filters and ``eval``: parse once, compile once, never raise per event.

``parse_filter`` gives the AST or a ``FilterSyntaxError``; ``compile_filter`` and
``compile_expression`` give a function of an event's fields, or a ``ValidationError`` that says
where the text is wrong. See ``docs/expressions.md`` for the language.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeflow.domain.errors import Problem, ValidationError
from pipeflow.domain.filter.ast import Expr
from pipeflow.domain.filter.errors import FilterSyntaxError
from pipeflow.domain.filter.fold import compile_predicate, compile_value
from pipeflow.domain.filter.parser import parse_filter
from pipeflow.domain.json import Json, JsonObject


def compile_filter(text: str) -> Callable[[JsonObject], bool] | ValidationError:
    """A predicate over an event's fields, true exactly when the expression is ``true``.

    >>> matches = compile_filter('level == "error" or status >= 500')
    >>> matches({"level": "info", "status": 503}), matches({"status": "503"})
    (True, False)
    >>> str(compile_filter("status >"))
    'line 1, column 9: expected expression, found end of input'
    """
    parsed = parse_filter(text)
    if isinstance(parsed, FilterSyntaxError):
        return _invalid(parsed)
    return compile_predicate(parsed)


def compile_expression(text: str) -> Callable[[JsonObject], Json] | ValidationError:
    """A function from an event's fields to the expression's value (never raises).

    >>> compile_expression("status / 2")({"status": 7}), compile_expression("status / 0")({"status": 7})
    (3.5, None)
    """
    parsed = parse_filter(text)
    if isinstance(parsed, FilterSyntaxError):
        return _invalid(parsed)
    return compile_value(parsed)


def _invalid(error: FilterSyntaxError) -> ValidationError:
    return ValidationError((Problem("", error.message),))


__all__ = ["Expr", "FilterSyntaxError", "compile_expression", "compile_filter", "parse_filter"]
