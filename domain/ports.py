"""Ports: the small capabilities the domain and the use cases need, as Protocols.

Adapters in ``infrastructure/`` satisfy them structurally (no inheritance, nothing to import),
and tests pass fakes. Declaring a coroutine here is not doing I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, final, runtime_checkable

from pipeflow.domain.errors import Problems
from pipeflow.domain.events import Event, EventId
from pipeflow.domain.json import Json
from pipeflow.domain.line_block import LineBlock
from pipeflow.domain.results import FnResult

if TYPE_CHECKING:  # an annotation only: importing the ports does not import returns
    from returns.result import Result


@runtime_checkable
class PipelineFn(Protocol):
    """A pipeline function: one event in, a ``FnResult`` out; pure and deterministic."""

    def __call__(self, event: Event, /) -> FnResult:
        """Process one event."""
        ...


@runtime_checkable
class Stateful(Protocol):
    """A function that keeps state across events (``window``): the runtime persists its snapshot.

    The snapshot is JSON-native; ``restore`` takes one made by ``snapshot`` (after a restart).
    """

    def snapshot(self) -> Json:
        """The state as a JSON-native value."""
        ...

    def restore(self, state: Json) -> None:
        """Replace the state with one from ``snapshot``."""
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

    Returns ``Success(fn)``, or ``Failure(problems)``: every ``Problem`` with the config, each
    located relative to the function's config (``"pattern"``, ``"fields[0]"``; ``""``: all of it).
    """

    def __call__(self, config: Mapping[str, Json], /) -> Result[PipelineFn, Problems]:
        """Build the function or say what is wrong with the config."""
        ...


@final
@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that could not become an event (invalid JSON, not an object, bad UTF-8, too long).

    ``id`` is the id its dead letter gets: a file line's own (the same each time it is read), or
    ``None`` for a fresh one.
    """

    raw: bytes
    reason: str
    id: EventId | None = None


@final
@dataclass(slots=True)
class SourceBatch:
    """What a source yields: events, rejected input, and an ``ack`` to call once all are delivered.

    ``ack`` is how a source learns it may checkpoint: the runtime calls it only when every event
    of the batch has been written by every sink it was routed to, or dead-lettered.

    A source in raw mode leaves ``events`` empty and hands over ``lines`` instead: the NDJSON
    lines as read (without their newline, blank ones included, over-long ones already in
    ``rejected``), for the runtime to decode with the routing in one pass; a ``LineBlock`` holds them
    back to back in one ``bytes`` (none over-long). ``span`` is a raw batch
    not even read: ``(path, start, end)``, bytes of a file cut at line ends, for worker processes.
    ``line_ids`` (raw batches read from a file) gives the id of ``lines[k]``: derived from the
    line's place in its file, the same each time the line is read, and made only when asked for.
    ``planned``, when set, hears once the batch is planned how many events its lines held and how
    many lines were rejected (a source of raw lines learns its counts there: ``serve``'s ingest).
    ``text`` says the raw lines are text lines (``format: lines``), not NDJSON.
    ``failed``, when set, hears (once, with why) that a part of the batch can never be done (its
    dead letters could not be stored): the batch will not be acknowledged, and a source that holds
    room for it (``serve``'s ingest) gives the room back and answers its client.
    """

    source: str
    events: list[Event]
    rejected: list[Rejected] = field(default_factory=list)
    ack: Callable[[], None] | None = None
    lines: list[bytes] | LineBlock | None = None
    span: tuple[str, int, int] | None = None
    line_ids: Callable[[int], EventId] | None = None
    planned: Callable[[int, int], None] | None = None
    text: bool = False  # the raw lines are text (``format: lines``): each is ``{"message": line}``
    failed: Callable[[str], None] | None = None


class EventSource(Protocol):
    """A pull-based source: an async iterator of batches; it ends when the input is finite and done."""

    name: str

    def batches(self) -> AsyncIterator[SourceBatch]:
        """Yield batches until the input ends or the source is stopped."""
        ...

    def stop(self) -> None:
        """Ask the source to stop reading (it finishes the batch it holds and ends)."""
        ...


class EventSink(Protocol):
    """A destination that writes batches of events.

    ``write`` raises ``SinkError`` (or any exception, at the adapter edge) when the batch was not
    written; the runtime retries with backoff and dead-letters what still fails.
    """

    name: str

    async def open(self) -> None:
        """Acquire what the sink needs (files, connections)."""
        ...

    async def write(self, events: Sequence[Event]) -> None:
        """Write the batch durably (flushed) or raise."""
        ...

    async def close(self) -> None:
        """Flush and release."""
        ...


@runtime_checkable
class EncodedSink(EventSink, Protocol):
    """A sink that can also write a batch already encoded as NDJSON bytes (file, stdout).

    The fast path encodes for such sinks while it routes, so no ``Event`` is built for them.
    """

    async def write_encoded(self, data: bytes) -> None:
        """Write NDJSON lines (each ending in a newline) durably, or raise as ``write`` does."""
        ...


@runtime_checkable
class ValidatingSink(EventSink, Protocol):
    """A sink that refuses some events one by one (e.g. a metric sink: an event that is no sample).

    The runtime asks ``invalid`` of each event before writing: a refused event is dead-lettered
    with the reason, the others are written, and a retried write sends only those.
    """

    def invalid(self, event: Event) -> str | None:
        """Why the sink cannot take ``event`` (its dead letter's reason), or ``None`` when it can."""
        ...


@runtime_checkable
class RejectingSink(EventSink, Protocol):
    """A sink whose store refuses some documents of a write it otherwise took (e.g. Elasticsearch).

    After each ``write`` that returned, the runtime asks ``take_rejected``: those events are
    dead-lettered alone with the store's reason, the rest of the batch counts as written.
    """

    def take_rejected(self) -> Mapping[str, str]:
        """The events of the last returned ``write`` the store refused: event id -> its reason."""
        ...


@runtime_checkable
class CheckpointingSource(EventSource, Protocol):
    """A source that keeps checkpoints: acknowledged input is recorded so a restart skips it.

    Acks that arrive after the source's last batch are saved when the runtime calls
    ``save_checkpoints`` once the topology has drained.
    """

    async def save_checkpoints(self) -> None:
        """Record every checkpoint acknowledged so far."""
        ...


@runtime_checkable
class BrokerSource(CheckpointingSource, Protocol):
    """A checkpointing source whose broker also keeps a position (Kafka's committed offsets).

    Under an exactly-once run its checkpoints are committed with the file sinks' lengths; the
    broker may only be told a position once it is committed there, or a crash in between would
    leave the broker ahead of the files. The committer says which checkpoints it committed.
    """

    def checkpoints_committed(self, committed: Mapping[str, tuple[int, int]]) -> None:
        """These checkpoints (path -> ``(inode, offset)``, as saved) are committed."""
        ...


@runtime_checkable
class Retryable(Protocol):
    """An error that says whether trying the same write again can help (a 4xx answer cannot)."""

    retryable: bool


__all__ = [
    "BrokerSource",
    "CheckpointingSource",
    "Clock",
    "EncodedSink",
    "EventSink",
    "EventSource",
    "FunctionFactory",
    "IdFactory",
    "PipelineFn",
    "Rejected",
    "RejectingSink",
    "Retryable",
    "SourceBatch",
    "Stateful",
    "ValidatingSink",
]
