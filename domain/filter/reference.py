"""The reference interpreter: a plain recursive walk of the AST, the oracle the compiler is tested against.

It is slow on purpose (one ``match`` per node per event) and obviously follows the rules of
``values``; the compiled closures must give the same value for every expression and event.
"""

from __future__ import annotations

from typing import assert_never

from pipeflow.domain.filter import values as v
from pipeflow.domain.filter.ast import Binary, Call, Const, Expr, Field, ListExpr, Unary
from pipeflow.domain.filter.library import BUILTINS
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import MISSING, get_in


def evaluate(expr: Expr, fields: JsonObject) -> Json:
    """The value of ``expr`` for an event's fields (a missing field reads as null).

    >>> evaluate(Binary("+", Binary("/", Field(("status",)), Const(2)), Const(1)), {"status": 7})
    4.5
    """
    match expr:
        case Const(value):
            return value
        case Field(path):
            found = get_in(fields, path)
            return None if found is MISSING else found  # type: ignore[return-value]
        case ListExpr(items):
            return [evaluate(i, fields) for i in items]
        case Unary(op, operand):
            inner = evaluate(operand, fields)
            return inner is False if op == "not" else v.neg(inner)
        case Binary("and", left, right):
            return evaluate(left, fields) is True and evaluate(right, fields) is True
        case Binary("or", left, right):
            return evaluate(left, fields) is True or evaluate(right, fields) is True
        case Binary(op, left, right):
            return v.BINARY[op](evaluate(left, fields), evaluate(right, fields))
        case Call("exists", (Field(path),)):
            return get_in(fields, path) is not MISSING
        case Call(name, args) if name in BUILTINS:
            return BUILTINS[name].fn(*(evaluate(a, fields) for a in args))
        case Call():
            return None  # unreachable for parsed input: the parser checks names and arity
        case _:
            assert_never(expr)


def matches_filter(expr: Expr, fields: JsonObject) -> bool:
    """Whether a filter matches: only the value ``true`` does."""
    return evaluate(expr, fields) is True


__all__ = ["evaluate", "matches_filter"]
