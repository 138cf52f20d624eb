"""The worker pool's result pipe is widened so a plan travels in one write, not ~25."""

from __future__ import annotations

import fcntl
import os

from pipeflow.infrastructure.workers.frames import widen_pipe

_F_GETPIPE_SZ = 1032


def test_a_pipe_is_widened_to_at_least_one_mebibyte() -> None:
    read, write = os.pipe()
    try:
        assert fcntl.fcntl(read, _F_GETPIPE_SZ) < 1 << 20
        size = widen_pipe(read)
        assert size >= 1 << 20
        assert fcntl.fcntl(read, _F_GETPIPE_SZ) == size
    finally:
        os.close(read)
        os.close(write)


def test_a_closed_descriptor_is_refused_not_raised() -> None:
    read, write = os.pipe()
    os.close(read)
    os.close(write)
    assert widen_pipe(read) == 0
