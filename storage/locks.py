"""In-process locks per key, so writers to one conversation in one process take turns.

Optimistic concurrency (ETag) keeps state right across processes, but eight people pressing on
one conversation at once through one process would otherwise race through load → save and most
would lose and retry, again and again (measured in ``bench/concurrent_agreements.py``: without
this, 200 simultaneous adds through two instances ran out of retries for half of them). With a
lock per key only other instances can conflict.

``KeyedLocks.hold(key, wait=..., shared=...)`` is an async context manager:

- Waiting longer than ``wait`` seconds raises ``ConflictError`` (the caller answers "try again")
  instead of queueing behind a slow store indefinitely.
- When a holder's work fails with an exception for which ``shared(error)`` is true (e.g. a
  ``StorageError``: the store is down), everyone who was already waiting for that key fails at
  once with an exception of the same type instead of each trying, and waiting, in turn. Later
  arrivals try again.
- A key's lock is dropped when nobody holds or waits for it, so memory does not grow with the
  number of keys.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from storage.errors import ConflictError


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    failed_at: float = float("-inf")
    failure: Exception | None = None


class KeyedLocks:
    def __init__(self) -> None:
        self._slots: dict[str, _Slot] = {}

    def __len__(self) -> int:
        return len(self._slots)

    @asynccontextmanager
    async def hold(
        self,
        key: str,
        *,
        wait: float | None = None,
        shared: Callable[[Exception], bool] = lambda _: False,
    ) -> AsyncIterator[None]:
        slot = self._slots.setdefault(key, _Slot())
        slot.users += 1
        asked = time.monotonic()
        try:
            try:
                await asyncio.wait_for(slot.lock.acquire(), wait)
            except TimeoutError:
                raise ConflictError(f"{key}: busy for more than {wait} s") from None
            try:
                if slot.failure is not None and slot.failed_at >= asked:
                    raise type(slot.failure)(str(slot.failure)) from slot.failure
                try:
                    yield
                except Exception as error:
                    if shared(error):
                        slot.failure, slot.failed_at = error, time.monotonic()
                    raise
            finally:
                slot.lock.release()
        finally:
            slot.users -= 1
            if slot.users == 0:
                del self._slots[key]
