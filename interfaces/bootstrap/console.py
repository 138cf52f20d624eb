"""What ``serve`` adds for the web console: ``/ui``, ``GET /plugins``, ``POST /explain`` and
``/dead-letters``, with the adapters behind them (``interfaces.http`` only sees their ports).

- ``StoredExplainer`` reads the stored route table and the pipelines it uses, compiles them afresh
  (the running ones keep their state) and traces each sample event.
- ``ServeDeadLetters`` is the state database's dead-letter queue under ``serve``: a replay offers
  a record's event (or raw line) to the ingest source it came from, or, for a sink's failure (its
  event already went through its pipeline), straight to that sink, as ``pipeflow dlq replay`` does;
  a record of any other source goes through the engine's replay source under its own source's
  name (its raw line decoded with that source's format first). It waits for the delivery, then
  removes the record (a write that fails again is dead-lettered again, as a new record).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import final

import anyio
import orjson
from fastapi import APIRouter
from returns.result import Failure, Result, Success

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.errors import Problem, ValidationError
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.filter.batch_time import batch_time
from pipeflow.domain.json import JsonObject
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.ports import Clock, FunctionFactory, IdFactory
from pipeflow.domain.repositories import PipelineRepository, RouteTableRepository
from pipeflow.domain.router import build_router
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.sources.decode import Format, decode_one
from pipeflow.infrastructure.sources.ingest import IngestSource
from pipeflow.infrastructure.sqlite.dead_letters import SqliteDeadLetterStore
from pipeflow.interfaces.bootstrap import App
from pipeflow.interfaces.bootstrap.database import Stores
from pipeflow.interfaces.bootstrap.engine import Engine
from pipeflow.interfaces.config import models as m
from pipeflow.interfaces.config.loader import LoadedConfig
from pipeflow.interfaces.http.console import console_router
from pipeflow.interfaces.http.dead_letters import ReplayReport, dead_letters_router
from pipeflow.interfaces.http.explain import Explained, explain_router
from pipeflow.interfaces.http.plugins import plugins_router


@final
class StoredExplainer:
    """``POST /explain``'s port: sample events through the stored table, pipelines compiled afresh."""

    def __init__(
        self,
        pipelines: PipelineRepository,
        routes: RouteTableRepository,
        factories: Mapping[str, FunctionFactory],
        ids: IdFactory,
        clock: Clock,
    ) -> None:
        self._pipelines = pipelines
        self._routes = routes
        self._factories = factories
        self._ids = ids
        self._clock = clock

    async def __call__(self, events: Sequence[JsonObject]) -> Result[Explained, ValidationError]:
        """The trace of each event, or the problems of a stored table that does not compile."""
        table = await self._routes.get()
        compiled: dict[PipelineId, CompiledPipeline] = {}
        found: list[Problem] = []
        for pid in dict.fromkeys(r.pipeline for r in table.routes if r.pipeline is not None):
            stored = await self._pipelines.get(pid)
            if not isinstance(stored, Success):
                found.append(Problem(f"pipelines.{pid}", f"unknown pipeline {pid!r}"))
                continue
            made = compile_pipeline(stored.unwrap(), self._factories)
            if isinstance(made, ValidationError):
                found.extend(Problem(f"pipelines.{pid}.{p.where}", p.message) for p in made.problems)
            else:
                compiled[pid] = made
        router = build_router(table, compiled) if not found else ValidationError(tuple(found))
        if isinstance(router, ValidationError):
            return Failure(router)
        now = self._clock.now()  # one batch: its time is what ``now()`` gives in its expressions
        with batch_time(now):
            traces = tuple(
                router.explain(Event(self._ids.new_id(), EventMeta("explain", now), dict(e))).to_json()
                for e in events
            )
        return Success(Explained(table.version, traces))


