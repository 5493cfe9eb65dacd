"""Work that runs after a turn has answered, and the clock every flow reads.

``clock_in(zone)`` is the organisation's wall-clock time (naive, to the second) in its time zone,
whatever the server's own ``TZ``: every time the bot stores and shows is in that zone, so cards
and plans say 10:00 for a meeting at ten in Copenhagen, summer or winter.

``Tasks.spawn`` runs follow-up work (fan-out to 1:1 chats, posts in the group chat) after a turn
has answered, and keeps a reference to every task so ``drain`` can await them on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from storage.deadline import detached

log = logging.getLogger("samtaleguide.tasks")


def clock_in(
    zone: ZoneInfo, utc_now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Callable[[], datetime]:
    """The wall-clock time in ``zone``, naive, to the second (``utc_now``: the current instant)."""

    def now() -> datetime:
        return utc_now().astimezone(zone).replace(tzinfo=None, microsecond=0)

    return now


class Tasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return sum(not task.done() for task in self._tasks)

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` in the background, without the deadline of the press that spawned it."""
        task = asyncio.get_running_loop().create_task(work, context=detached())
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            log.error("background work failed: %s", type(error).__name__, exc_info=error)

    async def drain(self, grace: float | None = None) -> None:
        """Wait for all background work, new work included; after ``grace`` seconds cancel
        what is left (a graceful shutdown must end while, say, Teams is unreachable)."""
        try:
            async with asyncio.timeout(grace):
                while self._tasks:
                    await asyncio.gather(*list(self._tasks), return_exceptions=True)
        except TimeoutError:
            left = list(self._tasks)
            log.warning("shutdown: cancelling %d unfinished background tasks", len(left))
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
