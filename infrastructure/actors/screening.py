"""Screening a delivery for a ``ValidatingSink``: the events it takes, and the ones it refuses, with why.

A refused event is dead-lettered on its own; the rest of its delivery is written (and retried)
without it. The delivery's ``done`` is then called once both parts are settled. A
``RejectingSink`` refuses events after its write instead: ``refused_records`` are their dead letters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import final

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.events import Event
from pipeflow.infrastructure.actors.messages import Delivery

__all__ = ["Screened", "failed_records", "joined", "refused_records", "screen"]


@final
@dataclass(frozen=True, slots=True)
class Screened:
    """A delivery split by the sink: ``valid`` to write, ``refused`` dead letters (both may be empty)."""

    valid: Delivery | None
    refused: list[DeadLetter]
    done: Callable[[], None]


def joined(parts: int, done: Callable[[], None]) -> Callable[[], None]:
    """A callback that calls ``done`` when it has itself been called ``parts`` times.

    >>> calls = []
    >>> part = joined(2, lambda: calls.append("done"))
    >>> part(); calls
    []
    >>> part(); calls
    ['done']
    """
    left = parts

    def part_done() -> None:
        nonlocal left
        left -= 1
        if left == 0:
            done()

    return part_done


def screen(
    delivery: Delivery,
    events: Sequence[Event],
    invalid: Callable[[Event], str | None],
    *,
    sink: str,
    at: float,
) -> Screened:
    """Split ``events`` (the delivery's, materialized) into what ``sink`` takes and dead letters."""
    valid: list[Event] = []
    refused: list[DeadLetter] = []
    for event in events:
        reason = invalid(event)
        if reason is None:
            valid.append(event)
            continue
        refused.append(_record(delivery, event, reason, sink=sink, at=at))
    done = joined(2, delivery.done) if valid and refused else delivery.done
    keep = valid or not refused  # an empty delivery is written as it was (an empty write)
    # The same delivery but its events: an exactly-once file sink's ``wrote`` and ``failed`` go with it.
    kept = replace(delivery, events=valid, done=done, encoded=None) if keep else None
    return Screened(kept, refused, done)


def refused_records(
    delivery: Delivery, events: Sequence[Event], reasons: Mapping[str, str], *, sink: str, at: float
) -> list[DeadLetter]:
    """Dead letters for the ``events`` of ``delivery`` whose id ``reasons`` names (refused by the store)."""
    return [_record(delivery, e, reasons[e.id], sink=sink, at=at) for e in events if e.id in reasons]


def failed_records(
    delivery: Delivery, events: Sequence[Event], reason: str, *, sink: str, at: float
) -> list[DeadLetter]:
    """Dead letters for all of ``delivery`` (its ``events``), which ``sink`` did not take: ``reason``
    says why (a full buffer, or every attempt failed)."""
    return [_letter(delivery, e, reason, sink=sink, at=at) for e in events]


def _record(delivery: Delivery, event: Event, reason: str, *, sink: str, at: float) -> DeadLetter:
    return _letter(delivery, event, f"sink {sink!r} refused the event: {reason}", sink=sink, at=at)


def _letter(delivery: Delivery, event: Event, reason: str, *, sink: str, at: float) -> DeadLetter:
    return DeadLetter(
        id=event.id,
        at=at,
        source=delivery.source,
        reason=reason,
        route=delivery.route,
        pipeline=delivery.pipeline,
        stage=f"sink:{sink}",
        event=event.fields,
    )
