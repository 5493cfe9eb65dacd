"""The bot's own record beside each conversation: where it reached people in Teams.

A ``Delivery`` holds the Teams side of one conversation: the chat it was set up in (``home``),
each participant's 1:1 chat and the message id of their preparation card, who could not be
reached, and the live card's message(s): ``live`` are the messages that show it now (never
empty while the bot says it is shown), ``live_copy`` the copy of the card last posted or tried,
and ``live_lost`` whether that post failed (the leader is then told, and may post it again);
the status cards and the "plan is ready" cards it keeps current. It is stored as ``deliveries/{conversation id}`` in the
same store as the conversation, with its own ETag, so a slow delivery never contends with a
person's press on the conversation, and the domain never sees a Teams address.

``Deliveries.change(conversation_id, transition)`` is the one way to change a record (load with
ETag → pure transition → save with If-Match, retried on conflicts). These saves block nobody but
must not be lost (a lost record means a second prompt, or a live card that is never edited
again), so a storage outage is waited out with backoff, about five minutes in all, before
giving up with a log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.identity import ChatRef
from storage.errors import StorageError
from storage.protocols import Store
from storage.serialization import Codec
from storage.update import update

log = logging.getLogger("samtaleguide.deliveries")
PREFIX = "deliveries/"
ATTEMPTS = 12
FIRST_DELAY = 0.5
MAX_DELAY = 60.0
SCHEMA_VERSION = 2  # 2: ``plan_cards`` (the "plan is ready" cards, kept current as people approve)


@dataclass(frozen=True)
class Message:
    """One message the bot posted: where, and its id (to edit it later)."""

    chat: ChatRef
    activity_id: str


@dataclass(frozen=True)
class Delivery:
    home: ChatRef | None = None  # the chat the conversation was set up in
    personal: dict[str, ChatRef] = field(default_factory=dict)  # participant → their 1:1 chat
    prompts: dict[str, str] = field(default_factory=dict)  # participant → prep card's message id
    unreachable: dict[str, str] = field(default_factory=dict)  # participant → why ("blocked")
    live: tuple[Message, ...] = ()  # the live card, in each chat that shows it
    live_copy: int = 0  # the copy of the live card last posted (or tried)
    live_lost: bool = False  # posting that copy failed, and nothing shows it yet
    status: tuple[Message, ...] = ()  # status cards shown in the home chat (kept current)
    plan_cards: tuple[
        Message, ...
    ] = ()  # "the plan is ready" cards (kept current as people approve)
    schema_version: int = SCHEMA_VERSION

    def prompt(self, user_id: str) -> Message | None:
        """The participant's delivered preparation card, if there is one."""
        chat, activity_id = self.personal.get(user_id), self.prompts.get(user_id)
        return Message(chat, activity_id) if chat is not None and activity_id else None


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 1 knew no "plan is ready" cards: none is kept current (``status`` posts one)."""
    raw.setdefault("plan_cards", [])
    return raw


DELIVERY = Codec(Delivery, SCHEMA_VERSION, {1: _v1_to_v2}, name="delivery")


def key(conversation_id: str) -> str:
    return PREFIX + conversation_id


# --- pure transitions ----------------------------------------------------------------------


def with_home(home: ChatRef, leader_id: str) -> Callable[[Delivery], Delivery]:
    """Where the conversation was set up; a 1:1 chat there is the leader's own."""

    def change(d: Delivery) -> Delivery:
        personal = d.personal if home.is_group else {**d.personal, leader_id: home}
        return (
            d
            if (d.home, d.personal) == (home, personal)
            else replace(d, home=home, personal=personal)
        )

    return change


def with_prompt(user_id: str, chat: ChatRef, activity_id: str) -> Callable[[Delivery], Delivery]:
    def change(d: Delivery) -> Delivery:
        unreachable = {k: v for k, v in d.unreachable.items() if k != user_id}
        return replace(
            d,
            personal={**d.personal, user_id: chat},
            prompts={**d.prompts, user_id: activity_id},
            unreachable=unreachable,
        )

    return change


