"""``FnResult``: what a pipeline function does with one event, as a sum type.

``Pass`` keeps one (possibly changed) event, ``Split`` turns it into several, ``Drop`` removes
it with a reason. A function never returns ``None`` and never signals a drop by raising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, assert_never, final

from pipeflow.domain.events import Event


@final
@dataclass(frozen=True, slots=True)
class Pass:
    """The function kept the event (``event`` is the new version)."""

    event: Event


@final
@dataclass(frozen=True, slots=True)
class Split:
    """The function turned the event into several (possibly none)."""

    events: tuple[Event, ...]


@final
@dataclass(frozen=True, slots=True)
class Drop:
    """The function removed the event, saying why."""

    reason: str


FnResult: TypeAlias = Pass | Split | Drop
"""The outcome of one function on one event."""


class FunctionFailed(Exception):
    """Raised by a function that cannot process an event (a bad value): the event is dead-lettered.

    This is the one exception a well-behaved function raises; the engine turns it (and any bug)
    into a failure value naming the function, and the batch goes on.
    """


def outputs(result: FnResult) -> tuple[Event, ...]:
    """The events a result carries on: one for ``Pass``, all for ``Split``, none for ``Drop``."""
    match result:
        case Pass(event):
            return (event,)
        case Split(events):
            return events
        case Drop():
            return ()
        case _:
            assert_never(result)


def bind(result: FnResult, fn: Callable[[Event], FnResult]) -> FnResult:
    """Apply ``fn`` to every event a result carries: the monadic bind of ``FnResult``.

    ``Pass`` is the identity, ``Drop`` absorbs, and ``Split`` distributes ``fn`` over its pieces.
    A ``Split`` whose pieces are all dropped stays a ``Split`` of nothing, so a drop reason is kept
    only where one event was dropped.
    """
    match result:
        case Pass(event):
            return fn(event)
        case Split(events):
            return Split(tuple(e for ev in events for e in outputs(fn(ev))))
        case Drop():
            return result
        case _:
            assert_never(result)


__all__ = ["Drop", "FnResult", "FunctionFailed", "Pass", "Split", "bind", "outputs"]
