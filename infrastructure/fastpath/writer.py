"""Writing the source of a fused batch function: indented lines, and values bound to names.

Safety, as in ``domain.filter.codegen``: user data never enters the source text. Every literal,
key, regex and callable is bound to a generated name (``_k3``) and passed in; the source holds
only those names, operators and calls, and runs with no builtins (``domain.filter.names.define``):
whatever it calls (``dict``, ``enumerate``...) is passed in too. Filters are inlined with the
filter compiler's own algebra, so they keep its exact semantics; the writer and that algebra take
their names from one ``Names``, so no two names of the source can be alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import final

from pipeflow.domain.filter.ast import BinaryOp, FunctionName, UnaryOp
from pipeflow.domain.filter.codegen import HELPERS, Codegen
from pipeflow.domain.filter.errors import FilterSyntaxError
from pipeflow.domain.filter.fold import fold
from pipeflow.domain.filter.names import Names, define
from pipeflow.domain.filter.parser import parse_filter
from pipeflow.domain.json import JsonObject
from pipeflow.domain.paths import Path


class _TopFields:
    """The algebra that collects the top-level field names an expression reads."""

    def const(self, value: bool | int | float | str | None) -> frozenset[str]:
        return frozenset()

    def field(self, path: Path) -> frozenset[str]:
        top = path[0]
        return frozenset({top}) if len(path) == 1 and isinstance(top, str) else frozenset()

    def list_(self, items: tuple[frozenset[str], ...]) -> frozenset[str]:
        return frozenset().union(*items)

    def unary(self, op: UnaryOp, operand: frozenset[str]) -> frozenset[str]:
        return operand

    def binary(self, op: BinaryOp, left: frozenset[str], right: frozenset[str]) -> frozenset[str]:
        return left | right

    def call(self, name: FunctionName, args: tuple[frozenset[str], ...]) -> frozenset[str]:
        return frozenset().union(*args)


_NAME = re.compile(r"\b_\w+")
"""A generated name (every bound value's name starts with an underscore)."""


@final
class Writer:
    """Collects lines of source and the names they refer to; one per compiled batch function."""

    def __init__(self, *, inline_filters: bool = True, exact_str: bool = False) -> None:
        self.lines: list[str] = []
        # Every name the source refers to, for the writer and the inlined filters alike.
        self.names = Names(HELPERS)
        self.inline_filters = inline_filters
        # Fields decoded by orjson hold exact ``str`` (no subclass): a class test is enough.
        self.exact_str = exact_str
        # Top-level field -> the local that holds its current value, where that is known (read
        # once by a kernel and not written since); kernels forget what they may change.
        self.known: dict[str, str] = {}
        # A local from ``known`` -> a local holding whether its value is an exact ``str``.
        self.str_flags: dict[str, str] = {}
        self._gen = Codegen(self.names)

    def forget(self, known: dict[str, str] | None = None) -> None:
        """Know only ``known`` from here on (nothing by default): fields and the ``str`` flags of
        their locals, which were set on another path or before a write."""
        self.known = dict(known or {})
        self.str_flags.clear()

    def bind(self, value: object, hint: str = "x") -> str:
        """A fresh name that refers to ``value`` in the generated source (``hint``: ASCII letters)."""
        return self.names.bind(value, hint)

    def local(self, hint: str = "v") -> str:
        """A fresh local variable name (not a closure variable)."""
        return self.names.local(hint)

    def emit(self, indent: int, line: str) -> None:
        """Append one line at ``indent`` levels."""
        self.lines.append("    " * indent + line)

    def test(
        self, indent: int, text: str, predicate: Callable[[JsonObject], bool], *, read_ahead: bool = False
    ) -> str:
        """Emit what evaluates the filter ``text`` on ``f``; returns the condition to test.

        ``"True"``/``"False"`` for a constant filter. Inlined filters are wrapped like the filter
        compiler wraps them (an exception means no match); otherwise ``predicate`` is called.
        Fields whose value a local holds (``known``) are read from it; with ``read_ahead`` the
        filter's other top-level fields are read into locals first, for later code to share.
        """
        parsed = parse_filter(text) if self.inline_filters else None
        if parsed is None or isinstance(parsed, FilterSyntaxError):
            return f"{self.bind(predicate, 'p')}(f)"
        if read_ahead:
            names: frozenset[str] = fold(parsed, _TopFields())
            for name in sorted(names):
                if name not in self.known:
                    held = self.local()
                    self.emit(indent, f"{held} = f.get({self.bind(name, 'k')})")  # a dict's get cannot raise
                    self.known[name] = held
        self._gen.locals = self.known
        try:
            code = fold(parsed, self._gen)
        finally:
            self._gen.locals = {}
        if code.is_const:
            return "True" if code.const is True else "False"
        body = code.src if code.boolean else f"({code.src}) is True"
        if code.safe:  # nothing in it can raise: tested as it is
            return body
        ok = self.local("ok")
        self.emit(indent, "try:")
        self.emit(indent + 1, f"{ok} = {body}")
        self.emit(indent, "except _E:")
        self.emit(indent + 1, f"{ok} = False")
        return ok

    def build(self, name: str, params: str) -> Callable[..., object]:
        """Compile the lines as the body of ``def name(params)`` and return the function.

        :raises SyntaxError: when Python refuses the source (nesting limits); callers retry
            without inlined filters.
        """
        bound = {**HELPERS, **self.names.values}
        used = set(_NAME.findall("\n".join(self.lines)))
        # Every bound value the body uses is a keyword-only parameter with that value as its
        # default: inside the loop it is a local (``LOAD_FAST``, which 3.11 fuses with its
        # neighbours) rather than a closure cell: the W1 loop in memory ran ~5 % faster so (best
        # of 15 rounds; within the noise of a whole run).
        names = sorted(n for n in bound if n in used)
        defaults = "".join(f", {n}={n}" for n in names)
        head = f"def {name}({params}, *{defaults}):" if names else f"def {name}({params}):"
        source = "\n".join([head] + ["    " + line for line in self.lines])
        namespace = define(source, f"<fastpath {name}>", {n: bound[n] for n in names})
        built: Callable[..., object] = namespace[name]  # type: ignore[assignment]
        return built

    def source(self) -> str:
        """The body written so far (for debugging and tests)."""
        return "\n".join(self.lines)


__all__ = ["Writer"]
