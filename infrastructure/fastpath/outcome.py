"""Running a compiled snapshot over a batch, and what comes out: fields per route, counts, failures.

Event ids are made lazily: an event that only passes through fused code to a sink that does not
need ids (file, stdout) never gets one. Ids are made only for the events that become an ``Event``
(the reference-engine tail, dead letters, sinks that key by id), from the index of the item each
came from: ``item_ids(k)`` (a file line's id, or the id a decoded event already has), or a fresh
id from ``ids`` when the batch has no ids of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import final

import orjson

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.engine import failure_reason
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.line_block import LineBlock, count_newlines
from pipeflow.domain.ports import IdFactory, Rejected
from pipeflow.domain.routes import SinkName
from pipeflow.infrastructure.fastpath.compiler import Batch, CompiledSnapshot

_OPT = orjson.OPT_APPEND_NEWLINE

ItemIds = Callable[[int], EventId]
"""The id of the batch's item ``k`` (``SourceBatch.line_ids``, or the ids of decoded events)."""


@final
@dataclass(frozen=True, slots=True)
class Failure:
    """An event a function failed on, as it was before that function."""

    route: int
    stage: int
    reason: str
    fields: JsonObject
    event: Event | None = None  # when it failed in the reference-engine tail (it has an id)
    item: int = -1  # else: the index of the item it came from


@final
@dataclass(slots=True)
class FastOutcome:
    """What a batch became: the fields each route delivers, counts, failures and rejected lines.

    Routes the snapshot encodes deliver NDJSON ``lines`` (one ``bytes`` per route, one event a
    line) instead of ``delivered`` fields (an event that could not be encoded stays in
    ``delivered``). ``total`` items came in, ``blank`` of them
    blank lines. Ids: ``origins`` holds, beside each of ``delivered``, the index of its item; a
    route whose events went through the reference engine has their ids in ``tail_ids`` instead.
    """

    snapshot: CompiledSnapshot
    delivered: list[list[JsonObject]]
    dropped: int = 0
    unmatched: int = 0
    failed: list[Failure] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    total: int = 0
    blank: int = 0
    origins: list[list[int]] = field(default_factory=list)
    tail_ids: dict[int, list[EventId]] = field(default_factory=dict)
    item_ids: ItemIds | None = None
    line_counts: list[int] = field(default_factory=list)  # per route: how many events ``lines`` holds
    # Metered snapshots only: drops per ``snapshot.drop_slots`` entry; per route run through the
    # reference engine, the events it took and its per-step counts (``BatchResult.steps``) and drops.
    drops: list[int] = field(default_factory=list)
    tail_in: dict[int, int] = field(default_factory=dict)
    tail_steps: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    tail_drops: dict[int, list[int]] = field(default_factory=dict)

    def ids_of(self, route: int, ids: IdFactory) -> list[EventId]:
        """The ids of the events route ``route`` delivers as fields (made now, from their items)."""
        made = self.tail_ids.get(route)
        if made is not None:
            return made
        item_id = self.item_ids
        if item_id is None:
            return [ids.new_id() for _ in self.delivered[route]]
        return [item_id(k) for k in self.origins[route]]

    def as_events(self, route: int, meta: EventMeta, ids: IdFactory) -> list[Event]:
        """The events route ``route`` delivers as fields, with their ids (for sinks that need them)."""
        return [
            Event(event_id, meta, f)
            for event_id, f in zip(self.ids_of(route, ids), self.delivered[route], strict=True)
        ]

    @property
    def events_in(self) -> int:
        """How many events the batch held (items that were neither blank nor rejected)."""
        return self.total - self.blank - len(self.rejected)

    def by_sink(self) -> dict[SinkName, list[JsonObject]]:
        """The fields each sink receives, in route order then batch order (as ``Routed.by_sink``).

        Lines encoded in the loop are decoded back (for tests and rare paths).
        """
        out: dict[SinkName, list[JsonObject]] = {}
        lines = self.lines or [b"" for _ in self.delivered]
        for r, fields, encoded in zip(self.snapshot.router.routes, self.delivered, lines, strict=True):
            decoded = [orjson.loads(line) for line in encoded.splitlines()]
            for sink in r.route.sinks:
                out.setdefault(sink, []).extend(decoded)
                out[sink].extend(fields)
        return out

    def encoded(self) -> dict[SinkName, tuple[bytes, int]]:
        """Per sink, its NDJSON bytes and event count (a route feeding two sinks is encoded once)."""
        out: dict[SinkName, list[bytes]] = {}
        counts: dict[SinkName, int] = {}
        dumps = orjson.dumps
        routes = self.snapshot.router.routes
        for i, (r, fields) in enumerate(zip(routes, self.delivered, strict=True)):
            encoded, n = self.encoded_lines(i)
            if not fields and not encoded:
                continue
            data = encoded + b"".join([dumps(f, option=_OPT) for f in fields])
            for sink in r.route.sinks:
                out.setdefault(sink, []).append(data)
                counts[sink] = counts.get(sink, 0) + len(fields) + n
        return {sink: (b"".join(parts), counts[sink]) for sink, parts in out.items()}

    def encoded_lines(self, route: int) -> tuple[bytes, int]:
        """The NDJSON lines route ``route`` delivers, and how many there are."""
        if not self.lines:
            return b"", 0
        data = self.lines[route]
        return data, self.line_counts[route] if self.line_counts else line_count(data)

    def dead_letters(self, source: str, at: float, ids: IdFactory) -> list[DeadLetter]:
        """The failures as dead-letter records (ids made now for events that had none)."""
        routes = self.snapshot.router.routes
        item_id = self.item_ids or (lambda _: ids.new_id())
        return [
            DeadLetter(
                id=f.event.id if f.event is not None else item_id(f.item),
                at=at,
                source=source,
                reason=f.reason,
                route=routes[f.route].route.name,
                pipeline=routes[f.route].route.pipeline,
                stage=f.stage,
                event=f.fields,
            )
            for f in self.failed
        ]


