"""The compiling algebra: each node becomes Python source plus what is known about it statically.

Safety: user data never enters the source text. Every literal, field key, path and regex is
bound to a generated name (``_c0``, ``_k1``...) from ``names.Names`` and passed in as a closure
variable; the source holds only those names, operators and calls of ``values`` helpers, and runs
with no builtins (``names.define``). Constant subtrees are folded at compile time with the same
``values`` functions the reference interpreter uses; a constant root compiles to a ``Constant``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, final

from pipeflow.domain.filter import values as v
from pipeflow.domain.filter.ast import BinaryOp, FunctionName, UnaryOp
from pipeflow.domain.filter.constant import Constant
from pipeflow.domain.filter.library import BUILTINS
from pipeflow.domain.filter.names import Names, define
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import MISSING, Path, get_in

_NONE: Final = object()
_ARITHMETIC: Final = frozenset({"+", "-", "*", "/", "%"})
_FLIP: Final = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
HELPERS: Final[dict[str, object]] = {
    "_read": lambda f, p: None if (x := get_in(f, p)) is MISSING else x,
    "_get_in": get_in,
    "_MISSING": MISSING,
    "_NUM": v.NUMBER_TYPES,
    "_str": str,
    "_bool": bool,
    "_E": Exception,
    "_neg": v.neg,
    **{f"_op{i}": fn for i, fn in enumerate(v.BINARY.values())},
}
"""The names every generated filter body may use (``_E``, ``_NUM``, the operators...), with their values."""
_OP_NAME: Final = {op: f"_op{i}" for i, op in enumerate(v.BINARY)}


@final
@dataclass(frozen=True, slots=True)
class Code:
    """A node compiled: a Python expression over ``f`` (the fields), and static facts about it."""

    src: str
    boolean: bool = False  # always evaluates to True or False
    const: object = _NONE  # the value, when the node is a constant
    path: Path | None = None  # the path, when the node is a field
    safe: bool = False  # cannot raise, whatever the fields (so it needs no ``try``)

    @property
    def is_const(self) -> bool:
        """Whether the value is known at compile time."""
        return self.const is not _NONE


@final
class Codegen:
    """The algebra that compiles; the values its source refers to are bound in ``names``.

    ``names`` is shared with the code the source is written into (the fast path's ``Writer``),
    so every name in the whole source is distinct; by default the compiler has its own.
    """

    def __init__(self, names: Names | None = None) -> None:
        self.names = names if names is not None else Names(HELPERS)
        # Top-level field -> a local of the generated code holding its current value (the fast
        # path reads a field once for several filters and functions); empty for a lone filter.
        self.locals: dict[str, str] = {}
        self._fns: dict[str, str] = {}  # built-in function -> the name it is bound to

    def _bind(self, value: object, hint: str) -> str:
        return self.names.bind(value, hint)

    def _tmp(self) -> str:
        return self.names.local("t")  # a local of the generated function, not a closure variable

    def _value(self, value: Json) -> Code:
        if value is None or isinstance(value, bool):
            return Code(repr(value), boolean=isinstance(value, bool), const=value, safe=True)
        return Code(self._bind(value, "c"), const=value, safe=True)

    def const(self, value: bool | int | float | str | None) -> Code:
        """A literal is bound to a name (or written as ``None``/``True``/``False``)."""
        return self._value(value)

    def field(self, path: Path) -> Code:
        """One key reads with ``dict.get``; a longer path through ``get_in``."""
        if len(path) == 1 and isinstance(path[0], str):  # ``f`` is a dict: ``get`` cannot raise
            held = self.locals.get(path[0])
            src = held if held is not None else f"f.get({self._bind(path[0], 'k')})"
            return Code(src, path=path, safe=True)
        return Code(f"_read(f, {self._bind(path, 'p')})", path=path)

    def list_(self, items: tuple[Code, ...]) -> Code:
        """A list display, or a constant list when every item is constant."""
        if all(i.is_const for i in items):
            return self._value([i.const for i in items])  # type: ignore[misc]
        return Code("[" + ", ".join(i.src for i in items) + "]")

    def unary(self, op: UnaryOp, x: Code) -> Code:
        """``not`` is ``is False``; ``-`` calls ``values.neg``."""
        if x.is_const:
            return self._value(x.const is False if op == "not" else v.neg(x.const))  # type: ignore[arg-type]
        if op == "not":
            return Code(f"(not {x.src})" if x.boolean else f"({x.src} is False)", boolean=True, safe=x.safe)
        return Code(f"_neg({x.src})")

    def binary(self, op: BinaryOp, a: Code, b: Code) -> Code:
        """Logic inline, comparisons with a constant inline, everything else a ``values`` call."""
        if op in ("and", "or"):
            if a.is_const and b.is_const:
                both = (a.const is True, b.const is True)
                return self._value(all(both) if op == "and" else any(both))
            return Code(f"({self._truth(a)} {op} {self._truth(b)})", boolean=True, safe=a.safe and b.safe)
        if a.is_const and b.is_const:
            return self._value(v.BINARY[op](a.const, b.const))  # type: ignore[arg-type]
        special = self._compare_const(op, a, b)
        if special is None and a.is_const and op in _FLIP:
            special = self._compare_const(_FLIP[op], b, a)  # type: ignore[arg-type]
        if special is not None:
            return special
        if op == "matches" and b.is_const:
            pattern = v.regex(b.const) if isinstance(b.const, str) else None
            if pattern is None:
                return self._value(False)
            t, r = self._tmp(), self._bind(pattern, "r")
            return Code(f"(({t} := {a.src}).__class__ is _str and {r}.search({t}) is not None)", True)
        return Code(f"{_OP_NAME[op]}({a.src}, {b.src})", boolean=op not in _ARITHMETIC)

    def _truth(self, x: Code) -> str:
        return x.src if x.boolean else f"({x.src} is True)"

    def _compare_const(self, op: BinaryOp, a: Code, b: Code) -> Code | None:
        # The shapes filters are made of, written out so no helper call is needed.
        if not b.is_const or op not in _FLIP:
            return None
        # Each shape below compares with a scalar constant, or orders two numbers or two strings:
        # none can raise, so it is ``safe`` when its operand is.
        c, t = b.const, self._tmp()
        if op in ("==", "!="):
            if c is None or isinstance(c, bool):
                test = f"({a.src} is {c!r})"
            elif isinstance(c, str):
                test = f"({a.src} == {b.src})"
            elif v.is_number(c):  # type: ignore[arg-type]
                test = f"(({t} := {a.src}) == {b.src} and {t}.__class__ is not _bool)"
            else:
                return None
            return Code(test if op == "==" else f"(not {test})", boolean=True, safe=a.safe)
        if v.is_number(c):  # type: ignore[arg-type]
            src = f"(({t} := {a.src}).__class__ in _NUM and {t} {op} {b.src})"
            return Code(src, boolean=True, safe=a.safe)
        if isinstance(c, str):
            src = f"(({t} := {a.src}).__class__ is _str and {t} {op} {b.src})"
            return Code(src, boolean=True, safe=a.safe)
        return self._value(False)  # null, booleans and lists are never ordered

    def call(self, name: FunctionName, args: tuple[Code, ...]) -> Code:
        """``exists`` tests presence inline; the others call their function from ``library``.

        A call of a pure function whose arguments are all constant is made now; ``now()`` is not
        pure (it reads the batch's time), so it is called per event. A regex literal is passed
        compiled. The function is bound (``_fn0``...) when the source first calls it: only the
        functions an expression calls are imported.
        """
        if name == "exists":
            path = args[0].path or ()
            if len(path) == 1 and isinstance(path[0], str):
                return Code(f"({self._bind(path[0], 'k')} in f)", boolean=True, safe=True)
            return Code(f"(_get_in(f, {self._bind(path, 'p')}) is not _MISSING)", boolean=True)
        builtin = BUILTINS[name]
        if builtin.pure and all(a.is_const for a in args):
            return self._value(builtin.fn(*(a.const for a in args)))
        srcs = (self._pattern(a) if i in builtin.regex_args else a.src for i, a in enumerate(args))
        fn = self._fns.get(name)
        if fn is None:
            fn = self._fns[name] = self._bind(builtin.fn, "fn")
        return Code(f"{fn}({', '.join(srcs)})", boolean=builtin.boolean)

    def _pattern(self, arg: Code) -> str:
        compiled = v.regex(arg.const) if isinstance(arg.const, str) else None
        return arg.src if compiled is None else self._bind(compiled, "r")

    def function(self, root: Code, *, as_filter: bool) -> Callable[[JsonObject], Json] | None:
        """Compile the root into one function of the fields; ``None`` if Python refuses the source.

        A constant root gives a ``Constant``, which says what it returns.
        """
        if root.is_const:
            return Constant(root.const is True if as_filter else root.const)  # type: ignore[arg-type]
        body = root.src if root.boolean or not as_filter else f"{root.src} is True"
        default = "False" if as_filter else "None"
        closure = self.names.values
        names = sorted({*closure, *HELPERS})
        source = (
            f"def _make({', '.join(names)}):\n"
            f"    def _compiled(f):\n"
            f"        try:\n            return {body}\n"
            f"        except _E:\n            return {default}\n"
            f"    return _compiled\n"
        )
        try:
            namespace = define(source, "<expression>", {})
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return None
        make: Callable[..., Callable[[JsonObject], Json]] = namespace["_make"]  # type: ignore[assignment]
        return make(**HELPERS, **closure)


__all__ = ["HELPERS", "Code", "Codegen"]
