"""The CPU-time limit on one ``re`` search (``match_limit``): it stops a runaway search, never
raises anywhere else, stays out of other threads, other owners of the signal and forked children."""

from __future__ import annotations

import multiprocessing
import re
import subprocess
import sys
import threading
import time

from pipeflow.infrastructure.functions.match_limit import (
    TIMED_OUT,
    UNBOUNDED,
    Outcome,
    search_within,
    ticking,
    ticks,
)

RUNAWAY = re.compile(r"(a+)+$")
TEXT = "a" * 64 + "!"  # 2**64 ways to fail on a backtracking engine


def burn(seconds: float) -> int:
    """Plain Python work (no search) for ``seconds`` of CPU time."""
    end, n = time.process_time() + seconds, 0
    while time.process_time() < end:
        n += sum(range(100))
    return n


def test_a_runaway_search_is_stopped_soon_after_its_limit() -> None:
    start = time.process_time()
    assert search_within(RUNAWAY, TEXT, ticks(0.02)) is TIMED_OUT
    assert time.process_time() - start < 1.0  # 20 ms plus a tick, with room for a loaded machine


def test_a_search_within_its_limit_gives_re_s_answer() -> None:
    for text in ["aaa", "b", "", "aab!"]:
        found = search_within(RUNAWAY, text, ticks(0.02))
        expected = RUNAWAY.search(text)
        assert not isinstance(found, Outcome)
        assert (found and found.span()) == (expected and expected.span())


def test_ticks_between_searches_raise_nothing_and_the_timer_stops_when_idle() -> None:
    assert search_within(RUNAWAY, "aaa", ticks(0.005)) is not None
    assert ticking()
    burn(0.3)  # 60 ticks of CPU with no search under way: none may raise here
    assert not ticking()
    assert search_within(RUNAWAY, TEXT, ticks(0.005)) is TIMED_OUT  # and it starts again


def test_another_thread_gets_no_limit() -> None:
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(search_within(RUNAWAY, "aaa", ticks(0.02))))
    worker.start()
    worker.join()
    assert seen == [UNBOUNDED]


def _child(queue: multiprocessing.Queue[object]) -> None:
    queue.put(search_within(RUNAWAY, TEXT, ticks(0.01)) is TIMED_OUT)


def test_a_forked_child_starts_its_own_timer() -> None:
    assert search_within(RUNAWAY, "aaa", ticks(0.01)) is not None  # the parent's timer ticks
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[object] = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert queue.get(timeout=1) is True


def test_a_signal_someone_else_handles_is_left_alone() -> None:
    code = (
        "import signal, re\n"
        "signal.signal(signal.SIGVTALRM, lambda *a: None)\n"
        "from pipeflow.infrastructure.functions.match_limit import search_within, ticks\n"
        "print(search_within(re.compile('a'), 'a', ticks(0.01)).name)\n"
        "print(signal.getsignal(signal.SIGVTALRM).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["UNBOUNDED", "<lambda>"]


def test_the_timer_is_stopped_at_exit() -> None:
    # atexit runs the last registered first: the check registered before the import runs after
    # the module's own stop. A tick after Python restored SIGVTALRM's default would kill it.
    code = (
        "import atexit, re\n"
        "atexit.register(lambda: print('ticking at exit:', __import__("
        "'pipeflow.infrastructure.functions.match_limit', fromlist=['x']).ticking()))\n"
        "from pipeflow.infrastructure.functions.match_limit import search_within, ticks\n"
        "search_within(re.compile('a'), 'a', ticks(0.01))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout.strip()) == (0, "ticking at exit: False")
