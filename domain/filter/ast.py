"""The expression AST: a sum type of frozen nodes, each able to ``render()`` itself back to text.

``parse_filter(node.render()) == node`` holds for every node the parser can produce: rendering
adds only the parentheses that precedence needs, and writes literals in their canonical form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias, assert_never, final

from pipeflow.domain.filter.library import BUILTINS
from pipeflow.domain.paths import Path, render_path

UnaryOp: TypeAlias = Literal["not", "-"]
"""A prefix operator: logical ``not`` (also written ``!``) or numeric negation."""

BinaryOp: TypeAlias = Literal[
    "or", "and",
    "==", "!=", "<", "<=", ">", ">=", "contains", "startswith", "endswith", "matches", "in",
    "+", "-", "*", "/", "%",
]  # fmt: skip
"""An infix operator (``||`` and ``&&`` are read as ``or`` and ``and``)."""

FunctionName: TypeAlias = str
"""The name of a function of the language: ``exists`` or a name of ``library.BUILTINS``."""

FUNCTIONS: Final[tuple[FunctionName, ...]] = ("exists", *BUILTINS)
"""Every function name, in the order the docs list them."""

KEYWORDS: Final = frozenset(
    {"or", "and", "not", "contains", "startswith", "endswith", "matches", "in", "true", "false", "null"}
)
"""Reserved words: a top-level field with one of these names is written ``.name``."""

COMPARISONS: Final[frozenset[BinaryOp]] = frozenset(
    {"==", "!=", "<", "<=", ">", ">=", "contains", "startswith", "endswith", "matches", "in"}
)
"""Operators that always yield a boolean and do not chain (``a < b < c`` is a syntax error)."""

# Binding strength, loosest first. Comparisons do not associate; the others associate left.
PRECEDENCE: Final[dict[str, int]] = {
    "or": 1, "and": 2, "not": 3, **dict.fromkeys(COMPARISONS, 4),
    "+": 5, "-": 5, "*": 6, "/": 6, "%": 6, "neg": 7,
}  # fmt: skip
"""Binding strength of each operator (``neg`` is unary minus); atoms bind tighter than all."""

_ATOM: Final = 8
_BARE = re.compile(r"[A-Za-z_@$][A-Za-z0-9_@$]*")


@final
@dataclass(frozen=True, slots=True)
class Const:
    """A constant: null, a boolean, a finite number or a string (lists are ``ListExpr``)."""

    value: bool | int | float | str | None

    def render(self) -> str:
        """The literal as source text."""
        return render(self)


@final
@dataclass(frozen=True, slots=True)
class Field:
    """A field path such as ``user.email``, ``tags[0]`` or ``headers["content-type"]``."""

    path: Path

    def render(self) -> str:
        """The path as source text."""
        return render(self)


@final
@dataclass(frozen=True, slots=True)
class ListExpr:
    """A list ``[a, b, ...]`` whose items are expressions."""

    items: tuple[Expr, ...]

    def render(self) -> str:
        """The list as source text."""
        return render(self)


@final
@dataclass(frozen=True, slots=True)
class Unary:
    """``not x`` or ``-x``."""

    op: UnaryOp
    operand: Expr

    def render(self) -> str:
        """The expression as source text."""
        return render(self)


@final
@dataclass(frozen=True, slots=True)
class Binary:
    """``left op right`` for every infix operator, ``or`` and ``and`` included."""

    op: BinaryOp
    left: Expr
    right: Expr

    def render(self) -> str:
        """The expression as source text."""
        return render(self)


@final
@dataclass(frozen=True, slots=True)
class Call:
    """A call of a built-in function, such as ``lower(name)`` or ``coalesce(a, b, "x")``."""

    name: FunctionName
    args: tuple[Expr, ...]

    def render(self) -> str:
        """The call as source text."""
        return render(self)


Expr: TypeAlias = Const | Field | ListExpr | Unary | Binary | Call
"""An expression: the sum of every node type."""


def render(expr: Expr) -> str:
    """Source text for ``expr`` with only the parentheses precedence needs.

    >>> render(Binary("*", Binary("+", Field(("a",)), Const(1)), Const(2.5)))
    '(a + 1) * 2.5'
    """
    return _render(expr)[0]


def _render(expr: Expr) -> tuple[str, int]:
    match expr:
        case Const(value):
            return render_literal(value), _ATOM
        case Field(path):
            return render_field(path), _ATOM
        case ListExpr(items):
            return "[" + ", ".join(render(i) for i in items) + "]", _ATOM
        case Call(name, args):
            return f"{name}(" + ", ".join(render(a) for a in args) + ")", _ATOM
        case Unary(op, operand) if op == "not":
            return "not " + _wrap(operand, PRECEDENCE["not"]), PRECEDENCE["not"]
        case Unary(op, operand):
            text, prec = _render(operand)
            # "-(1)" keeps negation of a literal apart from the negative literal "-1".
            needs = prec < PRECEDENCE["neg"] or isinstance(operand, Const) or text.startswith("-")
            return "-" + (f"({text})" if needs else text), PRECEDENCE["neg"]
        case Binary(op, left, right):
            level = PRECEDENCE[op]
            # Left-associative: the right operand needs a tighter binding; comparisons do not chain.
            left_min = level + 1 if op in COMPARISONS else level
            return f"{_wrap(left, left_min)} {op} {_wrap(right, level + 1)}", level
        case _:
            assert_never(expr)


def _wrap(expr: Expr, minimum: int) -> str:
    text, prec = _render(expr)
    return text if prec >= minimum else f"({text})"


def render_literal(value: bool | int | float | str | None) -> str:
    """A literal's canonical source text (strings in double quotes).

    >>> render_literal('say "hi"\\n'), render_literal(None), render_literal(1.0)
    ('"say \\\\"hi\\\\"\\\\n"', 'null', '1.0')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def render_field(path: Path) -> str:
    """A path as expression text; a leading ``.`` marks a first key that is not a plain name.

    >>> render_field(("user", "email")), render_field(("content-type",)), render_field(("in", 0))
    ('user.email', '.["content-type"]', '.in[0]')
    """
    text = render_path(path)
    first = path[0] if path else None
    if isinstance(first, str) and _BARE.fullmatch(first) and first not in KEYWORDS:
        return text
    return "." + text


__all__ = [
    "COMPARISONS",
    "FUNCTIONS",
    "KEYWORDS",
    "PRECEDENCE",
    "Binary",
    "BinaryOp",
    "Call",
    "Const",
    "Expr",
    "Field",
    "FunctionName",
    "ListExpr",
    "Unary",
    "UnaryOp",
    "render",
    "render_field",
    "render_literal",
]
