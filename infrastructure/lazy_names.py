"""Module attributes imported on first use (PEP 562), for packages whose names are costly to import."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_getattr"]


def lazy_getattr(module: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A ``__getattr__`` for ``module``: a name in ``homes`` is imported from its home module when
    first asked for and kept in ``module``'s namespace; any other name is an ``AttributeError``.

    >>> getattr_ = lazy_getattr(__name__, {"sqrt": "math"})
    >>> getattr_("sqrt")(9.0)
    3.0
    """
    namespace = sys.modules[module].__dict__

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    return __getattr__
