"""Frames over a pipe: what is written is read back whole, blocking or on the event loop; a pipe
closed between frames ends the stream, one closed inside a frame is an error."""

from __future__ import annotations

import os
import threading

import anyio
import pytest

from pipeflow.infrastructure.workers.frames import FrameClosed, read_frame, read_frame_async, write_frame


def test_frames_read_back_whole_and_in_order() -> None:
    r, w = os.pipe()
    payloads = [b"", b"x", b"y" * 10_000]
    for p in payloads:
        write_frame(w, p)
    os.close(w)
    try:
        read = [read_frame(r) for _ in payloads]
        assert [None if f is None else bytes(f) for f in read] == payloads
        assert read_frame(r) is None  # closed between frames: the end
    finally:
        os.close(r)


def test_a_pipe_closed_inside_a_frame_is_an_error() -> None:
    r, w = os.pipe()
    os.write(w, (100).to_bytes(8, "little") + b"only part")
    os.close(w)
    try:
        with pytest.raises(FrameClosed, match="9 of 100"):
            read_frame(r)
    finally:
        os.close(r)


async def test_a_frame_larger_than_the_pipe_is_read_on_the_loop_as_it_arrives() -> None:
    r, w = os.pipe()
    os.set_blocking(r, False)
    big = bytes(range(256)) * 4096  # 1 MiB: more than the pipe holds, so it arrives in parts

    def write() -> None:
        write_frame(w, big)
        write_frame(w, b"next")
        os.close(w)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with anyio.fail_after(10):
            assert await read_frame_async(r) == big
            assert await read_frame_async(r) == b"next"
            with pytest.raises(FrameClosed):
                await read_frame_async(r)
    finally:
        writer.join()
        os.close(r)
