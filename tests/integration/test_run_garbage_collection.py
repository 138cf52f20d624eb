"""While events flow (``run``, ``serve``) the automatic collector is off; reference cycles are
collected on a timer; afterwards the collector is as it was."""

from __future__ import annotations

import gc
import weakref

import anyio

from pipeflow.interfaces.bootstrap.collector import collection_on_a_timer


class _Node:
    def __init__(self) -> None:
        self.me = self


async def test_cycles_are_collected_on_the_timer_while_the_collector_is_off() -> None:
    assert gc.isenabled()
    async with collection_on_a_timer(0.01):
        assert not gc.isenabled()
        node = _Node()
        freed = anyio.Event()
        weakref.finalize(node, freed.set)
        del node
        assert not freed.is_set()  # a cycle: reference counting alone does not free it
        with anyio.fail_after(5):
            await freed.wait()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


async def test_with_the_collector_off_already_it_stays_off_and_nothing_collects() -> None:
    gc.disable()
    try:
        async with collection_on_a_timer(0.01):
            node = _Node()
            ref = weakref.ref(node)
            del node
            await anyio.sleep(0.05)
            assert ref() is not None  # whoever turned it off decides when to collect
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.collect()
