"""The dead-letter queue's commands, wired here like ``run`` is: list the records, replay them.

Replay sends each stored record through the config's topology again, with the same building
blocks as ``interfaces.runtime``: a record of a sink failure (``stage: "sink:NAME"``) goes straight
to that sink when the config still has it (its event already went through its route's pipeline);
every other record (a decode failure, a failing function, a sink no longer configured) goes through
the router. A record with ``raw`` is decoded again. A record is removed once it is delivered or
dead-lettered anew with the new reason: a crash in between replays it again (at least once).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, final

import anyio

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.ports import Clock, IdFactory, Rejected, SourceBatch
from pipeflow.infrastructure.actors.plan import BatchPlan, SinkPart
from pipeflow.infrastructure.actors.routing import RouterCell, make_planner
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.actors.topology import Topology
from pipeflow.infrastructure.sources.decode import Format, decode_one
from pipeflow.infrastructure.sqlite.dead_letters import SqliteDeadLetterStore
from pipeflow.interfaces.bootstrap.actors import build_actors
from pipeflow.interfaces.bootstrap.state import StateStores, forget_sink_commits, state_db_path
from pipeflow.interfaces.config.loader import LoadedConfig
from pipeflow.interfaces.config.models import Config

REPLAY_BATCH = 500
"""Records replayed per batch (one acknowledgement, one removal)."""

Record = tuple[int, dict[str, Any]]
"""A stored dead-letter record with its sequence number in the queue."""


@final
@dataclass(slots=True)
class ReplayOutcome:
    """What a replay did: records removed from the queue, left in it, and the run's statistics."""

    replayed: int
    remaining: int
    stats: RunStats
    failures: list[str] = field(default_factory=list)


async def list_dead_letters(config: Config, *, limit: int, route: str | None = None) -> list[Record]:
    """The stored records, oldest first, with their sequence number (none without a state database)."""
    if not await anyio.Path(state_db_path(config.state_dir)).exists():
        return []
    async with await StateStores.open(config.state_dir) as state:
        return await state.dead_letters.list(route=route, limit=limit)


async def replay_dead_letters(
    loaded: LoadedConfig,
    *,
    clock: Clock,
    ids: IdFactory,
    stdout: BinaryIO | None = None,
    route: str | None = None,
) -> ReplayOutcome:
    """Replay the stored records (of ``route`` only, when given) through the topology of ``loaded``."""
    config = loaded.config
    async with await StateStores.open(config.state_dir) as state:
        table = state.dead_letters
        await forget_sink_commits(state, config.sinks)  # replay appends without committing
        records = await table.list(route=route, limit=max(await table.count(), 1))
        stats = RunStats()
        dead_letters, sinks = build_actors(config, table, stats, clock=clock, stdout=stdout)
        source = _ReplaySource(records, config, clock, table)
        router_plan = make_planner(RouterCell(loaded.router), clock)

        def plan(batch: SourceBatch) -> BatchPlan:
            direct = source.direct.pop(id(batch), None)
            if direct is None:
                return router_plan(batch)
            sink, via, pipeline = direct
            return BatchPlan(parts=[SinkPart(sink, batch.events, via, pipeline)])

        topology = Topology({source.name: source}, sinks, dead_letters, plan, stats, clock.now, ids)
        await topology.run()
        await source.remove_acked()
        remaining = await table.count()
    failures = []
    if dead_letters.failures:
        failures.append(f"{dead_letters.failures} dead letters could not be stored; their records were kept")
    return ReplayOutcome(source.removed, remaining, stats, failures)


Direct = tuple[str, str | None, str | None]
"""A sink failure replayed straight to its sink: (sink, route, pipeline)."""


@final
class _ReplaySource:
    """Yields the records as batches; a batch's ack marks its records for removal."""

    name = "dlq-replay"

    def __init__(self, records: list[Record], config: Config, clock: Clock, table: SqliteDeadLetterStore):
        self._records = records
        self._config = config
        self._clock = clock
        self._table = table
        self._acked: list[int] = []
        self._stopping = False
        self.direct: dict[int, Direct] = {}
        self.removed = 0

    def stop(self) -> None:
        """Stop after the batch in hand."""
        self._stopping = True

    async def batches(self) -> AsyncIterator[SourceBatch]:
        """One batch per run of records with the same source and destination, in queue order."""
        for (source, direct), group in itertools.groupby(self._records, key=self._key):
            records = list(group)
            for start in range(0, len(records), REPLAY_BATCH):
                if self._stopping:
                    return
                chunk = records[start : start + REPLAY_BATCH]
                batch = self._batch(source, chunk)
                if direct is not None:
                    self.direct[id(batch)] = direct
                yield batch
                await self.remove_acked()

    async def remove_acked(self) -> None:
        """Delete the records whose batches were acknowledged so far."""
        acked, self._acked = self._acked, []
        if acked:
            await self._table.remove(acked)
            self.removed += len(acked)

    def _key(self, record: Record) -> tuple[str, Direct | None]:
        rec = record[1]
        stage = rec.get("stage")
        sink = stage.removeprefix("sink:") if isinstance(stage, str) and stage.startswith("sink:") else None
        if sink is None or sink not in self._config.sinks or not isinstance(rec.get("event"), dict):
            return str(rec.get("source")), None
        return str(rec.get("source")), (sink, rec.get("route"), rec.get("pipeline"))

    def _batch(self, source: str, chunk: list[Record]) -> SourceBatch:
        meta = EventMeta(source, self._clock.now())
        events: list[Event] = []
        rejected: list[Rejected] = []
        for _, rec in chunk:
            fields = rec.get("event")
            if not isinstance(fields, dict):
                raw = str(rec.get("raw") or "").encode("utf-8", "surrogateescape")
                fields = decode_one(raw, self._format(source))
                if isinstance(fields, str):
                    rejected.append(Rejected(raw, f"on replay: {fields}"))
                    continue
            events.append(Event(EventId(str(rec["id"])), meta, fields))
        return SourceBatch(source, events, rejected, self._acker([seq for seq, _ in chunk]))

    def _acker(self, seqs: list[int]) -> Callable[[], None]:
        return lambda: self._acked.extend(seqs)

    def _format(self, source: str) -> Format:
        config = self._config.sources.get(source)
        fmt = getattr(config, "format", "ndjson")
        return "lines" if fmt == "lines" else "ndjson"


__all__ = [
    "REPLAY_BATCH",
    "Direct",
    "Record",
    "ReplayOutcome",
    "list_dead_letters",
    "replay_dead_letters",
]
