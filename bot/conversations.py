"""Finding and changing stored conversations: load (ETag) → pure transition → save (If-Match).

``execute`` is the only way the bot changes a conversation. It retries on conflicts (via
``storage.update``), saves nothing when the domain refuses, and returns the effects for the
caller to carry out after the save. Within one process, changes to one conversation take turns
(``storage.locks.KeyedLocks``), so only other instances can cause conflicts; a change that waits
longer than ``LOCK_WAIT`` for its turn is refused as busy ("try again") rather than queued on,
and when the store fails one change, the changes already waiting behind it fail with it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from dialogs.concept import Concept
from dialogs.conversation import ChatRef, Conversation, Person, PreviousPlan, previous_plan
from dialogs.effects import Effect
from dialogs.errors import DomainError
from dialogs.events import Event
from dialogs.transitions import apply
from storage.errors import ConflictError, StorageError
from storage.locks import KeyedLocks
from storage.protocols import ConversationStore
from storage.update import update

T = TypeVar("T")
PREFIX = "conversations/"
ATTEMPTS = 30  # a whole group pressing at once still lands; each retry reloads first
LOCK_WAIT = 8.0  # seconds a change waits for its turn on one conversation in this process


# When the store fails a change, the changes queued behind it fail at once too ("try again")
# instead of each waiting out the same outage in turn. A conflict is not shared.
def _store_failed(error: Exception) -> bool:
    return isinstance(error, StorageError) and not isinstance(error, ConflictError)


class ConversationNotFound(DomainError):
    code = "not_found"


def chat_prefix(chat_id: str) -> str:
    return hashlib.sha256(chat_id.encode("utf-8")).hexdigest()[:16]


def new_id(chat: ChatRef, now: datetime) -> str:
    """Sortable by time within a chat, so the newest conversation of a chat is the last key."""
    return f"{chat_prefix(chat.conversation_id)}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def key(conversation_id: str) -> str:
    if (
        not conversation_id
        or len(conversation_id) > 64
        or not all(c.isalnum() or c == "-" for c in conversation_id)
    ):
        raise ConversationNotFound("malformed id")
    return PREFIX + conversation_id


class Conversations:
    def __init__(self, store: ConversationStore, concept: Concept) -> None:
        self.store = store
        self.concept = concept
        self._locks = KeyedLocks()

    async def get(self, conversation_id: str) -> Conversation:
        conversation, _ = await self.store.load(key(conversation_id))
        if conversation is None:
            raise ConversationNotFound("no such conversation")
        return conversation

    async def create(self, conversation: Conversation) -> None:
        await self.store.save(key(conversation.id), conversation, None)

    async def execute(
        self, conversation_id: str, event: Event, now: datetime
    ) -> tuple[Conversation, tuple[Effect, ...]]:
        def transition(current: Conversation | None) -> tuple[Conversation, tuple[Effect, ...]]:
            if current is None:
                raise ConversationNotFound("no such conversation")
            return apply(current, event, self.concept, now)

        return await self._change(conversation_id, transition)

    async def execute_as(
        self,
        conversation_id: str,
        person: Person,
        make_event: Callable[[str], Event],
        now: datetime,
    ) -> tuple[Conversation, tuple[Effect, ...], str]:
        """``execute`` for a press by ``person``: the event is made from their participant id,
        resolved on the very state the event applies to (one load per attempt, not two).
        Returns the saved conversation, the effects and that participant id."""

        def transition(
            current: Conversation | None,
        ) -> tuple[Conversation, tuple[tuple[Effect, ...], str]]:
            if current is None:
                raise ConversationNotFound("no such conversation")
            actor = resolve_actor(current, person)
            new, effects = apply(current, make_event(actor), self.concept, now)
            return new, (effects, actor)

        saved, (effects, actor) = await self._change(conversation_id, transition)
        return saved, effects, actor

    async def _change(
        self,
        conversation_id: str,
        transition: Callable[[Conversation | None], tuple[Conversation, T]],
    ) -> tuple[Conversation, T]:
        stored = key(conversation_id)
        async with self._locks.hold(stored, wait=LOCK_WAIT, shared=_store_failed):
            return await update(self.store, stored, transition, attempts=ATTEMPTS)

    async def previous_for(
        self, chat_id: str, kind: str, others: frozenset[str]
    ) -> PreviousPlan | None:
        """The newest closed conversation of the same kind in this chat, for the same person
        (MUS, LUS: the same participants besides the leader) or the same group (GRUS)."""
        for stored in reversed(await self.store.keys(PREFIX + chat_prefix(chat_id) + "-")):
            conversation, _ = await self.store.load(stored)
            if conversation is None or conversation.phase != "closed" or conversation.kind != kind:
                continue
            theirs = frozenset(p.user_id for p in conversation.participants if p.role != "leader")
            if kind == "GRUS" or theirs == others:
                return previous_plan(conversation)
        return None

    async def current_for_chat(self, chat_id: str) -> Conversation | None:
        """The newest conversation of this chat that is not closed (or the newest, if all are)."""
        keys = await self.store.keys(PREFIX + chat_prefix(chat_id) + "-")
        newest: Conversation | None = None
        for stored in reversed(keys):
            conversation, _ = await self.store.load(stored)
            if conversation is None:
                continue
            if conversation.phase != "closed":
                return conversation
            newest = newest or conversation
        return newest


def resolve_actor(conversation: Conversation, person: Person) -> str:
    """The participant id of ``person``: their Teams id, or their Entra object id when they were
    invited from the people picker (which knows only that)."""
    if conversation.participant(person.user_id) is not None:
        return person.user_id
    if person.aad_object_id:
        for p in conversation.participants:
            if p.aad_object_id == person.aad_object_id:
                return p.user_id
    return person.user_id
