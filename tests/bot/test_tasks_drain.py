"""``Tasks.drain``: shutdown waits for background work, new work included, within a grace."""

from __future__ import annotations

import asyncio

from bot.tasks import Tasks


async def test_drain_waits_for_work_and_the_work_it_spawns() -> None:
    s = Tasks()
    done: list[str] = []

    async def second() -> None:
        await asyncio.sleep(0.01)
        done.append("second")

    async def first() -> None:
        await asyncio.sleep(0.01)
        s.spawn(second())
        done.append("first")

    s.spawn(first())
    await s.drain()
    assert done == ["first", "second"]


async def test_drain_cancels_what_outlasts_the_grace() -> None:
    s = Tasks()
    cancelled = asyncio.Event()

    async def stuck() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    s.spawn(stuck())
    await asyncio.wait_for(s.drain(grace=0.05), timeout=5)
    assert cancelled.is_set()
