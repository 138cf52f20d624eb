"""Ports: the small capabilities the domain and the use cases need, as Protocols.

Adapters in ``infrastructure/`` satisfy them structurally (no inheritance, nothing to import),
and tests pass fakes. Declaring a coroutine here is not doing I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from domain.events import Event, EventId
from domain.json import Json
from domain.results import FnResult


@runtime_checkable
class PipelineFn(Protocol):
    """A pipeline function: one event in, a ``FnResult`` out; pure and deterministic."""

    def __call__(self, event: Event, /) -> FnResult:
        """Process one event."""
        ...


class Clock(Protocol):
    """The wall clock, as a port: epoch seconds."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class IdFactory(Protocol):
    """Makes event ids (ULIDs in production, counters in tests)."""

    def new_id(self) -> EventId:
        """A fresh, unique, sortable id."""
        ...


class FunctionFactory(Protocol):
    """Builds a ``PipelineFn`` from a function's config (its ``type``-specific fields).

    Returns the function, or the list of ``(where, message)`` problems with the config.
    """

    def __call__(self, config: Mapping[str, Json], /) -> PipelineFn | Sequence[tuple[str, str]]:
        """Build the function or say what is wrong with the config."""
        ...


__all__ = ["Clock", "FunctionFactory", "IdFactory", "PipelineFn"]
