"""Wiring a loaded config into a running topology: state database, adapters, actors, state restore."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, final

import anyio

from pipeflow.domain.ports import Clock, EncodedSink, EventSink, IdFactory
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor, DeadLetterStore
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.routing import RouterCell
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.actors.topology import AheadPlanner, Topology
from pipeflow.infrastructure.fastpath.planner import make_fast_planner
from pipeflow.infrastructure.sinks.dead_letter_sink import SinkDeadLetterStore
from pipeflow.infrastructure.stateful import restore_state, save_state, stateful_functions
from pipeflow.infrastructure.workers.memory import keep_freed_memory
from pipeflow.interfaces.bootstrap.adapters import RAW_BATCH_LINES, build_sink, build_source
from pipeflow.interfaces.bootstrap.progress import show_progress
from pipeflow.interfaces.bootstrap.state import StateStores, save_checkpoints
from pipeflow.interfaces.config import models as m
from pipeflow.interfaces.config.loader import LoadedConfig
from pipeflow.interfaces.config.models import Config, RetryConfig

if TYPE_CHECKING:  # the pool is imported only by a run that uses it
    from pipeflow.infrastructure.workers.pool import WorkerPool

GC_EVERY_S = 1.0
SPAN_BYTES = 4 << 20
"""Bytes of input per span handed to a worker process (about 14,000 W1 events; 2 MiB was slower)."""


@final
@dataclass(slots=True)
class RunOutcome:
    """What a run did (its statistics) and what went wrong that the user must hear about."""

    stats: RunStats
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The summary of spec section 1."""
        return self.stats.summary()


def retry_policy(config: RetryConfig) -> RetryPolicy:
    """The actor-side retry policy for a sink's ``retry`` block."""
    return RetryPolicy(config.attempts, config.backoff_ms / 1000, config.max_backoff_ms / 1000)


def build_actors(
    config: Config,
    dead_table: DeadLetterStore,
    stats: RunStats,
    *,
    clock: Clock,
    stdout: BinaryIO | None,
    wrap_sink: Callable[[EventSink], EventSink] = lambda sink: sink,
    wrap_dead_letters: Callable[[DeadLetterStore], DeadLetterStore] = lambda store: store,
) -> tuple[DeadLetterActor, dict[str, SinkActor]]:
    """The dead-letter actor and one sink actor per configured sink, each writing through its ``wrap_``.

    ``serve`` wraps them in metering decorators; taking the wrappers as arguments keeps
    ``prometheus_client`` out of ``run``'s start-up.
    """
    dead_store: DeadLetterStore = dead_table
    if config.dead_letter is not None:
        dead_store = SinkDeadLetterStore(
            build_sink("dead_letter", config.dead_letter, clock=clock, stdout=stdout)
        )
    dead_letters = DeadLetterActor(wrap_dead_letters(dead_store), stats, RetryPolicy())
    sinks = {
        name: SinkActor(
            name,
            wrap_sink(build_sink(name, sc, clock=clock, stdout=stdout)),
            max_events=sc.buffer.max_events,
            when_full=sc.buffer.when_full,
            retry=retry_policy(sc.retry),
            dead_letters=dead_letters,
            stats=stats,
            clock=clock.now,
        )
        for name, sc in config.sinks.items()
    }
    return dead_letters, sinks


