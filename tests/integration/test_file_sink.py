from __future__ import annotations

import os
import time
from pathlib import Path
from typing import BinaryIO

import anyio
import orjson
import pytest

import pipeflow.infrastructure.sinks.file as file_sink_module
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.infrastructure.quick_calls import SLOW_CALL_S, SLOW_CALLS
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.file import FileSink


def ev(n: int, **extra: str) -> Event:
    fields: JsonObject = {"n": n, **extra}
    return Event(EventId(f"01ID{n:04d}"), EventMeta("t", 0.0), fields)


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


async def test_appends_ndjson_creating_parent_folders(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "er" / "out.ndjson"
    sink = FileSink("out", str(out))
    with anyio.fail_after(5):
        await sink.open()
        await sink.write([ev(1), ev(2).with_field("added", "later")])
        await sink.write([ev(3)])
        await sink.close()
    assert [orjson.loads(line) for line in lines(out)] == [{"n": 1}, {"n": 2, "added": "later"}, {"n": 3}]
    assert lines(out)[1] == b'{"n":2,"added":"later"}'


async def test_never_truncates_what_is_there(tmp_path: Path) -> None:
    out = tmp_path / "out.ndjson"
    out.write_bytes(b'{"old":true}\n')
    for n in (1, 2):  # two runs, each opening the file again
        sink = FileSink("out", str(out))
        with anyio.fail_after(5):
            await sink.open()
            await sink.write([ev(n)])
            await sink.close()
    assert lines(out) == [b'{"old":true}', b'{"n":1}', b'{"n":2}']


async def test_a_line_torn_by_a_crash_is_ended_before_new_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.ndjson"
    out.write_bytes(b'{"n":1}\n{"n":2, "tor')
    sink = FileSink("out", str(out))
    with anyio.fail_after(5):
        await sink.open()
        await sink.write([ev(3)])
        await sink.close()
    assert lines(out) == [b'{"n":1}', b'{"n":2, "tor', b'{"n":3}']


async def test_one_fsync_per_batch_unless_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        calls.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    for fsync, expected in ((True, 3), (False, 0)):
        calls.clear()
        sink = FileSink("out", str(tmp_path / f"{fsync}.ndjson"), fsync=fsync)
        with anyio.fail_after(5):
            await sink.open()
            await sink.write([ev(1), ev(2)])
            await sink.write([ev(3)])
            await sink.write([])  # nothing to write: no write, no fsync
            await sink.close()  # the last fsync
        assert len(calls) == expected
        assert len(lines(tmp_path / f"{fsync}.ndjson")) == 3


async def test_a_failed_write_raises_sink_error(tmp_path: Path) -> None:
    sink = FileSink("full", "/dev/full", fsync=False)  # a device that is always full
    with anyio.fail_after(5):
        await sink.open()
        with pytest.raises(SinkError, match="'full'") as caught:
            await sink.write([ev(1)])
        await sink.close()
    assert caught.value.retryable


async def test_an_unopenable_path_raises_sink_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_bytes(b"")
    sink = FileSink("bad", str(tmp_path / "taken" / "out.ndjson"))  # a file where a folder must be
    with anyio.fail_after(5), pytest.raises(SinkError, match="cannot open"):
        await sink.open()


async def test_writing_before_open_is_a_bug(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="before open"):
        await FileSink("out", str(tmp_path / "o.ndjson")).write([ev(1)])


async def test_writes_run_on_the_loop_only_into_a_regular_file_without_fsync(tmp_path: Path) -> None:
    cases = [(str(tmp_path / "quick.ndjson"), False, True), (str(tmp_path / "synced.ndjson"), True, False)]
    cases.append(("/dev/null", False, False))  # a device may block however quick it looks
    for path, fsync, inline in cases:
        sink = FileSink("out", path, fsync=fsync)
        with anyio.fail_after(5):
            await sink.open()
            await sink.write([ev(1)])
            assert sink.writes_inline is inline, path
            await sink.close()
    assert len(lines(tmp_path / "quick.ndjson")) == len(lines(tmp_path / "synced.ndjson")) == 1


async def test_slow_writes_in_a_row_send_later_writes_to_a_worker_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = file_sink_module._write_all
    slow = [SLOW_CALLS - 1]

    def slow_write_all(handle: BinaryIO, data: bytes) -> None:
        if slow[0]:
            slow[0] -= 1
            time.sleep(SLOW_CALL_S * 1.5)
        real(handle, data)

    monkeypatch.setattr(file_sink_module, "_write_all", slow_write_all)
    sink = FileSink("out", str(tmp_path / "out.ndjson"), fsync=False)
    with anyio.fail_after(5):
        await sink.open()
        for n in range(SLOW_CALLS - 1):
            await sink.write([ev(n)])
        assert sink.writes_inline  # fewer slow writes may be the machine's noise
        await sink.write([ev(10)])  # quick: the count starts again
        slow[0] = SLOW_CALLS
        for n in range(SLOW_CALLS):
            await sink.write([ev(20 + n)])
        assert not sink.writes_inline
        await sink.write([ev(30)])  # in a worker thread now, written all the same
        await sink.close()
    assert len(lines(tmp_path / "out.ndjson")) == 2 * SLOW_CALLS + 1
