"""The running topology of ``pipeflow serve``: the config's sources and sinks around a ``RouterCell``.

Like ``run``'s wiring (``bootstrap.runtime``), with three differences: the router is the one
``HotReload`` keeps in the cell; every ``http`` source becomes an ``IngestSource`` fed by
``POST /ingest/{source}`` (raw lines, decoded in the fast path's loop); and sinks, the dead-letter
store and the planner are metered versions that feed ``Metrics`` (the planner, the fast path's,
also offers what it planned to the ``Tap`` behind ``GET /tap``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, final

import anyio

from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.ports import EncodedSink, EventSource
from pipeflow.infrastructure.actors.routing import RouterCell
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.actors.topology import Topology
from pipeflow.infrastructure.metered_sinks import metered
from pipeflow.infrastructure.metering import MeteredDeadLetterStore, metered_fast_planner
from pipeflow.infrastructure.metrics import Metrics
from pipeflow.infrastructure.sources.ingest import IngestSource
from pipeflow.infrastructure.stateful import restore_state, save_state
from pipeflow.infrastructure.tap import Tap
from pipeflow.interfaces.bootstrap import App
from pipeflow.interfaces.bootstrap.actors import build_actors
from pipeflow.interfaces.bootstrap.adapters import build_otlp_receiver, build_source
from pipeflow.interfaces.bootstrap.commits import save_periodically
from pipeflow.interfaces.bootstrap.state import StateStores, forget_sink_commits, save_checkpoints
from pipeflow.interfaces.config import models as m
from pipeflow.interfaces.config.loader import LoadedConfig
from pipeflow.interfaces.http.ingest import IngestLimits

if TYPE_CHECKING:
    from pipeflow.infrastructure.otlp.receiver import OtlpReceiver


REPLAY_SOURCE = "(dead-letter replay)"
"""The internal source the console's replay sends records of any source through (batches keep the
record's own source name); should a config source be named so, the replay source takes another."""


@final
@dataclass(slots=True)
class Engine:
    """The topology of a config under ``serve``, its ingest sources and its state database."""

    topology: Topology
    sinks: dict[str, SinkActor]
    ingest: dict[str, IngestSource]
    state: StateStores
    closed: bool = False
    otlp: dict[str, OtlpReceiver] = field(default_factory=dict)  # served at /otlp/{source}/v1/...
    replay: IngestSource | None = None  # dead letters of any source, sent in again under its name

    async def run(self, compiled: Callable[[], Mapping[PipelineId, CompiledPipeline]]) -> RunStats:
        """Restore window state, run until stopped, save checkpoints and state, close the database.

        ``compiled`` gives the pipelines in force (read at the start and again at the end).
        """
        try:
            await restore_state(compiled(), self.state.function_state)
            async with anyio.create_task_group() as group:
                # Acks that arrive after a source ended (the last batches of a file read once, a
                # disk buffer's fsyncs) are saved every 0.2 s, as ``run`` does: serve runs on long
                # after its inputs end, and a crash would read them all again.
                group.start_soon(save_periodically, self.topology.sources.values())
                stats = await self.topology.run()
                group.cancel_scope.cancel()
            await save_checkpoints(self.topology.sources.values())  # the last acks, at the end
            await save_state(compiled(), self.state.function_state)
            return stats
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Release the ingest queues and close the state database (idempotent, shielded)."""
        for source in self.ingest.values():
            source.close()
        for receiver in self.otlp.values():
            receiver.queue.close()
        if self.replay is not None:
            self.replay.close()
        if not self.closed:
            self.closed = True
            await self.state.aclose()


async def build_engine(
    app: App,
    loaded: LoadedConfig,
    cell: RouterCell,
    metrics: Metrics,
    *,
    ingest_max_events: int,
    tap: Tap | None = None,
    limits: IngestLimits | None = None,
) -> Engine:
    """Open the config's state database and build every actor around ``cell`` (parts offered to ``tap``)."""
    config = loaded.config
    # serve made ``config.state_dir`` (make_state_dir), saying why when it could not
    state = await StateStores.open(config.state_dir)
    await forget_sink_commits(state, config.sinks)  # serve's file sinks are at least once
    clock, stats = app.clock, RunStats()
    dead_letters, sinks = build_actors(
        config,
        state.dead_letters,
        stats,
        clock=clock,
        stdout=app.stdout,
        wrap_sink=lambda sink: metered(sink, metrics),
        wrap_dead_letters=lambda store: MeteredDeadLetterStore(store, metrics),
    )
    ingest: dict[str, IngestSource] = {}
    otlp: dict[str, OtlpReceiver] = {}
    limits = limits or IngestLimits()
    sources: dict[str, EventSource] = {}
    for name, sc in config.sources.items():
        if isinstance(sc, m.HttpSource):
            ingest[name] = IngestSource(
                name, ids=app.ids, clock=clock, format=sc.format, max_events=ingest_max_events, raw=True
            )
            sources[name] = ingest[name]
        elif isinstance(sc, m.OtlpSource):
            otlp[name] = build_otlp_receiver(
                name,
                ids=app.ids,
                clock=clock,
                max_events=ingest_max_events,
                max_body_bytes=limits.max_body_bytes,
                ack_timeout_s=limits.ack_timeout_s,
                retry_after_s=limits.retry_after_s,
            )
            sources[name] = otlp[name].queue
        else:
            sources[name] = build_source(
                name, sc, ids=app.ids, clock=clock, checkpoints=state.checkpoints, stdin=app.stdin
            )
    # Ingest bodies are decoded and routed by the route table's compiled batch function, sinks
    # that write NDJSON get bytes (as under ``run``); metrics and the tap see what they saw before.
    encoded = [name for name, actor in sinks.items() if isinstance(actor.sink, EncodedSink)]
    planner = metered_fast_planner(cell, clock, app.ids, metrics, tap, encoded)
    replay_name = REPLAY_SOURCE
    while replay_name in sources:
        replay_name += "'"
    replay = IngestSource(replay_name, ids=app.ids, clock=clock, max_events=ingest_max_events)
    sources[replay_name] = replay
    topology = Topology(sources, sinks, dead_letters, planner, stats, clock.now, app.ids)
    return Engine(topology, sinks, ingest, state, otlp=otlp, replay=replay)


__all__ = ["REPLAY_SOURCE", "Engine", "build_engine"]
