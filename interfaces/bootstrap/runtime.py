"""Wiring a loaded config into a running topology: state database, adapters, actors, state restore."""

from __future__ import annotations

import logging
import sqlite3
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, BinaryIO, final

import anyio

from pipeflow.domain.ports import Clock, EncodedSink, IdFactory
from pipeflow.infrastructure.actors.committer import Committer
from pipeflow.infrastructure.actors.routing import RouterCell
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.actors.topology import AheadPlanner, Topology
from pipeflow.infrastructure.fastpath.planner import make_fast_planner
from pipeflow.infrastructure.sinks.file import FileSink
from pipeflow.infrastructure.sources.checkpoints import CheckpointStore
from pipeflow.infrastructure.stateful import restore_state, save_state, snapshots, stateful_functions
from pipeflow.interfaces.bootstrap.actors import build_actors
from pipeflow.interfaces.bootstrap.adapters import (
    RAW_BATCH_LINES,
    build_source,
)
from pipeflow.interfaces.bootstrap.collector import collection_on_a_timer
from pipeflow.interfaces.bootstrap.commits import (
    commit_periodically,
    exact_sinks,
    exactly_once,
    open_sinks,
    save_periodically,
)
from pipeflow.interfaces.bootstrap.progress import show_progress
from pipeflow.interfaces.bootstrap.state import (
    StateStores,
    save_checkpoints,
    state_db_path,
)
from pipeflow.interfaces.config import models as m
from pipeflow.interfaces.config.loader import LoadedConfig

if TYPE_CHECKING:  # the pool is imported only by a run that uses it
    from pipeflow.infrastructure.workers.pool import WorkerPool

_log = logging.getLogger("pipeflow.run")

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
    async with AsyncExitStack() as stack:
        state = await stack.enter_async_context(await StateStores.open(config.state_dir))
        await restore_state(loaded.compiled, state.function_state)
        stats = RunStats()
        exact = await exact_sinks(config, state)
        dead_letters, sinks = build_actors(
            config, state.dead_letters, stats, clock=clock, stdout=stdout, exact=exact
        )
        checkpoints: CheckpointStore = state.checkpoints
        committer = None
        stateful = stateful_functions(loaded.compiled)
        keep_state = bool(stateful) and exactly_once(config)  # state committed at the checkpoints' cut
        if exact or keep_state:
            files = {n: a.sink for n, a in sinks.items() if n in exact and isinstance(a.sink, FileSink)}
            states = partial(snapshots, stateful) if keep_state else None
            db = state_db_path(config.state_dir)
            committer = await Committer.open(db, checkpoints, files, exact, states)
            stack.push_async_callback(committer.aclose)
            await open_sinks(sinks[n] for n in files)  # each cut back to its commit before anything is read
            await committer.flush(())  # their lengths now: what this run writes is cut after a crash
            checkpoints = committer  # the sources' saves are committed with the sinks' lengths
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
                positions=committer,
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
        topology = Topology(
            sources,
            sinks,
            dead_letters,
            planner,
            stats,
            clock.now,
            ids,
            plan_ahead=ahead,
            sequencer=committer,
        )
        # Everything built so far lives as long as the run (``collector``: frozen, cycles on a timer).
        try:
            async with collection_on_a_timer(), anyio.create_task_group() as group:
                if progress:
                    group.start_soon(show_progress, stats)
                if pool is not None:
                    group.start_soon(pool.read_answers)
                if committer is not None:
                    group.start_soon(commit_periodically, committer, sources.values())
                elif any(sc.buffer.type == "disk" for sc in config.sinks.values()):
                    group.start_soon(save_periodically, sources.values())
                await topology.run(handle_signals=handle_signals)
                group.cancel_scope.cancel()
        finally:
            if pool is not None:
                with anyio.CancelScope(shield=True):
                    await pool.close()
        await save_checkpoints(sources.values())  # acks that arrived after a source ended
        commit_failure = None
        if committer is not None:
            try:
                await committer.flush(sources.values(), final=True)
            except sqlite3.Error as exc:
                commit_failure = (
                    f"the last checkpoints could not be committed ({exc}): their input is read again"
                )
        if committer is None or not committer.keeps_state:
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
    if commit_failure is not None:
        failures.append(commit_failure)
    if dead_letters.failures:
        failures.append(
            f"{dead_letters.failures} dead letters could not be stored; their input was not acknowledged"
        )
    return RunOutcome(stats, failures)


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


__all__ = ["SPAN_BYTES", "RunOutcome", "run_topology"]
