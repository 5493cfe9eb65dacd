"""Keeping the one shared live card current, within Teams' limits and without a load per edit.

After every accepted change the live card's message is edited (update activity) so everyone sees
the same card. Edits are coalesced per conversation: a change is shown at once unless the card
was edited less than ``spacing`` seconds ago; changes that arrive while an edit is in flight or
waits for its turn only mark the card dirty, and the next edit shows them all. So a burst of
presses costs a handful of edits, and one instance never edits a card more than 1/spacing times a
second (Teams allows 7 per second per thread).

An edit shows the newest state this process knows (the states its own saves produced, handed in
with ``request``), so it costs no load. When a burst has ended, ``settle`` is called once: it
reads the stored state and edits again only if another instance saved something newer than what
was shown, so the last edit of a conversation shows its last save wherever it was made.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from storage.deadline import detached

log = logging.getLogger("samtaleguide.live")
S = TypeVar("S")

SPACING = 1.0  # seconds between two edits of one card by one instance


class CardUpdates(Generic[S]):
    """``edit(key, state)`` edits the card of ``key`` to show ``state``; ``settle(key, shown)``
    brings it up to date with the store after a burst (``shown``: the state last shown)."""

    def __init__(
        self,
        edit: Callable[[str, S], Awaitable[None]],
        settle: Callable[[str, S], Awaitable[None]],
        *,
        version: Callable[[S], int],
        spacing: float = SPACING,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._edit = edit
        self._settle = settle
        self._version = version
        self._spacing = spacing
        self._clock = clock
        self._sleep = sleep
        self._newest: dict[str, S] = {}
        self._edited_at: dict[str, float] = {}
        self._running: dict[str, asyncio.Task[None]] = {}

    def request(self, key: str, state: S) -> asyncio.Task[None]:
        """Show ``state`` (or a newer one) soon; returns the task that carries the edits out."""
        known = self._newest.get(key)
        if known is None or self._version(state) > self._version(known):
            self._newest[key] = state
        task = self._running.get(key)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._run(key), context=detached())
            self._running[key] = task
        return task

    async def _run(self, key: str) -> None:
        shown: S | None = None
        try:
            while True:
                newest = self._newest.get(key)
                if newest is not None and newest is not shown:
                    wait = self._edited_at.get(key, -self._spacing) + self._spacing - self._clock()
                    if wait > 0:
                        await self._sleep(wait)  # its turn; more changes may pile up meanwhile
                        continue
                    self._edited_at[key] = self._clock()
                    try:
                        await self._edit(key, newest)
                    except Exception as error:  # one failed edit must not stop later ones
                        log.warning("live card edit failed: %s", type(error).__name__)
                    shown = newest
                    continue
                if shown is None:
                    return
                try:
                    await self._settle(key, shown)
                except Exception as error:
                    log.warning("live card settle failed: %s", type(error).__name__)
                if self._newest.get(key) is shown:  # nothing new arrived while settling
                    return
        finally:
            self._running.pop(key, None)
            if self._newest.get(key) is shown:
                self._newest.pop(key, None)
            now = self._clock()
            for done in [k for k, t in self._edited_at.items() if now - t > self._spacing]:
                del self._edited_at[done]