def run_lines(
    snapshot: CompiledSnapshot,
    lines: Sequence[bytes] | LineBlock,
    meta: EventMeta,
    ids: IdFactory,
    item_ids: ItemIds | None = None,
    *,
    text: bool = False,
) -> FastOutcome:
    """Decode and route raw lines (without their newline, or a block of them iterated line by
    line, each with its newline); bad lines become ``Rejected``.

    ``item_ids`` gives the id of ``lines[k]`` (file lines); without it ids are fresh. With
    ``text`` the lines are text (``format: lines``), not NDJSON: each is ``{"message": line}``.
    """
    batch = snapshot.from_text if text else snapshot.from_lines
    assert batch is not None, "every snapshot is compiled with its text variant"
    if isinstance(lines, LineBlock):
        return _run(snapshot, batch, BytesIO(lines.data), meta, ids, item_ids, lines.count)
    return _run(snapshot, batch, lines, meta, ids, item_ids)


def run_fields(
    snapshot: CompiledSnapshot,
    fields: Sequence[JsonObject],
    meta: EventMeta,
    ids: IdFactory,
    item_ids: ItemIds | None = None,
) -> FastOutcome:
    """Route already-decoded fields (each is copied before it is changed); ``item_ids`` as above."""
    return _run(snapshot, snapshot.from_fields, fields, meta, ids, item_ids)


def _run(
    snapshot: CompiledSnapshot,
    batch: Batch,
    items: Iterable[object],
    meta: EventMeta,
    ids: IdFactory,
    item_ids: ItemIds | None,
    count: int | None = None,
) -> FastOutcome:
    n = len(snapshot.router.routes)
    outs: list[list[JsonObject]] = [[] for _ in range(n)]
    pos: list[list[int]] = [[] for _ in range(n)]
    encs = [BytesIO() for _ in range(n)]
    tails: list[list[tuple[int, JsonObject]]] = [[] for _ in range(n)]
    raw_failed: list[tuple[int, int, str, JsonObject, Exception, int]] = []
    raw_rejected: list[tuple[bytes, str]] = []
    drops = [0] * len(snapshot.drop_slots)
    dropped, unmatched, blank, counts = batch(items, outs, pos, encs, tails, raw_failed, raw_rejected, drops)  # type: ignore[arg-type]
    outcome = FastOutcome(
        snapshot,
        outs,
        dropped,
        unmatched,
        [Failure(r, stage, failure_reason(typ, exc), f, item=k) for r, stage, typ, f, exc, k in raw_failed],
        [Rejected(line, reason) for line, reason in raw_rejected],
        [e.getvalue() for e in encs],
        len(items) if count is None else count,  # type: ignore[arg-type]
        blank,
        pos,
        item_ids=item_ids,
        line_counts=list(counts),
        drops=drops,
    )
    item_id = item_ids or (lambda _: ids.new_id())
    for i, tail in enumerate(snapshot.tails):
        if tail is not None and tails[i]:
            result = tail.process_batch(Event(item_id(k), meta, f) for k, f in tails[i])
            outs[i] = [e.fields for e in result.outputs]
            outcome.tail_ids[i] = [e.id for e in result.outputs]
            outcome.dropped += len(result.dropped)
            if snapshot.metered:  # what the counters in the loop cannot see
                outcome.tail_in[i] = len(tails[i])
                outcome.tail_steps[i] = result.steps
                outcome.tail_drops[i] = [d.stage for d in result.dropped]
            outcome.failed.extend(
                Failure(i, x.stage, x.reason, x.event.fields, x.event) for x in result.failed
            )
    return outcome


def line_count(ndjson: bytes) -> int:
    """How many events NDJSON bytes encoded by orjson hold: JSON text never holds a raw newline."""
    return count_newlines(ndjson)


def as_events(fields: Iterable[JsonObject], meta: EventMeta, ids: IdFactory) -> list[Event]:
    """Events for sinks that need them (ids are made here, lazily)."""
    new_id = ids.new_id
    return [Event(new_id(), meta, f) for f in fields]


__all__ = ["Failure", "FastOutcome", "ItemIds", "as_events", "line_count", "run_fields", "run_lines"]
