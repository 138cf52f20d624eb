"""The worker pool with real forked processes: plans through shared memory or the pipe, a worker's
error or death raised where its span is awaited (never a hang), Ctrl-C left to the parent."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import orjson
import pytest

from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.ids import SystemClock
from pipeflow.infrastructure.workers import WorkerError, WorkerPool
from pipeflow.infrastructure.workers.arena import SLOT_BYTES, Arena
from pipeflow.interfaces.bootstrap import bootstrap
from tests.e2e.conftest import write_config

CONFIG = """
state_dir: state
sources: {app: {type: file, path: in.ndjson}}
pipelines: {p: {functions: [{type: drop, filter: 'level == "debug"'}]}}
sinks: {out: {type: file, path: out.ndjson}}
routes: [{name: all, pipeline: p, sink: out}]
"""


def _lines(n: int) -> bytes:
    return b"".join(orjson.dumps({"i": i, "level": ("debug", "info")[i % 2]}) + b"\n" for i in range(n))


@asynccontextmanager
async def _started(folder: Path, slot_bytes: int = SLOT_BYTES) -> AsyncIterator[WorkerPool]:
    """Two real workers for ``CONFIG`` in ``folder``, answers read, closed on the way out."""
    write_config(folder, CONFIG)
    loaded = bootstrap().load(str(folder / "pipeflow.yaml")).unwrap()
    workers = WorkerPool(2)
    workers.start(loaded.router, ["out"], {"app": 1 << 20}, SystemClock(), in_flight=2, slot_bytes=slot_bytes)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(workers.read_answers)
            yield workers
            group.cancel_scope.cancel()
    finally:
        with anyio.fail_after(10):
            await workers.close()


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[WorkerPool]:
    async with _started(tmp_path) as workers:
        yield workers


def _delivered(plan: BatchPlan) -> list[int]:
    return [
        orjson.loads(line)["i"]
        for part in plan.parts
        if part.encoded is not None
        for line in part.encoded.data.splitlines()
    ]


async def test_spans_come_back_as_plans_in_any_number(pool: WorkerPool, tmp_path: Path) -> None:
    data = _lines(1000)
    (tmp_path / "in.ndjson").write_bytes(data)
    cut = data.index(b"\n", len(data) // 2) + 1
    with anyio.fail_after(10):
        plans = []
        for _ in range(5):  # more spans than shared-memory slots: slots are lent again
            first = pool.submit("app", str(tmp_path / "in.ndjson"), 0, cut)
            second = pool.submit("app", str(tmp_path / "in.ndjson"), cut, len(data))
            plans += [await first.wait(), await second.wait()]
    for a, b in zip(plans[::2], plans[1::2], strict=True):
        assert _delivered(a) + _delivered(b) == list(range(1, 1000, 2))
        assert a.dropped + b.dropped == 500


@pytest.mark.parametrize(("slot_bytes", "through"), [(SLOT_BYTES, "shared memory"), (1024, "the pipe")])
async def test_a_plan_comes_through_shared_memory_or_when_too_big_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slot_bytes: int, through: str
) -> None:
    data = _lines(20_000)
    (tmp_path / "in.ndjson").write_bytes(data)
    unstowed: list[int] = []
    real = Arena.unstow

    def spy(arena: Arena, slot: int, plan: BatchPlan, lengths: list[int]) -> None:
        unstowed.append(slot)
        real(arena, slot, plan, lengths)

    monkeypatch.setattr(Arena, "unstow", spy)  # only the parent unstows
    async with _started(tmp_path, slot_bytes) as pool:
        with anyio.fail_after(10):
            plan = await pool.submit("app", str(tmp_path / "in.ndjson"), 0, len(data)).wait()
    assert _delivered(plan) == list(range(1, 20_000, 2))
    assert bool(unstowed) is (through == "shared memory")


async def test_a_failing_span_raises_the_workers_error(pool: WorkerPool, tmp_path: Path) -> None:
    with anyio.fail_after(10), pytest.raises(WorkerError, match="FileNotFoundError"):
        await pool.submit("app", str(tmp_path / "missing.ndjson"), 0, 10).wait()
    data = _lines(10)
    (tmp_path / "in.ndjson").write_bytes(data)
    with anyio.fail_after(10):  # the worker lives on
        assert (await pool.submit("app", str(tmp_path / "in.ndjson"), 0, len(data)).wait()).dropped == 5


async def test_a_killed_worker_fails_its_spans_and_the_other_carries_on(
    pool: WorkerPool, tmp_path: Path
) -> None:
    data = _lines(10)
    (tmp_path / "in.ndjson").write_bytes(data)
    victim = pool._procs[0]
    assert victim.process.pid is not None
    os.kill(victim.process.pid, signal.SIGKILL)
    with anyio.fail_after(10):
        while victim.alive:  # noqa: ASYNC110 - until its reader task sees the pipe close
            await anyio.sleep(0.01)
        plans = [await pool.submit("app", str(tmp_path / "in.ndjson"), 0, len(data)).wait() for _ in range(3)]
    assert [p.dropped for p in plans] == [5, 5, 5]


async def test_a_span_in_flight_when_its_worker_dies_raises_not_hangs(
    pool: WorkerPool, tmp_path: Path
) -> None:
    data = _lines(200_000)  # a span long enough to be in flight when the kill lands
    (tmp_path / "in.ndjson").write_bytes(data)
    spans = [pool.submit("app", str(tmp_path / "in.ndjson"), 0, len(data)) for _ in range(2)]
    for worker in pool._procs:
        assert worker.process.pid is not None
        os.kill(worker.process.pid, signal.SIGKILL)
    with anyio.fail_after(10):
        for span in spans:
            with pytest.raises(WorkerError, match="killed by signal 9"):
                await span.wait()
        with pytest.raises(WorkerError, match="no worker process is running"):
            await pool.submit("app", str(tmp_path / "in.ndjson"), 0, len(data)).wait()


async def test_ctrl_c_to_the_process_group_is_left_to_the_parent(pool: WorkerPool, tmp_path: Path) -> None:
    data = _lines(10)
    (tmp_path / "in.ndjson").write_bytes(data)
    for worker in pool._procs:
        assert worker.process.pid is not None
        os.kill(worker.process.pid, signal.SIGINT)
        os.kill(worker.process.pid, signal.SIGTERM)
    with anyio.fail_after(10):
        plans = [await pool.submit("app", str(tmp_path / "in.ndjson"), 0, len(data)).wait() for _ in range(4)]
    assert [p.dropped for p in plans] == [5, 5, 5, 5]


async def test_close_ends_every_worker(pool: WorkerPool) -> None:
    procs = [w.process for w in pool._procs]
    with anyio.fail_after(10):
        await pool.close()
    for process in procs:
        with pytest.raises(ValueError, match="closed"):  # reaped and closed
            process.is_alive()
