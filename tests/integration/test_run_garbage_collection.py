"""During a run the automatic collector is off; reference cycles are collected on a timer."""

from __future__ import annotations

import gc
import weakref

import anyio

from pipeflow.interfaces.bootstrap.runtime import collect_garbage


class _Node:
    def __init__(self) -> None:
        self.me = self


async def test_cycles_are_collected_on_the_timer_while_the_collector_is_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        node = _Node()
        freed = anyio.Event()
        weakref.finalize(node, freed.set)
        del node
        assert not freed.is_set()  # a cycle: reference counting alone does not free it
        async with anyio.create_task_group() as group:
            group.start_soon(collect_garbage, 0.01)
            with anyio.fail_after(5):
                await freed.wait()
            group.cancel_scope.cancel()
    finally:
        if was:
            gc.enable()
