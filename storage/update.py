"""Optimistic read-modify-write of one record: load → transition → conditional save.

``update(store, key, transition)`` loads the current state (``None`` when absent), calls
``transition(current) -> (new_record, result)`` and saves ``new_record`` with
If-Match on the loaded etag (or If-None-Match: * when nothing was stored). On ``ConflictError``
it sleeps a small jittered, exponentially growing delay (about 5 ms doubling up to 200 ms) and
starts again from a fresh load; after ``attempts`` conflicts it raises the last ``ConflictError``.

- ``transition`` must be pure: it may be called once per attempt, with a different current state
  each time.
- An exception raised by ``transition`` (a refused domain event) propagates at once; nothing is
  saved and there is no retry.
- If ``transition`` returns the very object it was given (``is``), the event was a no-op: nothing
  is saved and ``(current, result)`` is returned.
- ``StorageError`` other than a conflict, ``CorruptState`` and ``ValueError`` propagate unchanged.
- Under a press's deadline (``storage.deadline``) no save starts once its time is up
  (``TooLate``).

Returns the saved record and the transition's result.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import TypeVar

from storage.deadline import current as current_deadline
from storage.errors import ConflictError
from storage.protocols import Store

R = TypeVar("R")  # the stored record's type
T = TypeVar("T")  # what the transition returns besides the new record

BACKOFF_START = 0.005
BACKOFF_CAP = 0.2


def backoff_delay(conflicts: int) -> float:
    """Seconds to wait after the ``conflicts``-th conflict in a row (1-based), with jitter."""
    ceiling = min(BACKOFF_CAP, BACKOFF_START * 2 ** max(0, conflicts - 1))
    return random.uniform(ceiling / 2, ceiling)


async def update(
    store: Store[R],
    key: str,
    transition: Callable[[R | None], tuple[R, T]],
    *,
    attempts: int = 8,
) -> tuple[R, T]:
    """Apply ``transition`` to the stored record under optimistic concurrency."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    conflicts = 0
    while True:
        current, etag = await store.load(key)
        new, result = transition(current)
        if current is not None and new is current:
            return current, result
        deadline = current_deadline()
        if deadline is not None:
            deadline.check()
        try:
            await store.save(key, new, etag)
        except ConflictError as exc:
            conflicts += 1
            if conflicts >= attempts:
                raise ConflictError(f"{key}: still conflicting after {attempts} attempts") from exc
            await asyncio.sleep(backoff_delay(conflicts))
            continue
        return new, result
