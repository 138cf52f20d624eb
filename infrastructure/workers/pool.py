"""The parent side: forked worker processes, each with its own task and result pipes, read on the loop.

Each worker gets spans through its task pipe and answers, in the order it got them, through its
result pipe. The parent never blocks on a worker: it writes a task (a few hundred bytes, far
below a pipe's capacity), and one task per worker (``read_answers``) reads its answers as they
come, non-blocking on the event loop (``frames.read_frame_async``). No thread stands between the
router and the workers.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Collection, Mapping
from multiprocessing.process import BaseProcess
from typing import final

import anyio

from pipeflow.domain.ports import Clock, SourceBatch
from pipeflow.domain.router import Router
from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.actors.topology import AheadPlanner, PendingPlan, Planner
from pipeflow.infrastructure.ids import LineIds, LineKey
from pipeflow.infrastructure.workers.arena import SLOT_BYTES, Arena
from pipeflow.infrastructure.workers.frames import FrameClosed, read_frame_async, widen_pipe, write_frame
from pipeflow.infrastructure.workers.task import PARENTS_SIGNALS, serve

__all__ = ["PendingSpan", "WorkerError", "WorkerPool", "fork_available", "make_pool_planner"]

_EXIT_WAIT_S = 5.0
"""How long ``close`` waits for a worker to finish its span and leave before killing it."""


def fork_available() -> bool:
    """Whether worker processes can be forked here (they inherit the compiled config)."""
    return "fork" in multiprocessing.get_all_start_methods()


class WorkerError(RuntimeError):
    """A worker failed to route a span, or ended before answering (the run fails; nothing is acked)."""


@final
class PendingSpan:
    """A span sent to a worker: ``wait`` for its plan."""

    __slots__ = ("_error", "_plan", "_settled")

    def __init__(self, error: str | None = None) -> None:
        self._plan: BatchPlan | None = None
        self._error = error
        self._settled = anyio.Event()
        if error is not None:
            self._settled.set()

    def settle(self, plan: BatchPlan | None, error: str | None) -> None:
        """Record the worker's answer: a plan, or what went wrong."""
        self._plan, self._error = plan, error
        self._settled.set()

    async def wait(self) -> BatchPlan:
        """The plan; a worker's failure (or its end) is raised here as ``WorkerError``."""
        await self._settled.wait()
        if self._plan is None:
            raise WorkerError(self._error or "no worker answered")
        return self._plan

    def cancel(self) -> None:
        """Give up the span: the run is ending (its batch is not acknowledged; the worker's
        answer, if it comes, is dropped, or the pipe is closed under it)."""


