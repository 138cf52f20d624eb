from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import anyio
import pytest

from pipeflow.domain.json import Json
from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sources.checkpoints import MemoryCheckpointStore
from pipeflow.infrastructure.sources.file import FileSource
from pipeflow.infrastructure.sqlite.checkpoints import SqliteCheckpointStore


def make(path: Path | str, **kw: Any) -> FileSource:
    return FileSource("app", str(path), ids=UlidFactory(), clock=SystemClock(), **kw)


def nd(*values: int) -> bytes:
    return b"".join(b'{"n": %d}\n' % v for v in values)


async def collect(source: FileSource, *, ack: bool = True) -> list[SourceBatch]:
    batches: list[SourceBatch] = []
    with anyio.fail_after(5):
        async for batch in source.batches():
            batches.append(batch)
            if ack and batch.ack is not None:
                batch.ack()
    return batches


def values(batches: list[SourceBatch], key: str = "n") -> list[Json]:
    return [e.fields[key] for b in batches for e in b.events]


class Followed:
    def __init__(self) -> None:
        self.batches: list[SourceBatch] = []
        self._arrived = anyio.Event()

    @property
    def values(self) -> list[Json]:
        return values(self.batches)

    async def drain(self, source: FileSource) -> None:
        async for batch in source.batches():
            self.batches.append(batch)
            assert batch.ack is not None
            batch.ack()
            self._arrived.set()
            self._arrived = anyio.Event()

    async def wait_for(self, n: int) -> None:
        with anyio.fail_after(5):
            while len(self.values) < n:
                await self._arrived.wait()


@asynccontextmanager
async def following(source: FileSource) -> AsyncIterator[Followed]:
    got = Followed()
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(got.drain, source)
            yield got
            source.stop()


def follow(path: Path | str, **kw: Any) -> FileSource:
    kw.setdefault("poll_interval_s", 0.02)
    return make(path, follow=True, **kw)


async def test_glob_reads_matching_files_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b.ndjson").write_bytes(nd(3, 4))
    (tmp_path / "a.ndjson").write_bytes(nd(1, 2))
    (tmp_path / "c.txt").write_bytes(nd(99))
    batches = await collect(make(tmp_path / "*.ndjson"))
    assert values(batches) == [1, 2, 3, 4]
    assert {b.source for b in batches} == {"app"}
    assert all(e.meta.source == "app" for b in batches for e in b.events)


