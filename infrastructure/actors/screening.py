"""Screening a delivery for a ``ValidatingSink``: the events it takes, and the ones it refuses, with why.

A refused event is dead-lettered on its own; the rest of its delivery is written (and retried)
without it. The delivery's ``done`` is then called once both parts are done (its ``failed``, once
both are settled, when one failed). A
``RejectingSink`` refuses events after its write instead: ``refused_records`` are their dead letters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import final

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.events import Event
from pipeflow.infrastructure.actors.acks import AckGroup
from pipeflow.infrastructure.actors.messages import Delivery

__all__ = ["Screened", "failed_records", "refused_records", "screen"]


@final
@dataclass(frozen=True, slots=True)
class Screened:
    """A delivery split by the sink: ``valid`` to write, ``refused`` dead letters (both may be empty)."""

    valid: Delivery | None
    refused: list[DeadLetter]
    done: Callable[[], None]
    failed: Callable[[str], None] | None


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
    keep = valid or not refused  # an empty delivery is written as it was (an empty write)
    if keep and refused:  # two parts now: the delivery is settled when both are
        group = AckGroup(delivery.done, delivery.failed)
        written, letters = group.part(), group.part()
        group.seal()
        # The same delivery but its events: an exactly-once file sink's ``wrote`` goes with it.
        halved = replace(delivery, events=valid, done=written, encoded=None, failed=written.fail)
        return Screened(halved, refused, letters, letters.fail)
    kept = replace(delivery, events=valid, encoded=None) if keep else None
    return Screened(kept, refused, delivery.done, delivery.failed)


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
