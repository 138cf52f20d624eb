"""``FileSource`` with ``multiline``: Java stack traces from real files, read once and followed."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import Any

import anyio

from pipeflow.domain.multiline import MultilineRule
from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sources.checkpoints import MemoryCheckpointStore
from pipeflow.infrastructure.sources.file import EPOCH_PATH, FileSource
from pipeflow.infrastructure.sources.multiline import MultilineSettings
from tests.integration.test_file_source import Followed, collect, following


def trace(n: int, causes: int = 2) -> str:
    """A log record with a Java stack trace whose ``Caused by:`` chain has ``causes`` links."""
    out = [f"2024-05-01 12:00:{n:02d} ERROR [worker-{n}] request {n} failed"]
    out.append(f"java.lang.IllegalStateException: request {n}")
    out.append(f"\tat com.example.Handler.handle(Handler.java:{40 + n})")
    out.append("\tat com.example.Server.run(Server.java:12)")
    for c in range(causes):
        out.append(f"Caused by: java.io.IOException: cause {c} of {n}")
        out.append(f"\tat com.example.Io.read(Io.java:{c + 1})")
        out.append("\t... 2 more")
    return "\n".join(out)


def info(n: int) -> str:
    return f"2024-05-01 12:01:{n:02d} INFO all good {n}"


RECORDS = [trace(1), info(2), trace(3, causes=0), trace(4, causes=3), info(5)]
TEXT = "".join(r + "\n" for r in RECORDS)
STARTS = MultilineSettings(MultilineRule("start", re.compile(r"^\d{4}-\d\d-\d\d ")))


def make(path: Path, settings: MultilineSettings = STARTS, **kw: Any) -> FileSource:
    kw.setdefault("format", "lines")
    return FileSource("app", str(path), ids=UlidFactory(), clock=SystemClock(), multiline=settings, **kw)


def messages(batches: list[SourceBatch]) -> list[str]:
    return [str(e.fields["message"]) for b in batches for e in b.events]


async def arrived(got: Followed, n: int) -> list[str]:
    """The messages received once there are at least ``n`` (polled: batches arrive as they do)."""
    with anyio.fail_after(5):
        for _ in itertools.count():
            if len(messages(got.batches)) >= n:
                break
            await anyio.sleep(0.01)
    return messages(got.batches)


async def test_stack_traces_with_caused_by_chains_become_one_event_each(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text(TEXT)
    batches = await collect(make(tmp_path / "app.log"))
    assert messages(batches) == RECORDS
    assert all(b.lines is None for b in batches)  # decoded here, even when raw batches are asked for
    assert len({e.id for b in batches for e in b.events}) == len(RECORDS)


async def test_any_reading_gives_the_same_events_and_ids(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text(TEXT.replace("\n", "\r\n", 3))
    store = MemoryCheckpointStore()
    await store.save("app", EPOCH_PATH, 1_700_000_000_000, 0)
    whole = await collect(make(tmp_path / "app.log", checkpoints=store, raw=True))
    for batch_size, chunk in [(1, 7), (3, 64), (5, 1 << 20)]:
        again = MemoryCheckpointStore()
        await again.save("app", EPOCH_PATH, 1_700_000_000_000, 0)
        small = await collect(
            make(tmp_path / "app.log", checkpoints=again, batch_size=batch_size, chunk_bytes=chunk)
        )
        assert messages(small) == messages(whole) == RECORDS
        assert [e.id for b in small for e in b.events] == [e.id for b in whole for e in b.events]


async def test_continuation_joins_matching_lines_to_the_event_before(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text(TEXT)
    rule = MultilineRule("continuation", re.compile(r"^(\s|Caused by:)"))
    batches = await collect(make(tmp_path / "app.log", MultilineSettings(rule)))
    # The exception line does not match: it begins an event after its log record's first line.
    header, *rest = RECORDS[0].split("\n")
    assert messages(batches)[:2] == [header, "\n".join(rest)]
    assert "".join(m + "\n" for m in messages(batches)) == TEXT


async def test_max_lines_cuts_a_long_event(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text(TEXT)
    rule = MultilineRule("start", re.compile(r"^\d{4}-"), max_lines=4)
    got = messages(await collect(make(tmp_path / "app.log", MultilineSettings(rule))))
    assert all(m.count("\n") < 4 for m in got)
    assert "\n".join(got) == "\n".join(RECORDS)
    assert got[:3] == ["\n".join(RECORDS[0].split("\n")[k : k + 4]) for k in (0, 4, 8)]


async def test_lines_before_the_first_start_and_bad_utf8(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_bytes(b"orphan 1\norphan \xff\norphan 2\n" + TEXT.encode() + b"\n\n")
    batches = await collect(make(tmp_path / "app.log"))
    # Blank lines are lines too: with `start` they join the event before them.
    assert messages(batches) == ["orphan 1\norphan 2", *RECORDS[:-1], RECORDS[-1] + "\n\n"]
    rejects = [r for b in batches for r in b.rejected]
    assert [r.raw for r in rejects] == [b"orphan \xff"]
    assert rejects[0].reason.startswith("invalid UTF-8")
    assert rejects[0].id is not None


async def test_a_followed_file_completes_its_last_event_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text(TEXT)
    settings = MultilineSettings(STARTS.rule, timeout_s=0.2)
    store = MemoryCheckpointStore()
    source = make(path, settings, follow=True, poll_interval_s=0.02, checkpoints=store)
    async with following(source) as got:
        await arrived(got, len(RECORDS) - 1)
        started = anyio.current_time()
        assert messages(got.batches) == RECORDS[:-1]  # the last one waits for a next line
        await arrived(got, len(RECORDS))
        assert anyio.current_time() - started >= 0.1
        assert messages(got.batches) == RECORDS
        with path.open("a") as out:
            out.write(trace(6) + "\n")
        await arrived(got, len(RECORDS) + 1)
        assert messages(got.batches)[-1] == trace(6)
    assert await store.load("app", str(path)) == (os.stat(path).st_ino, path.stat().st_size)


async def test_a_restart_reads_an_unfinished_event_again_whole_with_its_id(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    half = trace(9).split("\n")
    path.write_text(TEXT + "\n".join(half[:3]) + "\n")
    store = MemoryCheckpointStore()
    settings = MultilineSettings(STARTS.rule, timeout_s=60)
    async with following(make(path, settings, follow=True, poll_interval_s=0.02, checkpoints=store)) as got:
        await arrived(got, len(RECORDS))
        await anyio.sleep(0.1)  # the half event stays pending (a timeout of 60 s)
    assert messages(got.batches) == RECORDS
    assert await store.load("app", str(path)) == (path.stat().st_ino, len(TEXT))  # before the half
    with path.open("a") as out:
        out.write("\n".join(half[3:]) + "\n" + info(10) + "\n")
    second = await collect(make(path, checkpoints=store))
    assert messages(second) == [trace(9), info(10)]
    fresh = MemoryCheckpointStore()
    epoch = await store.load("app", EPOCH_PATH)
    assert epoch is not None
    await fresh.save("app", EPOCH_PATH, epoch[0], 0)
    whole = await collect(make(path, checkpoints=fresh))
    assert [e.id for b in whole for e in b.events][-2:] == [e.id for b in second for e in b.events]
