"""Limits on what one person can make the bot send.

A new conversation prompts every participant in their 1:1 chat, so setting one up is the press
that sends the most. ``SetupBudget`` caps the people one person's new setups prompt: at most
``PEOPLE`` (60, one full GRUS) within ``WINDOW`` (10 minutes), counted per person across chats,
so pressing "Gem og send forberedelse" ten times with forty names sends forty-one prompts, not
four hundred; a leader setting up a year's MUS one by one stays well within it. The other
amplifying presses are limited on the conversation itself (``dialogs.transitions``: one
reminder round per ``REMIND_INTERVAL``, the live card posted again at most every
``SHOW_INTERVAL``).

The count is a small record per person (``limits/{hash of their Teams id}``) in the state store,
changed with ETag like every record, so every instance shares it; a setup press that Teams
delivers twice (the same conversation id) is counted once. Records hold conversation ids, head
counts and times only; ``purge`` deletes those with nothing left in the window, and ``forget``
the record of an erased person.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dialogs.errors import DomainError
from storage.protocols import Store
from storage.serialization import Codec
from storage.update import update

PREFIX = "limits/"
PEOPLE = 60
WINDOW = timedelta(minutes=10)
SCHEMA_VERSION = 1


class TooManySetups(DomainError):
    """This person's recent setups have prompted as many people as they may for now."""

    code = "too_many_setups"


@dataclass(frozen=True)
class Spent:
    conversation_id: str
    people: int
    at: str


@dataclass(frozen=True)
class Budget:
    spent: tuple[Spent, ...] = ()
    schema_version: int = SCHEMA_VERSION


BUDGET = Codec(Budget, SCHEMA_VERSION, name="budget")


def key(user_id: str) -> str:
    return PREFIX + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:32]


def _recent(budget: Budget, now: datetime, window: timedelta) -> tuple[Spent, ...]:
    return tuple(s for s in budget.spent if now - datetime.fromisoformat(s.at) < window)


def spend(
    conversation_id: str, people: int, now: datetime, *, limit: int, window: timedelta
) -> Callable[[Budget | None], tuple[Budget, None]]:
    """Count ``people`` prompted by the setup of ``conversation_id`` (once per conversation), or
    refuse with ``TooManySetups`` (``minutes``: until enough of the window has passed)."""

    def transition(current: Budget | None) -> tuple[Budget, None]:
        budget = current or Budget()
        recent = _recent(budget, now, window)
        if any(s.conversation_id == conversation_id for s in recent):
            return budget, None
        used = sum(s.people for s in recent)
        if recent and used + people > limit:
            oldest = min(datetime.fromisoformat(s.at) for s in recent)
            wait = oldest + window - now
            raise TooManySetups(
                "too many people prompted", minutes=max(1, -(-int(wait.total_seconds()) // 60))
            )
        entry = Spent(conversation_id, people, now.isoformat())
        return replace(budget, spent=(*recent, entry)), None

    return transition


class SetupBudget:
    def __init__(
        self, store: Store[Budget], *, limit: int = PEOPLE, window: timedelta = WINDOW
    ) -> None:
        self.store = store
        self.limit = limit
        self.window = window

    async def spend(self, user_id: str, conversation_id: str, people: int, now: datetime) -> None:
        """Count a new setup by ``user_id`` prompting ``people``, or raise ``TooManySetups``."""
        transition = spend(conversation_id, people, now, limit=self.limit, window=self.window)
        await update(self.store, key(user_id), transition)

    async def purge(self, now: datetime) -> None:
        for stored in await self.store.keys(PREFIX):
            budget, _ = await self.store.load(stored)
            if budget is not None and not _recent(budget, now, self.window):
                await self.store.delete(stored)

    async def forget(self, user_ids: frozenset[str]) -> None:
        for user_id in user_ids:
            await self.store.delete(key(user_id))