async def test_lines_format_wraps_each_line_and_strips_cr(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_bytes(b"first line\r\n\nsecond {not json}\n")
    batches = await collect(make(tmp_path / "app.log", format="lines"))
    assert values(batches, "message") == ["first line", "second {not json}"]


async def test_batches_hold_at_most_batch_size_lines_across_small_chunks(tmp_path: Path) -> None:
    (tmp_path / "a.ndjson").write_bytes(nd(*range(10)))
    batches = await collect(make(tmp_path / "a.ndjson", batch_size=3, chunk_bytes=7))
    assert [len(b.events) for b in batches] == [3, 3, 3, 1]
    assert values(batches) == list(range(10))
    assert len({e.id for b in batches for e in b.events}) == 10


async def test_a_last_line_without_newline_is_an_event(tmp_path: Path) -> None:
    (tmp_path / "a.ndjson").write_bytes(nd(1) + b'{"n": 2}')
    assert values(await collect(make(tmp_path / "a.ndjson"))) == [1, 2]


async def test_bad_lines_are_rejected_with_reasons_and_the_rest_flows(tmp_path: Path) -> None:
    long = b'{"pad": "' + b"x" * 100 + b'"}'
    body = nd(1) + b"{oops\n" + b"[1, 2]\n" + long + b"\n" + nd(2) + long
    (tmp_path / "a.ndjson").write_bytes(body)
    batches = await collect(make(tmp_path / "a.ndjson", max_line_bytes=40, chunk_bytes=16))
    assert values(batches) == [1, 2]
    rejected = sorted((r.reason, r.raw) for b in batches for r in b.rejected)
    too_long = (f"line over max_line_bytes ({len(long)} bytes)", long[:40])
    assert rejected[0][0].startswith("invalid JSON")
    assert rejected[0][1] == b"{oops"
    assert rejected[1:] == [too_long, too_long, ("not a JSON object: list", b"[1, 2]")]


async def test_invalid_utf8_is_rejected_in_lines_format(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_bytes(b"ok\n\xff\xfe bad\n")
    batches = await collect(make(tmp_path / "a.log", format="lines"))
    assert values(batches, "message") == ["ok"]
    assert [r.reason.split(":")[0] for b in batches for r in b.rejected] == ["invalid UTF-8"]


async def test_start_at_end_reads_only_what_is_appended(tmp_path: Path) -> None:
    log = tmp_path / "a.ndjson"
    log.write_bytes(nd(1, 2))
    async with following(follow(log, start_at="end")) as got:
        await anyio.sleep(0.1)
        with log.open("ab") as f:
            f.write(nd(3))
        await got.wait_for(1)
    assert got.values == [3]


async def test_checkpoints_resume_after_a_restart_from_a_sqlite_file(tmp_path: Path) -> None:
    log, db = tmp_path / "a.ndjson", tmp_path / "state.db"
    log.write_bytes(nd(1, 2, 3, 4))
    async with aiosqlite.connect(db) as conn:
        store = SqliteCheckpointStore(conn)
        await store.ensure()
        source = make(log, checkpoints=store, batch_size=2)
        first = await collect(source, ack=False)
        assert values(first) == [1, 2, 3, 4]
        assert first[0].ack is not None
        first[0].ack()  # the second batch is never acknowledged: the run "crashed"
        await source.save_checkpoints()
    with log.open("ab") as f:
        f.write(nd(5))
    async with aiosqlite.connect(db) as conn:  # "restart": nothing survives but the two files
        store = SqliteCheckpointStore(conn)
        assert values(await collect(make(log, checkpoints=store))) == [3, 4, 5]
        assert await store.load("app", str(log)) == (os.stat(log).st_ino, log.stat().st_size)
    with log.open("ab") as f:
        f.write(nd(6))
    async with aiosqlite.connect(db) as conn:
        assert values(await collect(make(log, checkpoints=SqliteCheckpointStore(conn)))) == [6]


async def test_out_of_order_acks_move_the_checkpoint_over_the_acknowledged_prefix(tmp_path: Path) -> None:
    log = tmp_path / "a.ndjson"
    log.write_bytes(nd(1, 2, 3))
    store = MemoryCheckpointStore()
    source = make(log, checkpoints=store, batch_size=1)
    batches = await collect(source, ack=False)
    acks = [b.ack for b in batches]
    assert None not in acks
    acks[2]()  # type: ignore[misc]
    acks[0]()  # type: ignore[misc]
    await source.save_checkpoints()
    inode = os.stat(log).st_ino
    assert await store.load("app", str(log)) == (inode, len(nd(1)))
    acks[1]()  # type: ignore[misc]
    await source.save_checkpoints()
    assert await store.load("app", str(log)) == (inode, len(nd(1, 2, 3)))


async def test_another_inode_at_the_checkpointed_path_is_read_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "a.ndjson"
    log.write_bytes(nd(1, 2))
    store = MemoryCheckpointStore()
    await collect(make(log, checkpoints=store))
    log.rename(tmp_path / "a.ndjson.1")
    log.write_bytes(nd(7, 8, 9))
    assert values(await collect(make(log, checkpoints=store))) == [7, 8, 9]


async def test_rotation_by_rename_reads_the_old_rest_then_the_new_file(tmp_path: Path) -> None:
    log = tmp_path / "app.ndjson"
    log.write_bytes(nd(1))
    async with following(follow(tmp_path / "app.ndjson*")) as got:
        await got.wait_for(1)
        with log.open("ab") as f:
            f.write(nd(2) + b'{"n": 3}')  # the old file's rest, its last line without newline
        log.rename(tmp_path / "app.ndjson.1")
        log.write_bytes(nd(4))
        await got.wait_for(4)
        await anyio.sleep(0.1)  # the renamed file is matched by the glob: it must not be read again
    assert got.values == [1, 2, 3, 4]


async def test_truncation_while_following_reads_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "app.ndjson"
    log.write_bytes(nd(100, 101, 102))
    async with following(follow(log)) as got:
        await got.wait_for(3)
        log.write_bytes(nd(7))  # truncates, then writes less than was read
        await got.wait_for(4)
    assert got.values == [100, 101, 102, 7]


async def test_a_truncation_seen_moves_the_checkpoint_back_to_0(tmp_path: Path) -> None:
    """Regression: after a truncation seen by a poll, the saved checkpoint kept the old offset, and
    a restart resumed there in the new content, skipping its first lines."""
    log = tmp_path / "app.ndjson"
    log.write_bytes(nd(100, 101, 102))
    store = MemoryCheckpointStore()
    source = follow(log, checkpoints=store)
    async with following(source) as got:
        await got.wait_for(3)
        log.write_bytes(b"")  # copytruncate
        await anyio.sleep(0.2)  # several polls: the tail rewinds
    await source.save_checkpoints()
    assert await store.load("app", str(log)) == (log.stat().st_ino, 0)
    log.write_bytes(nd(7, 8))
    async with following(follow(log, checkpoints=store)) as again:
        await again.wait_for(2)
    assert again.values == [7, 8]


async def test_a_new_file_matching_the_glob_is_read_from_its_start(tmp_path: Path) -> None:
    (tmp_path / "a.ndjson").write_bytes(nd(1))
    async with following(follow(tmp_path / "*.ndjson", start_at="end")) as got:
        await anyio.sleep(0.1)
        (tmp_path / "b.ndjson").write_bytes(nd(2, 3))
        await got.wait_for(2)
    assert got.values == [2, 3]


async def test_a_partial_line_waits_for_its_newline_while_following(tmp_path: Path) -> None:
    log = tmp_path / "app.ndjson"
    log.write_bytes(b'{"n": 1')
    async with following(follow(log)) as got:
        await anyio.sleep(0.1)
        assert got.values == []
        with log.open("ab") as f:
            f.write(b"}\n")
        await got.wait_for(1)
    assert got.values == [1]


async def test_stop_finishes_the_current_batch_and_ends(tmp_path: Path) -> None:
    log = tmp_path / "a.ndjson"
    log.write_bytes(nd(*range(10)))
    source = make(log, batch_size=2)
    got: list[SourceBatch] = []
    with anyio.fail_after(5):
        async for batch in source.batches():
            got.append(batch)
            source.stop()
    assert values(got) == [0, 1]


async def test_stop_ends_a_follow_that_waits_for_data(tmp_path: Path) -> None:
    log = tmp_path / "a.ndjson"
    log.write_bytes(nd(1))
    store = MemoryCheckpointStore()
    async with following(follow(log, checkpoints=store, poll_interval_s=30.0)) as got:
        await got.wait_for(1)
        await anyio.sleep(0.05)
    assert got.values == [1]
    assert await store.load("app", str(log)) == (os.stat(log).st_ino, len(nd(1)))


async def test_checkpoints_are_saved_while_following(tmp_path: Path) -> None:
    log = tmp_path / "a.ndjson"
    log.write_bytes(nd(1, 2))
    store = MemoryCheckpointStore()
    saved = None
    async with following(follow(log, checkpoints=store, checkpoint_interval_s=0.05)) as got:
        await got.wait_for(2)
        for _ in range(200):  # saved on the following polls, without waiting for the end
            saved = await store.load("app", str(log))
            if saved is not None:
                break
            await anyio.sleep(0.02)
    assert saved == (os.stat(log).st_ino, len(nd(1, 2)))


async def test_saves_taken_at_once_land_in_order_so_a_checkpoint_never_moves_back(tmp_path: Path) -> None:
    """The runtime's periodic save may run while the source saves its own: the second save waits
    for the first, so the older position of a file is never written after the newer one."""

    class SlowStore:
        def __init__(self) -> None:
            self.saved: list[tuple[str, int]] = []
            self.delays: list[float] = []
            self.inner = MemoryCheckpointStore()

        async def load(self, source: str, path: str) -> tuple[int, int] | None:
            return await self.inner.load(source, path)

        async def save(self, source: str, path: str, inode: int, offset: int) -> None:
            await anyio.sleep(self.delays.pop(0) if self.delays else 0)
            await self.inner.save(source, path, inode, offset)
            self.saved.append((os.path.basename(path), offset))

    for name in ("a.ndjson", "b.ndjson"):
        (tmp_path / name).write_bytes(nd(1, 2))
    store = SlowStore()
    source = make(tmp_path / "*.ndjson", checkpoints=store, batch_size=1)
    batches = await collect(source, ack=False)  # a1 a2 b1 b2 (9 bytes each)
    store.saved, store.delays = [], [0.02]  # the first save is slow: the second would overtake it
    for batch in (batches[0], batches[2]):
        assert batch.ack is not None
        batch.ack()
    async with anyio.create_task_group() as group:
        group.start_soon(source.save_checkpoints)  # a: 9, b: 9 (slowly)
        await anyio.sleep(0.005)
        for batch in (batches[1], batches[3]):
            assert batch.ack is not None
            batch.ack()
        group.start_soon(source.save_checkpoints)  # a: 18, b: 18, after the first
    assert store.saved == [("a.ndjson", 9), ("b.ndjson", 9), ("a.ndjson", 18), ("b.ndjson", 18)]
    for name in ("a.ndjson", "b.ndjson"):
        assert (await store.load("app", str(tmp_path / name)) or (0, 0))[1] == 18


async def test_a_save_cancelled_halfway_still_lands_what_it_took(tmp_path: Path) -> None:
    """Regression: serve cancels its periodic save at shutdown; a save cancelled while writing had
    already taken the positions from the ledger, so the final save found nothing to write and the
    last lines were read again after a restart (a flaky delivery test in CI)."""

    class SlowStore:
        def __init__(self) -> None:
            self.inner = MemoryCheckpointStore()
            self.writing = anyio.Event()

        async def load(self, source: str, path: str) -> tuple[int, int] | None:
            return await self.inner.load(source, path)

        async def save(self, source: str, path: str, inode: int, offset: int) -> None:
            self.writing.set()
            await anyio.sleep(0.05)
            await self.inner.save(source, path, inode, offset)

    log = tmp_path / "a.ndjson"
    log.write_bytes(nd(1, 2))
    store = SlowStore()
    source = make(log, checkpoints=store)
    for batch in await collect(source, ack=False):
        assert batch.ack is not None
        batch.ack()
    async with anyio.create_task_group() as group:
        group.start_soon(source.save_checkpoints)
        await store.writing.wait()
        group.cancel_scope.cancel()  # as the runtime cancels its periodic saver
    await source.save_checkpoints()  # the final save
    assert (await store.load("app", str(log)) or (0, 0))[1] == log.stat().st_size


@pytest.mark.parametrize("pattern", ["app.ndjson", "app.ndjson*"])
async def test_a_file_rotated_while_stopped_is_read_on_from_its_checkpoint_first(
    tmp_path: Path, pattern: str
) -> None:
    """Regression: the checkpoint's inode was no longer at the path, so the new file was read from 0
    and the old one's rest lost (or, matched by the glob under its new name, read again from 0)."""
    log = tmp_path / "app.ndjson"
    log.write_bytes(nd(1, 2))
    store = MemoryCheckpointStore()
    first = follow(tmp_path / pattern, checkpoints=store)
    async with following(first) as got:
        await got.wait_for(2)
    await first.save_checkpoints()
    with log.open("ab") as fh:  # while stopped: more lines, then logrotate's rename and a new file
        fh.write(nd(3, 4))
    log.rename(tmp_path / "app.ndjson.1")
    log.write_bytes(nd(5))
    async with following(follow(tmp_path / pattern, checkpoints=store)) as again:
        await again.wait_for(3)
        await anyio.sleep(0.1)  # nothing more comes
    assert again.values == [3, 4, 5]
