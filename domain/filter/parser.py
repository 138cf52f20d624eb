"""The expression grammar (the only module that imports parsy): text to ``Expr`` or a syntax error.

Loosest first: ``or`` (``||``); ``and`` (``&&``); ``not`` (``!``); one comparison (they do not
chain); ``+ -``; ``* / %``; unary ``-``; atoms. Field paths are read by ``domain.paths.parse_path``
(the one definition of path syntax): the grammar only finds where a path ends. Static mistakes
(unknown function, wrong arity, bad regex literal, ``in`` on a non-list literal, an unspaced
``a-b``) are syntax errors with a position, so nothing can fail later at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from functools import lru_cache, reduce
from typing import Any, Final, assert_never

import parsy
from pipeflow.domain.filter.ast import (
    FUNCTIONS,
    KEYWORDS,
    Binary,
    BinaryOp,
    Call,
    Const,
    Expr,
    Field,
    ListExpr,
    Unary,
)
from pipeflow.domain.filter.errors import FilterSyntaxError, syntax_error
from pipeflow.domain.filter.library import BUILTINS
from pipeflow.domain.filter.nesting import bracket_depth, room_for
from pipeflow.domain.filter.values import regex_or_problem
from pipeflow.domain.paths import parse_path, unescape

MAX_DEPTH: Final = 48
"""The deepest expression accepted (nesting of operators, calls and lists)."""

_IDENT = r"[A-Za-z_@$][A-Za-z0-9_@$\-]*"
# Linear-time forms of the segments ``parse_path`` reads (no ambiguous backslash, no newline).
_BRACKET = r"""\[(?:-?\d+|"(?:\\[^\n]|[^"\\\n])*"|'(?:\\[^\n]|[^'\\\n])*')\]"""
_TAIL = rf"(?:\.{_IDENT}|{_BRACKET})*"
_BARE_PATH = re.compile(rf"{_IDENT}{_TAIL}")
_DOT_PATH = re.compile(rf"\.(?:{_IDENT}|{_BRACKET}){_TAIL}")
_BRACKETS = re.compile(_BRACKET)
_FIRST = re.compile(r"[^.\[]*")
_END = r"(?![A-Za-z0-9_@$])"
# A word (a keyword or a word operator) ends where a name could not go on: names may hold dashes,
# so ``not-before`` is a name (refused with the dash hint), never ``not -before``.
_WORD_END = r"(?![A-Za-z0-9_@$\-])"
_DASH_HINT = "put spaces around '-' to subtract, or write a key with a dash in brackets: [\"a-b\"]"
_CALL = r"(?!(?:" + "|".join(sorted(KEYWORDS)) + r")\s*\()([A-Za-z_][A-Za-z0-9_]*)\s*\("


class _Abort(Exception):
    """A definite error found mid-parse (no other reading can fix it); caught in ``parse_filter``."""

    def __init__(self, index: int, expected: str, problem: str) -> None:
        super().__init__(problem)
        self.index, self.expected, self.problem = index, expected, problem


def _desc(p: parsy.Parser, label: str) -> parsy.Parser:
    # parsy's ``desc`` forgets a deeper failure; keep it, so "(a ==" points after "==", not at "(".
    def run(text: str, index: int) -> Any:
        result = p(text, index)
        if result.status or result.furthest > index:
            return result
        return parsy.Result.failure(index, label)

    return parsy.Parser(run)


def _tok(p: parsy.Parser) -> parsy.Parser:
    return p << parsy.regex(r"\s*")


def _kw(word: str) -> parsy.Parser:
    return _tok(parsy.regex(word + _WORD_END)).desc(repr(word))


def _sym(text: str, value: str | None = None) -> parsy.Parser:
    return _tok(parsy.string(text)).result(value if value is not None else text).desc(repr(text))


