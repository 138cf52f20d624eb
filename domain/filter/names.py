"""The namespace of generated source: fresh names for what it refers to, and defining it bare.

Generated code (the filter compiler's ``Codegen``, the fast path's ``Writer``) never holds user
text: every value it needs is bound to a name that ``Names`` makes, and the source refers to that
name. One ``Names`` serves everything written into one piece of source, so no two parts of it can
pick the same name. ``define`` runs the source with no builtins at all: it can reach only what it
was given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, final

NO_BUILTINS: Final[Mapping[str, object]] = MappingProxyType({})
"""The builtins generated code runs with: none; what it calls (``dict``, ``enumerate``...) is
passed in under a generated name like any other value."""


@final
class Names:
    """Hands out the identifiers of one piece of generated source, never the same one twice.

    A name is ``_`` + a hint of ASCII letters + a number, and never one of the ``reserved``
    names (the helpers the source may also use, fixed names of its template).

    >>> names = Names(reserved=["_t1"])
    >>> names.bind("user", "k"), names.local("t"), names.bind(42, "k")
    ('_k0', '_t2', '_k3')
    >>> names.values
    {'_k0': 'user', '_k3': 42}
    >>> names.bind(1, "k_1")
    Traceback (most recent call last):
    ...
    ValueError: a name hint is ASCII letters only: 'k_1'
    """

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.values: dict[str, object] = {}  # bound name -> its value (closure or default values)
        self._taken = set(reserved)
        self._n = 0

    def local(self, hint: str) -> str:
        """A fresh name for a local of the generated code (no value bound to it)."""
        if not (hint.isascii() and hint.isalpha()):
            raise ValueError(f"a name hint is ASCII letters only: {hint!r}")
        while True:
            name = f"_{hint}{self._n}"
            self._n += 1
            if name not in self._taken:
                self._taken.add(name)
                return name

    def bind(self, value: object, hint: str) -> str:
        """A fresh name that refers to ``value`` in the generated source."""
        name = self.local(hint)
        self.values[name] = value
        return name


def define(source: str, filename: str, bound: Mapping[str, object]) -> dict[str, object]:
    """Run generated ``source`` (definitions) with the names in ``bound`` and no builtins.

    Returns the namespace it defined its names in. The source must hold generated names only,
    never user text (``Names``); Python's ``SyntaxError`` and the like propagate.

    >>> define("def g(x):\\n    return _add(x, 1)", "<doc>", {"_add": lambda a, b: a + b})["g"](1)
    2
    >>> define("def g():\\n    return len('a')", "<doc>", {})["g"]()
    Traceback (most recent call last):
    ...
    NameError: name 'len' is not defined
    """
    namespace: dict[str, object] = {**bound, "__builtins__": dict(NO_BUILTINS)}
    exec(compile(source, filename, "exec"), namespace)  # generated names only: no user text
    return namespace


__all__ = ["NO_BUILTINS", "Names", "define"]
