"""Event ids of file lines: derived from the line's place in its file, the same at every read.

Read decoded, read raw through the fast path, or read as a span by a worker process, a line
gets one id; read again by a source on the same checkpoint store it gets that id again; a new
store (state lost) is a new epoch and new ids.
"""

from __future__ import annotations

import gc
from pathlib import Path

import orjson
from ulid import ULID

from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.actors.routing import RouterCell, make_planner
from pipeflow.infrastructure.fastpath.planner import make_fast_planner
from pipeflow.infrastructure.ids import LineIds, LineKey, UlidFactory, head_of
from pipeflow.infrastructure.sources.checkpoints import MemoryCheckpointStore
from pipeflow.infrastructure.sources.file import EPOCH_PATH, FileSource
from pipeflow.infrastructure.workers.task import init_worker, route_span
from tests.unit.test_fastpath_planner import _Clock, _router

LEVELS = ("info", "error", "debug", "warn", None)


def _write(path: Path) -> None:
    rows = [orjson.dumps({"n": n, "level": LEVELS[n % 5], "msg": f"u{n}@x"}) for n in range(60)]
    rows[7] = b"not json"
    rows[11] = b""
    path.write_bytes(b"\n".join(rows) + b"\n" + b'{"n": 60, "level": "error"}')  # no last newline


class _Later:
    def now(self) -> float:
        return 9.0


async def _batches(
    path: Path, store: MemoryCheckpointStore, clock: _Clock | _Later | None = None, **kw: object
) -> list[SourceBatch]:
    clock = clock or _Clock()
    source = FileSource("app", str(path), ids=UlidFactory(), clock=clock, checkpoints=store, **kw)  # type: ignore[arg-type]
    return [b async for b in source.batches()]


def _ids(plans: list[BatchPlan]) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    delivered = {
        (p.sink, repr(e.fields["n"]), str(e.id)) for plan in plans for p in plan.parts for e in p.events
    }
    dead = {(repr(d.event), str(d.id)) for plan in plans for d in plan.dead}
    return delivered, dead


def test_line_ids_are_ulids_with_the_epoch_as_time_and_depend_on_every_part() -> None:
    key = LineKey(1_700_000_000_123, "app", 3, 4, b"head\n")
    text = key.id_at(10)
    assert str(ULID.from_str(text)) == text
    assert ULID.from_str(text).milliseconds == 1_700_000_000_123
    assert text == LineKey(1_700_000_000_123, "app", 3, 4, b"head\n").id_at(10)
    others = [
        key.id_at(11),
        LineKey(1_700_000_000_124, "app", 3, 4, b"head\n").id_at(10),
        LineKey(1_700_000_000_123, "web", 3, 4, b"head\n").id_at(10),
        LineKey(1_700_000_000_123, "app", 9, 4, b"head\n").id_at(10),
        LineKey(1_700_000_000_123, "app", 3, 9, b"head\n").id_at(10),
        LineKey(1_700_000_000_123, "app", 3, 4, b"other\n").id_at(10),
    ]
    assert len({text, *others}) == 7
    assert len({key.id_at(o) for o in range(5000)}) == 5000


def test_the_head_is_the_first_line_or_its_first_256_bytes() -> None:
    assert head_of(b"ab\ncd\n") == b"ab\n"
    assert head_of(b"x" * 300) == b"x" * 256
    assert head_of(b"partial") == b"partial"


def test_line_ids_add_up_back_to_back_lines_or_take_each_start() -> None:
    key = LineKey(0, "s", 0, 1, b"")
    lines = [b"ab", b"", b"cde", b"f"]
    assert [LineIds(key, 100, lines)(k) for k in range(4)] == [key.id_at(o) for o in (100, 103, 104, 108)]
    assert LineIds(key, [5, 70], lines[:2])(1) == key.id_at(70)


async def test_raw_decoded_and_worker_reads_give_each_line_the_same_id(tmp_path: Path) -> None:
    path = tmp_path / "in.ndjson"
    _write(path)
    store = MemoryCheckpointStore()
    cell, clock, ids = RouterCell(_router(1, '"one"')), _Clock(), UlidFactory()
    decoded = await _batches(path, store, batch_size=8)
    reference = _ids([make_planner(cell, clock)(b) for b in decoded])
    raw = await _batches(path, store, batch_size=8, raw=True)
    assert all(b.lines is not None and b.line_ids is not None for b in raw)
    fast = _ids([make_fast_planner(cell, clock, ids)(b) for b in raw])
    spans = await _batches(path, store, raw=True, span_bytes=300)
    collecting = gc.isenabled()
    init_worker(cell.router, (), {"app": 1 << 20}, clock)  # a worker's set-up: it turns the collector off
    try:
        worker = _ids(
            [
                route_span("app", *s.span, s.line_ids.key)
                for s in spans
                if s.span and isinstance(s.line_ids, LineIds)
            ]
        )
    finally:
        if collecting:  # this is the test process, not a worker: later tests expect it on
            gc.enable()
    assert len(spans) > 3
    assert reference[0]  # events delivered
    assert reference[1]  # and dead-lettered
    assert fast == reference
    assert worker == reference


async def test_a_line_read_again_keeps_its_id_but_a_new_state_is_a_new_epoch(tmp_path: Path) -> None:
    path = tmp_path / "in.ndjson"
    _write(path)
    store = MemoryCheckpointStore()
    first = await _batches(path, store)  # never acked: a restart reads it all again
    again = await _batches(path, store)
    ids = [e.id for b in first for e in b.events]
    assert len(set(ids)) == len(ids) == 59
    assert [e.id for b in again for e in b.events] == ids
    assert await store.load("app", EPOCH_PATH) == (5000, 0)
    # The saved epoch holds, whatever the clock says now:
    assert [e.id for b in await _batches(path, store, _Later()) for e in b.events] == ids
    fresh = [e.id for b in await _batches(path, MemoryCheckpointStore(), _Later()) for e in b.events]
    assert {ULID.from_str(i).milliseconds for i in fresh} == {9000}
    assert set(fresh).isdisjoint(ids)
