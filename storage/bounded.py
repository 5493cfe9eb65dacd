"""Many store calls at once, with at most ``limit`` of them in flight.

``bounded(work, limit)`` awaits every awaitable of ``work`` (coroutines not yet started), at
most ``limit`` at a time, and returns their results in the order given; the first exception
propagates (``asyncio.gather``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

R = TypeVar("R")

LIMIT = 16  # enough to hide a round trip's latency, few enough not to crowd the store


async def bounded(work: list[Awaitable[R]], limit: int = LIMIT) -> list[R]:
    gate = asyncio.Semaphore(limit)

    async def one(item: Awaitable[R]) -> R:
        async with gate:
            return await item

    return list(await asyncio.gather(*(one(w) for w in work)))
