"""Group commit: the changes to one record that arrive while its save is in flight share the next
load → apply → save.

``GroupCommit(store).submit(key, transition)`` queues ``transition`` for ``key`` and returns its
own result once its batch is saved. One worker per key (while it has work) takes up to
``max_batch`` queued transitions in arrival order, loads the record once, applies them one after
another (each to the state the previous left), saves once with If-Match (If-None-Match when the
record is new), and then answers each submitter: with its result, or with the exception its
transition raised (a refused event contributes nothing to the state and the others go ahead).

- A conflict with another writer (another instance) reloads and re-applies the whole batch on
  the fresh state, with the backoff of ``storage.update``; after ``attempts`` conflicts every
  change of the batch fails with ``ConflictError``.
- A batch that cannot be loaded or saved (``StorageError``, or anything else the store raises)
  fails every change of it with that error, and nothing of it is stored; the changes already
  queued behind it fail with it at once (instead of each waiting out the same outage in turn).
- A transition that returns the very state it was given changed nothing: a batch of only such
  changes saves nothing.
- A queued change whose submitter gave up (cancelled) before its batch began is never applied;
  one that waited longer than ``max_wait`` seconds for its batch fails with ``ConflictError``
  ("busy, try again") unapplied.
- ``max_batch=1`` gives one load and one save per change, in turn (no grouping), for comparison.
- A change submitted under a press's deadline (``storage.deadline``) whose time is up before
  its batch is saved is never applied (``TooLate``); the save of a batch is each of its
  accepted changes' point of no return (``Deadline.commit``), and a stored change is marked
  ``written`` before its submitter is answered.

Transitions must be pure: they may run again on a fresh state after a conflict.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from storage.deadline import Deadline, TooLate, current
from storage.errors import ConflictError, StorageError
from storage.protocols import Store
from storage.update import backoff_delay

R = TypeVar("R")
Transition = Callable[[Any], tuple[Any, Any]]

MAX_BATCH = 64  # changes applied in one save (chosen with bench/concurrent_agreements.py)
MAX_WAIT = 8.0  # seconds a change waits for its batch in this process
ATTEMPTS = 30  # conflicts with other instances a batch outlasts; each retry reloads first


@dataclass
class _Change:
    transition: Transition
    future: asyncio.Future[Any]
    queued_at: float
    deadline: Deadline | None = None


@dataclass
class _Queue:
    changes: deque[_Change] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None


@dataclass
class Stats:
    """What the committer did, for benchmarks: batches saved and changes in them."""

    batches: int = 0
    changes: int = 0
    conflicts: int = 0


class GroupCommit(Generic[R]):
    def __init__(
        self,
        store: Store[R],
        *,
        max_batch: int = MAX_BATCH,
        max_wait: float = MAX_WAIT,
        attempts: int = ATTEMPTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_batch < 1 or attempts < 1:
            raise ValueError("max_batch and attempts must be at least 1")
        self.store = store
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.attempts = attempts
        self.stats = Stats()
        self._clock = clock
        self._queues: dict[str, _Queue] = {}

    def __len__(self) -> int:
        """Keys with queued or in-flight changes."""
        return len(self._queues)

    async def drained(self) -> None:
        """Wait until no change is queued or being saved (those given up included)."""
        while workers := [q.worker for q in list(self._queues.values()) if q.worker]:
            await asyncio.gather(*workers, return_exceptions=True)

    async def submit(self, key: str, transition: Transition) -> tuple[R, Any]:
        """Apply ``transition`` to the record at ``key`` with the changes around it; the saved
        state and the transition's result (or the exception it raised, re-raised here)."""
        loop = asyncio.get_running_loop()
        queue = self._queues.setdefault(key, _Queue())
        change = _Change(transition, loop.create_future(), self._clock(), current())
        queue.changes.append(change)
        if queue.worker is None:  # the worker serves every submitter: it runs in no one's context
            queue.worker = loop.create_task(self._work(key, queue), context=contextvars.Context())
        result: tuple[R, Any] = await change.future
        return result

    async def _work(self, key: str, queue: _Queue) -> None:
        batch: list[_Change] = []
        try:
            while queue.changes:
                batch = self._take(queue)
                failure = await self._commit(key, batch) if batch else None
                if failure is not None:
                    waiting = [queue.changes.popleft() for _ in range(len(queue.changes))]
                    _fail(waiting, failure)
        except BaseException:  # stopped (shutdown): nobody may wait for an answer forever
            stopped = StorageError("the store was stopped")
            _fail([*batch, *queue.changes], stopped)
            queue.changes.clear()
            raise
        finally:
            queue.worker = None
            if not queue.changes:
                self._queues.pop(key, None)

    def _take(self, queue: _Queue) -> list[_Change]:
        batch: list[_Change] = []
        now = self._clock()
        while queue.changes and len(batch) < self.max_batch:
            change = queue.changes.popleft()
            if change.future.done():  # its submitter gave up: never applied
                continue
            if now - change.queued_at > self.max_wait:
                change.future.set_exception(ConflictError("busy: waited too long for its turn"))
                continue
            batch.append(change)
        return batch

    async def _commit(self, key: str, batch: list[_Change]) -> Exception | None:
        """Apply and save ``batch``; the store's failure (not a conflict), if it failed."""
        conflicts = 0
        while True:
            try:
                current, etag = await self.store.load(key)
            except Exception as error:
                _fail(batch, error)
                return error
            batch = _in_time(batch)  # from here to the save's start nothing awaits
            if not batch:
                return None
            state, outcomes = current, list[tuple[bool, Any]]()
            for change in batch:
                try:
                    new, result = change.transition(state)
                except Exception as refused:
                    outcomes.append((False, refused))
                    continue
                state = new
                outcomes.append((True, result))
            if state is current or state is None:
                _answer(batch, outcomes, current)
                return None
            accepted = [
                c.deadline for c, (ok, _) in zip(batch, outcomes, strict=True) if ok and c.deadline
            ]
            for deadline in accepted:
                deadline.commit()
            try:
                await self.store.save(key, state, etag)
            except ConflictError:
                for deadline in accepted:
                    deadline.reopen()
                conflicts += 1
                self.stats.conflicts += 1
                if conflicts >= self.attempts:
                    _fail(batch, ConflictError(f"{key}: still conflicting after {conflicts}"))
                    return None
                await asyncio.sleep(backoff_delay(conflicts))
                continue
            except Exception as error:
                _fail(batch, error)
                return error
            for deadline in accepted:
                deadline.written()
            self.stats.batches += 1
            self.stats.changes += len(batch)
            _answer(batch, outcomes, state)
            return None


def _in_time(batch: list[_Change]) -> list[_Change]:
    """The changes still to apply: not given up by their submitter, and (under a deadline)
    with time left; those whose time is up fail with ``TooLate``, unapplied."""
    kept = []
    for change in batch:
        if change.future.done():
            continue
        if change.deadline is not None and change.deadline.expired():
            change.future.set_exception(TooLate("the press's time is up"))
            continue
        kept.append(change)
    return kept


def _answer(batch: list[_Change], outcomes: list[tuple[bool, Any]], state: Any) -> None:
    for change, (ok, value) in zip(batch, outcomes, strict=True):
        if change.future.done():
            continue
        if ok:
            change.future.set_result((state, value))
        else:
            change.future.set_exception(value)


def _fail(batch: list[_Change], error: Exception) -> None:
    """Fail every change still waiting with ``error``: each gets its own exception object of the
    same type (chained to the original), so their tracebacks do not pile up on one object."""
    for change in batch:
        if change.future.done():
            continue
        try:
            copy = type(error)(*error.args)
            copy.__cause__ = error
        except Exception:
            copy = error
        change.future.set_exception(copy)
