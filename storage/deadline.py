"""The deadline of a press: its answer is bounded, and nothing is stored after it was given up.

``within(seconds, grace=...)`` runs a block under an ``asyncio`` timeout and makes its
``Deadline`` the current one (a context variable) for the code inside: the stores' write paths
read it. A deadline moves through three states:

- ``OPEN``: nothing of the press is stored yet. When the time is up the block is cancelled and
  the caller may truthfully say that nothing was stored.
- ``WRITING``: the save that stores the press's change has begun (``commit()``, the point of no
  return, called synchronously right before the save starts). From then on the block has
  ``grace`` seconds more, so the answer still comes soon; if the time is up now, whether the
  change was stored is unknown (the save goes on without the press).
- ``WRITTEN``: the change is stored (``written()``); if the time is up now, the change is stored
  and only the answer is late.

``commit()`` refuses (``TooLate``) once the time is up, so no write of a press starts after its
deadline. ``check()`` is the same guard for auxiliary writes that are not the press's change.
A save that fails with a conflict (and is retried on a fresh state) goes back to ``OPEN``
(``reopen()``).

Work the press spawns to run after it has answered must not inherit its deadline: start it in
``detached()``, a copy of the current context without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "samtaleguide_deadline", default=None
)


class TooLate(Exception):
    """The press's time is up: a write was not started."""


class State(enum.Enum):
    OPEN = "open"
    WRITING = "writing"
    WRITTEN = "written"


class Deadline:
    def __init__(self, timeout: asyncio.Timeout, grace: float) -> None:
        self._timeout = timeout
        self._grace = grace
        self.state = State.OPEN

    def remaining(self) -> float:
        when = self._timeout.when()
        if when is None:
            return float("inf")
        return when - asyncio.get_running_loop().time()

    def expired(self) -> bool:
        return self._timeout.expired() or self.remaining() <= 0

    def check(self) -> None:
        """Raise ``TooLate`` once the time is up."""
        if self.expired():
            raise TooLate("the press's time is up")

    def commit(self) -> None:
        """The press's change is about to be saved: from now on ``grace`` seconds remain.
        (Called only for a deadline that was not ``expired()`` with no ``await`` since.)"""
        self.state = State.WRITING
        # RuntimeError: the timeout fired this very moment, and the press is being cancelled.
        with contextlib.suppress(RuntimeError):
            self._timeout.reschedule(asyncio.get_running_loop().time() + self._grace)

    def reopen(self) -> None:
        """The save did not store the change (a conflict): nothing of it is stored yet."""
        if self.state is State.WRITING:
            self.state = State.OPEN

    def written(self) -> None:
        self.state = State.WRITTEN


def current() -> Deadline | None:
    """The deadline of the press this code runs for, if any."""
    return _CURRENT.get()


def detached() -> contextvars.Context:
    """A copy of the current context without a deadline (for work that outlives the press)."""
    context = contextvars.copy_context()
    context.run(_CURRENT.set, None)
    return context


@asynccontextmanager
async def within(seconds: float, *, grace: float) -> AsyncIterator[Deadline]:
    """Run the block with at most ``seconds`` (plus ``grace`` once its change is being saved);
    raises ``TimeoutError`` when the time is up (read the yielded deadline's ``state``)."""
    async with asyncio.timeout(seconds) as timeout:
        deadline = Deadline(timeout, grace)
        token = _CURRENT.set(deadline)
        try:
            yield deadline
        finally:
            _CURRENT.reset(token)
