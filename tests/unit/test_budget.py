"""``EventBudget``: backpressure in events, no lost wake-up, room to whichever batch fits, an oversize
batch passes alone."""

from __future__ import annotations

import anyio
import pytest

from pipeflow.infrastructure.actors.budget import EventBudget


async def test_room_is_taken_at_once_while_it_fits() -> None:
    budget = EventBudget(10)
    await budget.acquire(4)
    await budget.acquire(6)
    assert budget.used == 10
    assert not budget.fits(1)
    await budget.release(10)
    assert budget.used == 0


async def test_a_producer_waits_for_room_and_is_woken_by_a_release() -> None:
    budget = EventBudget(10)
    await budget.acquire(8)
    order: list[str] = []

    async def producer() -> None:
        await budget.acquire(5)
        order.append("acquired")

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(producer)
            await anyio.wait_all_tasks_blocked()
            assert order == []  # 8 + 5 > 10: it waits
            order.append("released")
            await budget.release(8)
    assert order == ["released", "acquired"]
    assert budget.used == 5


async def test_room_given_back_while_a_producer_goes_to_wait_is_not_lost() -> None:
    budget = EventBudget(10)
    await budget.acquire(10)
    done = anyio.Event()

    async def producer() -> None:
        await budget.acquire(3)
        done.set()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(producer)
            await budget.release(10)  # before or while the producer takes the lock: either way seen
            await done.wait()
    assert budget.used == 3


async def test_a_batch_that_fits_passes_one_that_waits() -> None:
    budget = EventBudget(10)
    await budget.acquire(9)
    order: list[int] = []

    async def producer(n: int) -> None:
        await budget.acquire(n)
        order.append(n)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(producer, 5)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(producer, 1)  # 9 + 1 fits: room goes to whichever batch fits
            await anyio.wait_all_tasks_blocked()
            assert order == [1]
            await budget.release(10)
    assert order == [1, 5]
    assert budget.used == 5


@pytest.mark.parametrize("used", [0, 3])
async def test_a_batch_larger_than_the_budget_passes_once_the_buffer_is_empty(used: int) -> None:
    budget = EventBudget(10)
    if used:
        await budget.acquire(used)

    async def big() -> None:
        await budget.acquire(50)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(big)
            await anyio.wait_all_tasks_blocked()
            if used:
                assert budget.used == used  # waits for the buffer to empty
                await budget.release(used)
    assert budget.used == 50
