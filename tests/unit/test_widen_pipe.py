"""The worker pool's result pipe is widened so a plan travels in one write, not ~25."""

from __future__ import annotations

import fcntl
import os
from concurrent.futures import ProcessPoolExecutor

from infrastructure.workers.pool import widen_pipe

_F_GETPIPE_SZ = 1032


class _End:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd


def test_a_pipe_is_widened_to_at_least_one_mebibyte() -> None:
    read, write = os.pipe()
    try:
        assert fcntl.fcntl(read, _F_GETPIPE_SZ) < 1 << 20
        size = widen_pipe(_End(read))
        assert size >= 1 << 20
        assert fcntl.fcntl(read, _F_GETPIPE_SZ) == size
    finally:
        os.close(read)
        os.close(write)


def test_what_is_not_a_pipe_is_left_alone() -> None:
    assert widen_pipe(None) == 0
    assert widen_pipe(object()) == 0
    read, write = os.pipe()
    os.close(read)
    os.close(write)
    assert widen_pipe(_End(read)) == 0  # closed: refused, not raised


def test_the_pool_result_pipe_is_where_widen_pipe_looks() -> None:
    # ``WorkerPool.start`` reaches the result pipe through these attributes: if a Python release
    # moves it, this fails (the pool still works, with a narrow pipe).
    with ProcessPoolExecutor(1) as pool:
        reader = pool._result_queue._reader  # type: ignore[attr-defined]
        assert widen_pipe(reader) >= 1 << 20
