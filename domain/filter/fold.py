"""The catamorphism over expressions, and compiling an expression once into one Python function.

``fold(expr, algebra)`` replaces every node by the algebra's value for it, bottom up. The
compiling algebra (``domain.filter.codegen``) gives each node a piece of Python source plus what
is statically known about it (a constant, a field path, always boolean); the root's source becomes
the body of one function, compiled once. So a filter costs one plain call per event, and the
common shapes (``field == "text"``, ``field >= 500``) run as inline code with no helper call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar, assert_never

from pipeflow.domain.filter.ast import (
    Binary,
    BinaryOp,
    Call,
    Const,
    Expr,
    Field,
    FunctionName,
    ListExpr,
    Unary,
    UnaryOp,
)
from pipeflow.domain.filter.codegen import Codegen
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import Path

A = TypeVar("A")


class Algebra(Protocol[A]):
    """What to make of each kind of node, given what was made of its children."""

    def const(self, value: bool | int | float | str | None) -> A:
        """A literal."""
        ...

    def field(self, path: Path) -> A:
        """A field path."""
        ...

    def list_(self, items: tuple[A, ...]) -> A:
        """A list of folded items."""
        ...

    def unary(self, op: UnaryOp, operand: A) -> A:
        """A prefix operator over a folded operand."""
        ...

    def binary(self, op: BinaryOp, left: A, right: A) -> A:
        """An infix operator over two folded operands."""
        ...

    def call(self, name: FunctionName, args: tuple[A, ...]) -> A:
        """A function call over folded arguments."""
        ...


def fold(expr: Expr, algebra: Algebra[A]) -> A:
    """The catamorphism: fold ``expr`` bottom up with ``algebra``.

    >>> from pipeflow.domain.filter.parser import parse_filter
    >>> class Size:
    ...     def const(self, value): return 1
    ...     def field(self, path): return 1
    ...     def list_(self, items): return 1 + sum(items)
    ...     def unary(self, op, x): return 1 + x
    ...     def binary(self, op, l, r): return 1 + l + r
    ...     def call(self, name, args): return 1 + sum(args)
    >>> fold(parse_filter("not (a == 1 or lower(b) in [1, 2])"), Size())
    11
    """
    match expr:
        case Const(value):
            return algebra.const(value)
        case Field(path):
            return algebra.field(path)
        case ListExpr(items):
            return algebra.list_(tuple(fold(i, algebra) for i in items))
        case Unary(op, operand):
            return algebra.unary(op, fold(operand, algebra))
        case Binary(op, left, right):
            return algebra.binary(op, fold(left, algebra), fold(right, algebra))
        case Call(name, args):
            return algebra.call(name, tuple(fold(a, algebra) for a in args))
        case _:
            assert_never(expr)


def compile_value(expr: Expr) -> Callable[[JsonObject], Json]:
    """Compile ``expr`` once into a function from an event's fields to the expression's value.

    An expression that folds to a constant gives a ``Constant`` (``domain.filter.constant``).
    """
    return _compile(expr, as_filter=False)


def compile_predicate(expr: Expr) -> Callable[[JsonObject], bool]:
    """Compile ``expr`` once into a predicate that is true exactly when the value is ``true``."""
    return _compile(expr, as_filter=True)  # type: ignore[return-value]


def _compile(expr: Expr, *, as_filter: bool) -> Callable[[JsonObject], Json]:
    gen = Codegen()
    code = fold(expr, gen)
    built = gen.function(code, as_filter=as_filter)
    if built is not None:
        return built
    # Python refused the generated source (nesting limits): interpret instead, same semantics.
    from pipeflow.domain.filter.reference import evaluate

    def safe(fields: JsonObject) -> Json:
        try:
            return evaluate(expr, fields)
        except Exception:  # noqa: BLE001 - an expression never raises while events flow
            return None

    if as_filter:
        return lambda fields: safe(fields) is True
    return safe


__all__ = ["Algebra", "compile_predicate", "compile_value", "fold"]
