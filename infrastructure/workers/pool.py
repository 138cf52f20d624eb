"""The parent side: a pool of forked worker processes, and the planner that hands spans to it."""

from __future__ import annotations

import fcntl
import multiprocessing
from collections.abc import Collection, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import final

import anyio.to_thread

from domain.ports import Clock, SourceBatch
from domain.router import Router
from infrastructure.actors.plan import BatchPlan
from infrastructure.actors.topology import AheadPlanner, PendingPlan, Planner
from infrastructure.ids import LineIds, LineKey
from infrastructure.workers.task import init_worker, route_span


def fork_available() -> bool:
    """Whether worker processes can be forked here (they inherit the compiled config)."""
    return "fork" in multiprocessing.get_all_start_methods()


@final
class PendingSpan:
    """A span being routed by a worker: ``wait`` for its plan."""

    __slots__ = ("_future",)

    def __init__(self, future: Future[BatchPlan]) -> None:
        self._future = future

    async def wait(self) -> BatchPlan:
        """The plan (a worker's exception is raised here)."""
        if not self._future.done():
            await anyio.to_thread.run_sync(self._future.exception, abandon_on_cancel=True)
        return self._future.result()

    def cancel(self) -> None:
        """Give up the span if no worker has started it."""
        self._future.cancel()


@final
class WorkerPool:
    """``workers`` forked processes, each holding the routing compiled once (``init_worker``).

    The processes are forked from the parent as it is when ``start`` is called, so they share its
    imported modules and compiled pipelines; plugins need not be picklable. Only spans (a path
    and two offsets) go to a worker, and only plans (NDJSON bytes per sink, counts, dead letters)
    come back.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def start(
        self, router: Router, encode: Collection[str], max_line_bytes: Mapping[str, int], clock: Clock
    ) -> None:
        """Fork the processes now (before the run's threads are busy)."""
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=init_worker,
            initargs=(router, frozenset(encode), dict(max_line_bytes), clock),
        )
        widen_pipe(getattr(getattr(self._pool, "_result_queue", None), "_reader", None))

    def submit(self, source: str, path: str, start: int, end: int, key: LineKey | None = None) -> PendingSpan:
        """Route ``[start, end)`` of ``path`` in a worker; ``key`` makes its lines' ids."""
        if self._pool is None:
            raise RuntimeError("worker pool used before start()")
        return PendingSpan(self._pool.submit(route_span, source, path, start, end, key))

    async def close(self) -> None:
        """Stop the processes (spans not started are dropped: their batches were not acked)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await anyio.to_thread.run_sync(lambda: pool.shutdown(wait=True, cancel_futures=True))


_F_SETPIPE_SZ = 1031  # Linux: fcntl command that sets a pipe's capacity
_PIPE_SIZES = (4 << 20, 1 << 20)  # tried in turn: above /proc/sys/fs/pipe-max-size needs privilege


def widen_pipe(end: object) -> int:
    """Make the pipe behind ``end`` (a ``multiprocessing`` connection) hold a whole plan.

    Plans come back through the pool's result pipe: with Linux's default 64 KiB a 1.6 MiB plan
    (a 2 MiB span) took ~25 writes and reads and as many wake-ups of the two processes (W1 with
    two workers: 1.15x -> 1.29x the floor with a 1 MiB pipe); a 4 MiB span's plan is ~3 MiB.
    Best effort: returns the new size, or 0 where pipes cannot be resized (not Linux) or the
    pool keeps its pipe elsewhere.
    """
    fileno = getattr(end, "fileno", None)
    if fileno is None or not hasattr(fcntl, "fcntl"):
        return 0
    for size in _PIPE_SIZES:
        try:
            return int(fcntl.fcntl(fileno(), _F_SETPIPE_SZ, size))
        except OSError:
            continue
    return 0


def make_pool_planner(pool: WorkerPool, local: Planner) -> AheadPlanner:
    """Spans go to the pool; any other batch is planned here by ``local``."""

    def plan(batch: SourceBatch) -> BatchPlan | PendingPlan:
        if batch.span is None:
            return local(batch)
        ids = batch.line_ids
        return pool.submit(batch.source, *batch.span, ids.key if isinstance(ids, LineIds) else None)

    return plan


__all__ = ["PendingSpan", "WorkerPool", "fork_available", "make_pool_planner", "widen_pipe"]