@final
class ServeDeadLetters:
    """``/dead-letters``' port under ``serve``: the state database's queue, replayed through ingest."""

    def __init__(
        self,
        store: SqliteDeadLetterStore,
        ingest: Mapping[str, IngestSource],
        timeout_s: float,
        sinks: Mapping[str, SinkActor] | None = None,
        replay: IngestSource | None = None,
        formats: Mapping[str, Format] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._ingest = ingest
        self._timeout_s = timeout_s
        self._sinks: Mapping[str, SinkActor] = sinks or {}
        self._replay = replay
        self._formats: Mapping[str, Format] = formats or {}
        self._replay_clock = clock
        self._lock = anyio.Lock()

    async def records(self, *, route: str | None, limit: int) -> list[tuple[int, dict[str, object]]]:
        """Stored records, oldest first, with their sequence number."""
        return await self._store.list(route=route, limit=limit)

    async def count(self) -> int:
        """How many records are stored."""
        return await self._store.count()

    async def replay(self, seqs: Sequence[int]) -> ReplayReport:
        """Offer each record to its ingest source, one at a time; remove it once delivered."""
        replayed: list[int] = []
        kept: list[tuple[int, str]] = []
        async with self._lock:  # two replays of one record at once would deliver it twice
            stored = dict(await self._store.list(limit=max(await self._store.count(), 1)))
            for seq in dict.fromkeys(seqs):
                record = stored.get(seq)
                why = "no such record" if record is None else await self._replay_one(seq, record)
                if why is None:
                    replayed.append(seq)
                else:
                    kept.append((seq, why))
        return ReplayReport(tuple(replayed), tuple(kept))

    async def _replay_one(self, seq: int, record: Mapping[str, object]) -> str | None:
        stage, source = record.get("stage"), str(record.get("source"))
        if isinstance(stage, str) and stage.startswith("sink:"):
            return await self._to_sink(seq, record, stage.removeprefix("sink:"))
        queue = self._ingest.get(source)
        event = record.get("event")
        if queue is not None:
            if not isinstance(event, dict):  # a raw line: kept, with why, while it still does not decode
                still = self._decoded(source, record)
                if isinstance(still, str):
                    return still
            line = orjson.dumps(event) if isinstance(event, dict) else str(record.get("raw") or "").encode()
            offered = queue.offer(line + b"\n")
        else:
            if self._replay is None:
                return f"source {source!r} is not an ingest source of this server: use `pipeflow dlq replay`"
            fields = event if isinstance(event, dict) else self._decoded(source, record)
            if isinstance(fields, str):
                return fields
            meta = EventMeta(source, self._replay_time())
            again = Event(EventId(str(record.get("id"))), meta, fields)
            offered = self._replay.offer_events([again], [], source=source)
        if offered == "full":
            return f"source {source!r} is full: try again"
        if offered == "closed":
            return "the server is stopping"
        if not await offered.wait(self._timeout_s):
            if offered.failure is not None:
                return f"not delivered: {offered.failure}"
            return f"not delivered within {self._timeout_s:g} s (it may still be): list again"
        await self._store.remove([seq])
        return None

    def _decoded(self, source: str, record: Mapping[str, object]) -> JsonObject | str:
        """The record's raw line as its source decodes it, or why it still does not decode."""
        raw = record.get("raw")
        if not isinstance(raw, str):
            return "the record holds neither an event nor a raw line"
        fields = decode_one(raw.encode(), self._formats.get(source, "ndjson"))
        return f"it still does not decode: {fields}" if isinstance(fields, str) else fields

    def _replay_time(self) -> float:
        return self._replay_clock.now() if self._replay_clock is not None else 0.0

    async def _to_sink(self, seq: int, record: Mapping[str, object], sink: str) -> str | None:
        """A sink's failure, written to that sink again (the event kept its id and its fields)."""
        actor, fields = self._sinks.get(sink), record.get("event")
        if actor is None:
            return f"no sink {sink!r} in this server's config"
        if not isinstance(fields, dict):
            return "the record holds no event to write"
        route, pipeline = record.get("route"), record.get("pipeline")
        at = record.get("at")
        meta = EventMeta(str(record.get("source")), float(at) if isinstance(at, int | float) else 0.0)
        event = Event(EventId(str(record.get("id"))), meta, fields)
        done = anyio.Event()
        with anyio.move_on_after(self._timeout_s):
            await actor.offer(
                Delivery(
                    [event],
                    meta.source,
                    route if isinstance(route, str) else None,
                    pipeline if isinstance(pipeline, str) else None,
                    done.set,
                )
            )
            await done.wait()
        if not done.is_set():
            return f"not written within {self._timeout_s:g} s (it may still be): list again"
        await self._store.remove([seq])
        return None


def console_routers(
    app: App, loaded: LoadedConfig | None, stores: Stores, engine: Engine | None, timeout_s: float
) -> list[APIRouter]:
    """The console's page and the endpoints it needs beyond the management API's own."""
    explainer = StoredExplainer(stores.pipelines, stores.routes, app.factories, app.ids, app.clock)
    if engine is None or loaded is None:
        queue, unavailable = None, "no dead-letter queue: serve runs without --config"
    elif loaded.config.dead_letter is not None:
        queue, unavailable = (
            None,
            "the config sends dead letters to its dead_letter sink, not the state database",
        )
    else:
        with_format = (m.FileSource, m.StdinSource, m.HttpSource, m.NatsSource, m.KafkaSource)
        formats: dict[str, Format] = {
            name: sc.format for name, sc in loaded.config.sources.items() if isinstance(sc, with_format)
        }
        queue = ServeDeadLetters(
            engine.state.dead_letters,
            engine.ingest,
            timeout_s,
            engine.sinks,
            engine.replay,
            formats,
            app.clock,
        )
        unavailable = ""
    return [
        console_router(),
        plugins_router(app.describe_plugins),
        explain_router(explainer),
        dead_letters_router(queue, unavailable),
    ]


__all__ = ["ServeDeadLetters", "StoredExplainer", "console_routers"]