async def run_topology(
    loaded: LoadedConfig,
    *,
    clock: Clock,
    ids: IdFactory,
    stdin: BinaryIO | None,
    stdout: BinaryIO | None,
    handle_signals: bool,
    workers: int = 1,
    progress: bool = False,
) -> RunOutcome:
    """Open the state database, build every actor, run until the input ends, persist state."""
    config = loaded.config
    async with await StateStores.open(config.state_dir) as state:
        checkpoints = state.checkpoints
        await restore_state(loaded.compiled, state.function_state)
        stats = RunStats()
        dead_letters, sinks = build_actors(config, state.dead_letters, stats, clock=clock, stdout=stdout)
        # Raw batches are large, but never larger than a sink's buffer (its backpressure bound).
        lines = min([RAW_BATCH_LINES, *(sc.buffer.max_events for sc in config.sinks.values())])
        pool = _worker_pool(loaded, workers)
        sources = {
            name: build_source(
                name,
                sc,
                ids=ids,
                clock=clock,
                checkpoints=checkpoints,
                stdin=stdin,
                raw_batch_lines=lines,
                span_bytes=SPAN_BYTES if pool is not None else 0,
            )
            for name, sc in config.sources.items()
        }
        encoded = [name for name, actor in sinks.items() if isinstance(actor.sink, EncodedSink)]
        local = make_fast_planner(RouterCell(loaded.router), clock, ids, encoded)
        planner: AheadPlanner = local
        ahead = 2 * workers if pool is not None else 0
        if pool is not None:
            # Workers encode for sinks that write bytes; the others (sqlite, http, nats, kafka) get
            # events carrying their lines' ids, so a re-read line is still stored once.
            limits = {
                n: sc.max_line_bytes for n, sc in config.sources.items() if isinstance(sc, m.FileSource)
            }
            pool.start(loaded.router, encoded, limits, clock, in_flight=ahead)
            from pipeflow.infrastructure.workers import make_pool_planner

            planner = make_pool_planner(pool, local)
        topology = Topology(sources, sinks, dead_letters, planner, stats, clock.now, ids, plan_ahead=ahead)
        # Everything built so far lives as long as the run: keep the collector from scanning it
        # again (``freeze``). Events are acyclic dicts freed by reference counting: the automatic
        # collector found nothing in them and cost ~9 % of a W1 run, so cycles (the runtime's own)
        # are collected on a timer instead. Freed memory is kept for the next batch rather than
        # handed back to the OS and faulted in again (W1: 30k -> 10k page faults, ~0.3 s).
        keep_freed_memory()
        gc.freeze()
        collecting = gc.isenabled()
        gc.disable()
        try:
            async with anyio.create_task_group() as group:
                if progress:
                    group.start_soon(show_progress, stats)
                if collecting:
                    group.start_soon(collect_garbage, GC_EVERY_S)
                if pool is not None:
                    group.start_soon(pool.read_answers)
                await topology.run(handle_signals=handle_signals)
                group.cancel_scope.cancel()
        finally:
            if collecting:
                gc.enable()
            gc.unfreeze()
            if pool is not None:
                with anyio.CancelScope(shield=True):
                    await pool.close()
        await save_checkpoints(sources.values())  # acks that arrived after a source ended
        await save_state(loaded.compiled, state.function_state)
    failures = [
        f"source {name!r}{_where(config.sources[name])} failed: {reason}"
        for name, reason in topology.source_failures
    ]
    if topology.plan_failure is not None:
        failures.append(
            f"{topology.plan_failure}; the run stopped there: that input and all after it was not "
            "acknowledged and is read again next run"
        )
    if dead_letters.failures:
        failures.append(
            f"{dead_letters.failures} dead letters could not be stored; their input was not acknowledged"
        )
    return RunOutcome(stats, failures)


async def collect_garbage(every_s: float) -> None:
    """Collect reference cycles every ``every_s`` seconds (the automatic collector is off in a run)."""
    while True:
        await anyio.sleep(every_s)
        gc.collect()


def _worker_pool(loaded: LoadedConfig, workers: int) -> WorkerPool | None:
    """A pool of ``workers`` processes, or ``None`` (one process: said on stderr when asked for more)."""
    if workers < 2:
        return None
    reason = _single_process_reason(loaded)
    if reason is not None:
        print(f"pipeflow: --workers {workers} not used: {reason}; running in one process", file=sys.stderr)
        return None
    from pipeflow.infrastructure.workers import WorkerPool

    return WorkerPool(workers)


def _single_process_reason(loaded: LoadedConfig) -> str | None:
    """Why this config cannot be split among worker processes (``None``: it can)."""
    for name, sc in loaded.config.sources.items():
        if not isinstance(sc, m.FileSource):
            return f"source {name!r} is {sc.type} (only file sources are split among workers)"
        if sc.follow:
            return f"source {name!r} follows its files"
        if sc.format != "ndjson":
            return f"source {name!r} reads {sc.format} (workers read ndjson)"
    for pid, _, fn in stateful_functions(loaded.compiled):
        return f"pipeline {pid!r} keeps state in {type(fn).__name__} (it must see every event)"
    from pipeflow.infrastructure.workers import fork_available

    if not fork_available():
        return "worker processes need fork()"
    return None


def _where(source: Any) -> str:
    address = getattr(source, "address", None)
    path = getattr(source, "path", None)
    return f" ({source.type} on {address})" if address else (f" ({source.type} {path})" if path else "")


__all__ = [
    "GC_EVERY_S",
    "SPAN_BYTES",
    "RunOutcome",
    "build_actors",
    "collect_garbage",
    "retry_policy",
    "run_topology",
]
