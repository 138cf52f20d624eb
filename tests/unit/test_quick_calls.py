"""The quick-call guard: inline while calls are quick, in a worker thread after slow ones in a row."""

from __future__ import annotations

import threading
import time

import anyio
import pytest

from pipeflow.infrastructure.quick_calls import SLOW_CALL_S, SLOW_CALLS, QuickCalls


def _where() -> int:
    return threading.get_ident()


def _slow_where() -> int:
    time.sleep(SLOW_CALL_S * 1.5)
    return threading.get_ident()


async def test_quick_calls_run_on_the_loop_thread() -> None:
    calls = QuickCalls(inline=True)
    assert await calls.run(_where) == threading.get_ident()
    assert calls.inline


async def test_a_guard_made_not_inline_always_uses_a_worker_thread() -> None:
    calls = QuickCalls(inline=False)
    assert await calls.run(_where) != threading.get_ident()
    assert not calls.inline


async def test_only_slow_calls_in_a_row_move_calls_to_a_thread() -> None:
    calls = QuickCalls(inline=True)
    for _ in range(SLOW_CALLS - 1):
        await calls.run(_slow_where)
    await calls.run(_where)  # one quick call starts the count again
    for _ in range(SLOW_CALLS - 1):
        await calls.run(_slow_where)
    assert calls.inline
    await calls.run(_slow_where)
    assert not calls.inline
    assert await calls.run(_where) != threading.get_ident()


async def test_a_failing_call_raises_to_the_caller_and_still_counts() -> None:
    calls = QuickCalls(inline=True)

    def slow_failure() -> None:
        time.sleep(SLOW_CALL_S * 1.5)
        raise OSError("disk gone")

    for _ in range(SLOW_CALLS):
        with anyio.fail_after(5), pytest.raises(OSError, match="disk gone"):
            await calls.run(slow_failure)
    assert not calls.inline
