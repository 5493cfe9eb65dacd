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

``change(store, key, transition)`` is the same for a record that may go: ``transition(current)``
returns the new record, or ``None`` to delete it (If-Match; nothing to do when nothing is
stored). ``retrying(key, attempts, attempt)`` is the conflict loop both use, for a read-modify-
write of another shape: ``attempt()`` is awaited again, after the backoff, whenever it raises
``ConflictError``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from storage.deadline import current as current_deadline
from storage.errors import ConflictError
from storage.protocols import Store

R = TypeVar("R")  # the stored record's type
T = TypeVar("T")  # what the transition returns besides the new record
V = TypeVar("V")

BACKOFF_START = 0.005
BACKOFF_CAP = 0.2


def backoff_delay(conflicts: int) -> float:
    """Seconds to wait after the ``conflicts``-th conflict in a row (1-based), with jitter."""
    ceiling = min(BACKOFF_CAP, BACKOFF_START * 2 ** max(0, conflicts - 1))
    return random.uniform(ceiling / 2, ceiling)


def check_deadline() -> None:
    """``TooLate`` when the current press's time is up (no deadline: nothing to check)."""
    deadline = current_deadline()
    if deadline is not None:
        deadline.check()


async def retrying(key: str, attempts: int, attempt: Callable[[], Awaitable[V]]) -> V:
    """``attempt()``, again after a backoff whenever it raises ``ConflictError``; after
    ``attempts`` conflicts the last one is raised."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    conflicts = 0
    while True:
        try:
            return await attempt()
        except ConflictError as exc:
            conflicts += 1
            if conflicts >= attempts:
                raise ConflictError(f"{key}: still conflicting after {attempts} attempts") from exc
            await asyncio.sleep(backoff_delay(conflicts))


async def update(
    store: Store[R],
    key: str,
    transition: Callable[[R | None], tuple[R, T]],
    *,
    attempts: int = 8,
) -> tuple[R, T]:
    """Apply ``transition`` to the stored record under optimistic concurrency."""

    async def attempt() -> tuple[R, T]:
        current, etag = await store.load(key)
        new, result = transition(current)
        if current is not None and new is current:
            return current, result
        check_deadline()
        await store.save(key, new, etag)
        return new, result

    return await retrying(key, attempts, attempt)


async def change(
    store: Store[R],
    key: str,
    transition: Callable[[R | None], R | None],
    *,
    attempts: int = 8,
) -> None:
    """Apply ``transition`` to a record that may be deleted (``None``), under optimistic
    concurrency; returning the very record loaded changes nothing."""

    async def attempt() -> None:
        current, etag = await store.load(key)
        new = transition(current)
        if new is current:
            return
        check_deadline()
        if new is None:
            if etag is not None:
                await store.delete(key, etag)
        else:
            await store.save(key, new, etag)

    await retrying(key, attempts, attempt)
