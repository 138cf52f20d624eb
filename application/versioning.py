"""Optimistic versioning at the use-case level: the client's expected version against the store's.

A client that read version ``n`` writes with ``expected=n``. If the store has moved on before
the write starts, the client is stale (``StaleVersion``: it must read again). If two writers
both expected the current version, the store's compare-and-set lets one win and the other gets
``ConcurrencyConflict``. ``expected=None`` means "whatever is current" (``If-Match: *``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

from returns.result import Failure, Result, Success


@final
@dataclass(frozen=True, slots=True)
class StaleVersion:
    """The client expected ``expected`` but the current version is ``actual``."""

    kind: str
    id: str
    expected: int
    actual: int


def check_expected(kind: str, ident: str, expected: int | None, actual: int) -> Result[int, StaleVersion]:
    """The version to compare-and-set against, or ``StaleVersion`` when the client is behind.

    >>> check_expected("pipeline", "p", None, 4)
    <Success: 4>
    >>> check_expected("pipeline", "p", 3, 4)
    <Failure: StaleVersion(kind='pipeline', id='p', expected=3, actual=4)>
    """
    if expected is None or expected == actual:
        return Success(actual)
    return Failure(StaleVersion(kind, ident, expected, actual))


__all__ = ["StaleVersion", "check_expected"]
