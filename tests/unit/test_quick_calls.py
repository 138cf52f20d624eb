"""The quick-call guard: inline while calls are quick, in a worker thread after slow ones in a row.

Calls are timed by the ``Clock`` the guard is given: here a fake one that a "slow" call moves on,
so no test sleeps.
"""

from __future__ import annotations

import threading

import anyio
import pytest

from pipeflow.infrastructure.quick_calls import SLOW_CALL_S, SLOW_CALLS, QuickCalls
from tests.fakes import FakeClock

CLOCK = FakeClock()


def _where() -> int:
    return threading.get_ident()


def _slow_where() -> int:
    CLOCK.at += SLOW_CALL_S * 1.5  # the call took longer than a quick one may
    return threading.get_ident()


def _quick_but_timed() -> int:
    CLOCK.at += SLOW_CALL_S / 2  # takes time, under the bound
    return threading.get_ident()


async def test_quick_calls_run_on_the_loop_thread() -> None:
    calls = QuickCalls(True, CLOCK)
    assert await calls.run(_where) == threading.get_ident()
    assert calls.inline


async def test_a_guard_made_not_inline_always_uses_a_worker_thread() -> None:
    calls = QuickCalls(False, CLOCK)
    assert await calls.run(_where) != threading.get_ident()
    assert not calls.inline


async def test_only_slow_calls_in_a_row_move_calls_to_a_thread() -> None:
    calls = QuickCalls(True, CLOCK)
    for _ in range(SLOW_CALLS - 1):
        assert await calls.run(_slow_where) == threading.get_ident()
    await calls.run(_where)  # one quick call starts the count again
    for _ in range(SLOW_CALLS - 1):
        await calls.run(_slow_where)
    assert calls.inline
    await calls.run(_slow_where)
    assert not calls.inline
    assert await calls.run(_where) != threading.get_ident()


async def test_calls_under_the_bound_are_not_slow() -> None:
    calls = QuickCalls(True, CLOCK)
    for _ in range(SLOW_CALLS * 2):
        await calls.run(_quick_but_timed)
    assert calls.inline


async def test_a_failing_call_raises_to_the_caller_and_still_counts() -> None:
    calls = QuickCalls(True, CLOCK)

    def slow_failure() -> None:
        CLOCK.at += SLOW_CALL_S * 1.5
        raise OSError("disk gone")

    for _ in range(SLOW_CALLS):
        with anyio.fail_after(5), pytest.raises(OSError, match="disk gone"):
            await calls.run(slow_failure)
    assert not calls.inline
