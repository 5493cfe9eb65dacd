"""Keeping the one shared live card current, within Teams' limits.

After every accepted change the live card's message is edited (update activity) so everyone sees
the same card. Bursts are coalesced per conversation: while an edit is in flight, further requests
only mark the card dirty, and one more edit follows with the newest stored state, at least
``spacing`` seconds after the last one. So a burst of presses costs a handful of edits, and one
instance never edits a card more than 1/spacing times a second (Teams allows 7 per second per
thread). The newest state is read from the store, so the last edit always shows the last save.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("samtaleguide.live")


class CardUpdates:
    def __init__(self, edit: Callable[[str], Awaitable[None]], spacing: float = 0.6) -> None:
        self._edit = edit
        self._spacing = spacing
        self._dirty: set[str] = set()
        self._running: dict[str, asyncio.Task[None]] = {}

    def request(self, conversation_id: str) -> asyncio.Task[None]:
        """Ask for an edit; returns the task that will carry it (and any that pile up) out."""
        self._dirty.add(conversation_id)
        task = self._running.get(conversation_id)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._run(conversation_id))
            self._running[conversation_id] = task
        return task

    async def _run(self, conversation_id: str) -> None:
        try:
            while conversation_id in self._dirty:
                self._dirty.discard(conversation_id)
                try:
                    await self._edit(conversation_id)
                except Exception as error:  # one failed edit must not stop later ones
                    log.warning("live card edit failed: %s", type(error).__name__)
                if conversation_id in self._dirty:
                    await asyncio.sleep(self._spacing)
        finally:
            self._running.pop(conversation_id, None)