def with_personal_chat(user_id: str, chat: ChatRef) -> Callable[[Delivery], Delivery]:
    return lambda d: (
        d if d.personal.get(user_id) == chat else replace(d, personal={**d.personal, user_id: chat})
    )


def with_unreachable(user_id: str, reason: str) -> Callable[[Delivery], Delivery]:
    return lambda d: replace(d, unreachable={**d.unreachable, user_id: reason})


def with_live(messages: tuple[Message, ...], copy: int) -> Callable[[Delivery], Delivery]:
    """Copy ``copy`` of the live card is shown in ``messages`` (unless a newer one was posted)."""
    return lambda d: (
        d if copy < d.live_copy else replace(d, live=messages, live_copy=copy, live_lost=False)
    )


def with_live_lost(copy: int) -> Callable[[Delivery], Delivery]:
    """Posting copy ``copy`` failed; the messages of earlier copies (if any) still show it."""
    return lambda d: d if copy < d.live_copy else replace(d, live_copy=copy, live_lost=True)


MAX_STATUS_CARDS = 5  # the newest status cards in a chat are kept current; older ones stay


def with_status(message: Message) -> Callable[[Delivery], Delivery]:
    def change(d: Delivery) -> Delivery:
        if message in d.status:
            return d
        return replace(d, status=(*d.status, message)[-MAX_STATUS_CARDS:])

    return change


MAX_PLAN_CARDS = 5  # the newest "plan is ready" cards are kept current; older ones stay


def with_plan_card(message: Message) -> Callable[[Delivery], Delivery]:
    def change(d: Delivery) -> Delivery:
        if message in d.plan_cards:
            return d
        return replace(d, plan_cards=(*d.plan_cards, message)[-MAX_PLAN_CARDS:])

    return change


def without_people(user_ids: frozenset[str]) -> Callable[[Delivery], Delivery]:
    """Forget everything about these people (erasure): their 1:1 chats, the messages in them,
    whether they could be reached."""

    def change(d: Delivery) -> Delivery:
        theirs = {chat for uid, chat in d.personal.items() if uid in user_ids}
        home = None if d.home in theirs else d.home
        return replace(
            d,
            home=home,
            personal={k: v for k, v in d.personal.items() if k not in user_ids},
            prompts={k: v for k, v in d.prompts.items() if k not in user_ids},
            unreachable={k: v for k, v in d.unreachable.items() if k not in user_ids},
            live=tuple(m for m in d.live if m.chat not in theirs),
            status=tuple(m for m in d.status if m.chat not in theirs),
            plan_cards=tuple(m for m in d.plan_cards if m.chat not in theirs),
        )

    return change


# --- the store -----------------------------------------------------------------------------


class Deliveries:
    def __init__(self, store: Store[Delivery]) -> None:
        self.store = store

    async def get(self, conversation_id: str) -> Delivery:
        """The record (an empty one when the bot has delivered nothing yet)."""
        found, _ = await self.store.load(key(conversation_id))
        return found or Delivery()

    async def change(
        self, conversation_id: str, transition: Callable[[Delivery], Delivery]
    ) -> Delivery | None:
        """Apply ``transition`` and save; the saved record, or None when the store stayed down
        for the whole backoff (logged)."""

        def step(current: Delivery | None) -> tuple[Delivery, None]:
            before = current or Delivery()
            after = transition(before)
            return (current if after == before and current is not None else after), None

        delay = FIRST_DELAY
        for attempt in range(ATTEMPTS):
            try:
                saved, _ = await update(self.store, key(conversation_id), step, attempts=30)
                return saved
            except StorageError as error:
                if attempt == ATTEMPTS - 1:
                    log.error("could not record a delivery: %s", type(error).__name__)
                    return None
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
        return None  # pragma: no cover - the loop always returns

    async def delete(self, conversation_id: str) -> None:
        await self.store.delete(key(conversation_id))