@final
class _Worker:
    """The parent's handle on one worker process: its pipes and the spans it has yet to answer."""

    __slots__ = ("arena", "process", "results", "tasks", "waiting")

    def __init__(self, process: BaseProcess, tasks: int, results: int, arena: Arena) -> None:
        self.process = process
        self.tasks = tasks  # write end, blocking
        self.results = results  # read end, non-blocking
        self.arena = arena
        self.waiting: deque[tuple[PendingSpan, int]] = deque()  # and the slot lent with each

    @property
    def alive(self) -> bool:
        return self.tasks >= 0

    def send(self, task: tuple[object, ...]) -> PendingSpan:
        slot = self.arena.lend()
        try:
            write_frame(self.tasks, pickle.dumps((slot, *task), protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:  # the worker is gone (its task pipe's reader closed)
            self.arena.give_back(slot)
            return PendingSpan(f"worker process {self.process.pid} is gone: {exc}")
        span = PendingSpan()
        self.waiting.append((span, slot))
        return span

    async def read_answers(self) -> None:
        """Settle spans as their answers arrive (in task order), until the worker's pipe closes.

        Answers are read as soon as they come, not when the router gets to them: a worker whose
        answers sat in its pipe would block on the next one once the pipe is full.
        """
        while self.alive:
            try:
                frame = await read_frame_async(self.results)
            except (FrameClosed, OSError):
                self._ended(await self._exit_status())
                return
            ok, value, lengths = pickle.loads(frame)
            span, slot = self.waiting.popleft()
            if lengths is not None:
                self.arena.unstow(slot, value, lengths)
            self.arena.give_back(slot)
            if ok:
                span.settle(value, None)
            else:
                span.settle(None, f"worker failed: {value}")

    def _ended(self, status: str) -> None:
        while self.waiting:
            span, slot = self.waiting.popleft()
            self.arena.give_back(slot)
            span.settle(None, f"worker process {self.process.pid} {status}")
        self.close_pipes()

    async def _exit_status(self) -> str:
        code = None
        with anyio.move_on_after(1.0):
            await anyio.wait_readable(self.process.sentinel)
            # Its pipes close as it exits, a moment before it can be reaped.
            while (code := self.process.exitcode) is None:  # noqa: ASYNC110 - no event to wait on
                await anyio.sleep(0.005)
        if code is None:
            return "closed its result pipe"
        return f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"

    def close_pipes(self) -> None:
        for fd in (self.tasks, self.results):
            if fd >= 0:
                os.close(fd)
        self.tasks = self.results = -1

    async def stop(self) -> None:
        """Close the pipes (the worker leaves after its span) and reap the process."""
        self.close_pipes()
        with anyio.move_on_after(_EXIT_WAIT_S) as waited:
            await anyio.wait_readable(self.process.sentinel)
        if waited.cancelled_caught:
            self.process.kill()
        await anyio.to_thread.run_sync(self.process.join)
        self.process.close()
        self.arena.close()


@final
class WorkerPool:
    """``workers`` forked processes, each holding the routing compiled once (``task.init_worker``).

    The processes are forked from the parent as it is when ``start`` is called, so they share its
    imported modules and compiled pipelines; plugins need not be picklable. Only spans (a path
    and two offsets) go to a worker, and only plans (NDJSON bytes per sink, counts, dead letters)
    come back.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._procs: list[_Worker] = []
        self._turn = 0

    def start(
        self,
        router: Router,
        encode: Collection[str],
        max_line_bytes: Mapping[str, int],
        clock: Clock,
        *,
        in_flight: int = 2,
        slot_bytes: int = SLOT_BYTES,
    ) -> None:
        """Fork the processes now (before the run's threads are busy); ``in_flight`` is how many
        spans the router keeps in flight (each worker gets a shared-memory slot for each)."""
        context = multiprocessing.get_context("fork")
        for _ in range(self.workers):
            task_r, task_w = os.pipe()
            result_r, result_w = os.pipe()
            widen_pipe(result_r)
            arena = Arena(in_flight + 1, slot_bytes)
            foreign = [*(fd for w in self._procs for fd in (w.tasks, w.results)), task_w, result_r]
            pipes = (task_r, result_w, foreign, arena)
            routing = (router, frozenset(encode), dict(max_line_bytes), clock)
            process = context.Process(target=serve, args=(*pipes, *routing), daemon=True)
            blocked = signal.pthread_sigmask(
                signal.SIG_BLOCK, PARENTS_SIGNALS
            )  # until the worker ignores them
            try:
                process.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            os.close(task_r)
            os.close(result_w)
            os.set_blocking(result_r, False)
            self._procs.append(_Worker(process, task_w, result_r, arena))

    def submit(self, source: str, path: str, start: int, end: int, key: LineKey | None = None) -> PendingSpan:
        """Route ``[start, end)`` of ``path`` in the least busy worker; ``key`` makes its lines' ids."""
        alive = [w for w in self._procs if w.alive]
        if not alive:
            return PendingSpan("no worker process is running")
        self._turn = (self._turn + 1) % len(alive)
        worker = min(alive[self._turn :] + alive[: self._turn], key=lambda w: len(w.waiting))
        return worker.send((source, path, start, end, key))

    async def read_answers(self) -> None:
        """Read every worker's answers as they come (run it as a task while spans are in flight)."""
        async with anyio.create_task_group() as group:
            for worker in self._procs:
                group.start_soon(worker.read_answers)

    async def close(self) -> None:
        """Stop the processes (spans in flight are dropped: their batches were not acked)."""
        procs, self._procs = self._procs, []
        for worker in procs:
            await worker.stop()


def make_pool_planner(pool: WorkerPool, local: Planner) -> AheadPlanner:
    """Spans go to the pool; any other batch is planned here by ``local``."""

    def plan(batch: SourceBatch) -> BatchPlan | PendingPlan:
        if batch.span is None:
            return local(batch)
        ids = batch.line_ids
        return pool.submit(batch.source, *batch.span, ids.key if isinstance(ids, LineIds) else None)

    return plan
