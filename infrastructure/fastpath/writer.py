"""Writing the source of a fused batch function: indented lines, and values bound to names.

Safety, as in ``domain.filter.codegen``: user data never enters the source text. Every literal,
key, regex and callable is bound to a generated name (``_fpx3``) and passed in as a closure
variable; the source holds only those names, operators and calls. Filters are inlined with the
filter compiler's own algebra, so they keep its exact semantics.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import final

from domain.filter.codegen import HELPERS, Codegen
from domain.filter.errors import FilterSyntaxError
from domain.filter.fold import fold
from domain.filter.parser import parse_filter
from domain.json import JsonObject


@final
class Writer:
    """Collects lines of source and the names they refer to; one per compiled batch function."""

    def __init__(self, *, inline_filters: bool = True, exact_str: bool = False) -> None:
        self.lines: list[str] = []
        self.env: dict[str, object] = {}
        self.inline_filters = inline_filters
        # Fields decoded by orjson hold exact ``str`` (no subclass): a class test is enough.
        self.exact_str = exact_str
        # Top-level field -> the local that holds its current value, where that is known (read
        # once by a kernel and not written since); kernels forget what they may change.
        self.known: dict[str, str] = {}
        self._gen = Codegen()  # shared, so every inlined filter gets distinct names
        self._n = 0

    def bind(self, value: object, hint: str = "x") -> str:
        """A fresh name that refers to ``value`` in the generated source."""
        self._n += 1
        name = f"_fp{hint}{self._n}"
        self.env[name] = value
        return name

    def local(self, hint: str = "v") -> str:
        """A fresh local variable name (not a closure variable)."""
        self._n += 1
        return f"_fl{hint}{self._n}"

    def emit(self, indent: int, line: str) -> None:
        """Append one line at ``indent`` levels."""
        self.lines.append("    " * indent + line)

    def test(self, indent: int, text: str, predicate: Callable[[JsonObject], bool]) -> str:
        """Emit what evaluates the filter ``text`` on ``f``; returns the condition to test.

        ``"True"``/``"False"`` for a constant filter. Inlined filters are wrapped like the filter
        compiler wraps them (an exception means no match); otherwise ``predicate`` is called.
        """
        parsed = parse_filter(text) if self.inline_filters else None
        if parsed is None or isinstance(parsed, FilterSyntaxError):
            return f"{self.bind(predicate, 'p')}(f)"
        code = fold(parsed, self._gen)
        if code.is_const:
            return "True" if code.const is True else "False"
        body = code.src if code.boolean else f"({code.src}) is True"
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
        closure = {**HELPERS, **{k: v for k, v in self._gen.env.items() if not k.startswith("_t")}}
        closure.update(self.env)
        names = sorted(closure)
        source = "\n".join(
            [f"def _make({', '.join(names)}):", f"    def {name}({params}):"]
            + ["        " + line for line in self.lines]
            + [f"    return {name}"]
        )
        # Real builtins: C functions such as ``Pattern.sub`` with a template import lazily, and
        # imports look ``__import__`` up in the calling frame's builtins.
        namespace: dict[str, object] = {"__builtins__": builtins}
        # The source holds generated names only (see the module docstring), never user text.
        exec(compile(source, f"<fastpath {name}>", "exec"), namespace)
        make: Callable[..., Callable[..., object]] = namespace["_make"]  # type: ignore[assignment]
        return make(**closure)

    def source(self) -> str:
        """The body written so far (for debugging and tests)."""
        return "\n".join(self.lines)


__all__ = ["Writer"]