def _read_path(text: str, index: int) -> Any:
    m = _BARE_PATH.match(text, index) or _DOT_PATH.match(text, index)
    if m is None:
        return parsy.Result.failure(index, "field path")
    token = m.group()
    body = token[1:] if token.startswith(".") else token
    if not token.startswith(".") and _FIRST.match(body).group() in KEYWORDS:  # type: ignore[union-attr]
        return parsy.Result.failure(index, "field path")
    if "-" in _BRACKETS.sub("", body):
        raise _Abort(index, "field path", f"{token!r} is ambiguous: {_DASH_HINT}")
    path = parse_path(body)
    if path is None:  # pragma: no cover - the token regex only finds text parse_path reads
        raise _Abort(index, "field path", f"{token!r} is not a field path")
    return parsy.Result.success(m.end(), Field(path))


def _number(text: str) -> Const:
    try:
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        raise _Abort(0, "number", f"number {text[:20]!r}... is too long") from None
    if value in (float("inf"), float("-inf")):
        raise _Abort(0, "number", f"number {text!r} is out of range")
    return Const(value)


_ws = parsy.regex(r"\s*")
_expr = parsy.forward_declaration()

_num = parsy.seq(parsy.index, _tok(parsy.regex(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?" + _END)))
_number_p = _num.combine(lambda at, t: _located(at, lambda: _number(t)))
_string_p = _tok(parsy.regex(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""", re.S)).map(
    lambda raw: Const(unescape(raw[1:-1]))
)
_list_p = (_sym("[") >> _expr.sep_by(_sym(",")) << _sym("]")).map(lambda xs: ListExpr(tuple(xs)))
_paren_p = _sym("(") >> _expr << _sym(")")
_const_p = (
    _kw("true").result(Const(True)) | _kw("false").result(Const(False)) | _kw("null").result(Const(None))
)


def _located(at: int, build: Callable[[], Expr]) -> Expr:
    try:
        return build()
    except _Abort as exc:
        raise _Abort(at, exc.expected, exc.problem) from None


def _call_gen() -> Generator[parsy.Parser, Any, Expr]:
    at = yield parsy.index
    name = yield _tok(parsy.regex(_CALL, group=1))
    if name not in FUNCTIONS:
        raise _Abort(at, "function", f"unknown function {name!r} (known: {', '.join(FUNCTIONS)})")
    located = yield parsy.seq(parsy.index, _expr).sep_by(_sym(","))
    yield _sym(")")
    args = tuple(arg for _, arg in located)
    _located(at, lambda: _check_arity(name, args))
    for i, (where, arg) in enumerate(located):
        if i in _REGEX_ARGS.get(name, ()) and isinstance(arg, Const) and _bad_regex(arg.value):
            raise _Abort(where, "regex", f"invalid regex {arg.render()}: {_bad_regex(arg.value)}")
    return Call(name, args)


_call = _desc(parsy.generate(_call_gen), "function call")
_path = parsy.Parser(_read_path)
_REGEX_ARGS: Final = {name: set(b.regex_args) for name, b in BUILTINS.items() if b.regex_args}


def _check_arity(name: str, args: tuple[Expr, ...]) -> Expr:
    if name == "exists":
        if len(args) != 1:
            raise _Abort(0, "argument", f"exists() takes 1 argument, got {len(args)}")
        if not isinstance(args[0], Field):
            raise _Abort(0, "field path", "exists() takes a field path, such as exists(user.email)")
    else:
        problem = BUILTINS[name].arity_problem(name, len(args))
        if problem is not None:
            raise _Abort(0, "argument", problem)
    return Call(name, args)


_atom = _desc(_number_p | _string_p | _list_p | _paren_p | _call | _const_p | _tok(_path), "expression")
_neg = parsy.forward_declaration()
_neg.become(_desc(_atom | (_sym("-") >> _neg).map(lambda x: Unary("-", x)), "expression"))


def _left(operand: parsy.Parser, op: parsy.Parser) -> parsy.Parser:
    def build(first: Expr, rest: list[tuple[BinaryOp, Expr]]) -> Expr:
        return reduce(lambda acc, pair: Binary(pair[0], acc, pair[1]), rest, first)

    return parsy.seq(operand, parsy.seq(_desc(op, "operator"), operand).many()).combine(build)


_mul = _left(_neg, _sym("*") | _sym("/") | _sym("%"))
_add = _left(_mul, _sym("+") | _sym("-"))
_cmp_op = _tok(parsy.regex(r"==|!=|<=|>=|<|>")) | _tok(
    parsy.regex(r"(contains|startswith|endswith|matches|in)" + _WORD_END, group=1)
)


def _comparison_gen() -> Generator[parsy.Parser, Any, Expr]:
    left: Expr = yield _add
    op = yield _desc(_cmp_op, "operator").optional()
    if op is None:
        return left
    at = yield parsy.index
    right = yield _add
    if isinstance(right, Const):
        if op == "matches" and (not isinstance(right.value, str) or _bad_regex(right.value)):
            raise _Abort(at, "regex", f"invalid regex {right.render()}: {_bad_regex(right.value)}")
        if op == "in":
            raise _Abort(at, "list", "'in' needs a list on its right (use 'contains' for text)")
    return Binary(op, left, right)


_comparison = parsy.generate(_comparison_gen)


def _bad_regex(pattern: object) -> str:
    if not isinstance(pattern, str):
        return "a regex must be a string"
    compiled = regex_or_problem(pattern)
    return compiled if isinstance(compiled, str) else ""


_not = parsy.forward_declaration()
_not_op = _kw("not") | _tok(parsy.regex(r"!(?!=)"))
_not.become(_desc((_not_op >> _not).map(lambda x: Unary("not", x)) | _comparison, "expression"))
_and = _left(_not, _kw("and").result("and") | _sym("&&", "and"))
_expr.become(_left(_and, _kw("or").result("or") | _sym("||", "or")))
_filter = _ws >> _expr << _desc(parsy.eof, "end of input")


@lru_cache(maxsize=1024)
def parse_filter(text: str) -> Expr | FilterSyntaxError:
    """Parse an expression; any text gives an ``Expr`` or a ``FilterSyntaxError``, never an exception.

    Both are immutable, so one text is parsed once: a config's filters are parsed when it is
    loaded and again by each compiled form of its routes (``infrastructure.fastpath``).

    >>> parse_filter('level == "error" or status >= 500').render()
    'level == "error" or status >= 500'
    >>> parse_filter("status >=").message
    'line 1, column 10: expected expression, found end of input'
    """
    nested = bracket_depth(text)
    if nested > MAX_DEPTH:
        return syntax_error(text, 0, ("expression",), f"expression nested deeper than {MAX_DEPTH} levels")
    try:
        with room_for(nested):  # the parser's own recursion is ~66 frames a level: not the caller's
            result: Expr = _filter.parse(text)
    except parsy.ParseError as exc:
        return syntax_error(text, exc.index, tuple(sorted(exc.expected)))
    except _Abort as exc:
        return syntax_error(text, exc.index, (exc.expected,), exc.problem)
    except RecursionError:
        return syntax_error(text, 0, ("expression",), f"expression nested deeper than {MAX_DEPTH} levels")
    if depth(result) > MAX_DEPTH:
        return syntax_error(text, 0, ("expression",), f"expression nested deeper than {MAX_DEPTH} levels")
    return result


def depth(node: Expr) -> int:
    """How deeply ``node`` nests (an atom is 1), computed without recursion.

    >>> depth(Binary("+", Const(1), Unary("-", Field(("a",)))))
    3
    """
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        match current:
            case Binary(_, left, right):
                stack += [(left, level + 1), (right, level + 1)]
            case Unary(_, operand):
                stack.append((operand, level + 1))
            case ListExpr(items) | Call(_, items):
                stack += [(i, level + 1) for i in items]
            case Const() | Field():
                pass
            case _:
                assert_never(current)
    return deepest


__all__ = ["MAX_DEPTH", "depth", "parse_filter"]
