"""Finding and changing stored conversations: the one change path of the bot.

``Conversations.change(conversation_id, person, make_event, now)`` is the only way a press
changes a conversation: load (ETag) → resolve the presser's participant id on the loaded state →
``dialogs.transitions.apply`` → save (If-Match), retried on conflicts (``storage.update``). A
refusal saves nothing and raises ``Refused``, which carries the very state it was refused against
(so the refusal's card needs no second load). With ``create``, an absent conversation starts
from ``create()`` and is saved create-only (If-None-Match), so a redelivered setup press finds
the conversation it made the first time and changes nothing. ``change_as`` does the same for the
bot itself (a follow-up reminder's claim).

Within one process the changes to one conversation are grouped (``storage.commit.GroupCommit``):
the presses that arrive while a save is in flight share the next load → apply → save, each
accepted or refused on its own, so a crowd pressing at once costs a few saves, not one each, and
only other instances can cause conflicts. A change that waits longer than ``MAX_WAIT`` for its
batch is refused as busy ("try again") rather than queued on, and when the store fails a batch,
the changes already waiting behind it fail with it. ``group=False`` saves each change on its own,
in turn (for comparison in ``bench/``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from dialogs.concept import Concept
from dialogs.conversation import Conversation, Person, PreviousPlan, previous_plan
from dialogs.effects import Effect
from dialogs.errors import DomainError
from dialogs.events import Event
from dialogs.transitions import apply
from storage.commit import GroupCommit
from storage.keys import place_of
from storage.protocols import ConversationStore

PREFIX = "conversations/"
ATTEMPTS = 30  # conflicts with other instances a batch outlasts; each retry reloads first
MAX_WAIT = 8.0  # seconds a change waits for its batch on one conversation in this process
MAX_BATCH = 64  # changes applied in one save (bench/concurrent_agreements.py chose it)
MAX_ID = 64


class ConversationNotFound(DomainError):
    code = "not_found"


@dataclass(frozen=True)
class Changed:
    """An accepted (or already applied) event: the saved state, what to do next, and who."""

    conversation: Conversation
    effects: tuple[Effect, ...]
    actor: str


class Refused(Exception):
    """The domain refused the event; nothing was saved. ``latest`` is the state it was refused
    against (None when the conversation does not exist) and ``actor`` the presser's participant
    id on it."""

    def __init__(self, refusal: DomainError, latest: Conversation | None, actor: str) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal
        self.latest = latest
        self.actor = actor


def new_id(chat_id: str, request_id: str) -> str:
    """The id of a conversation set up by the press ``request_id`` in chat ``chat_id``: the
    chat's place, then a hash of the press, so a redelivered press names the same conversation."""
    press = hashlib.sha256(f"{chat_id}\x1f{request_id}".encode()).hexdigest()[:12]
    return f"{place_of(chat_id)}-{press}"


def key(conversation_id: str) -> str:
    if (
        not isinstance(conversation_id, str)
        or not conversation_id
        or len(conversation_id) > MAX_ID
        or not all(c.isascii() and (c.isalnum() or c == "-") for c in conversation_id)
    ):
        raise ConversationNotFound("malformed id")
    return PREFIX + conversation_id


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


class Conversations:
    def __init__(self, store: ConversationStore, concept: Concept, *, group: bool = True) -> None:
        self.store = store
        self.concept = concept
        self.commits = GroupCommit(
            store, max_batch=MAX_BATCH if group else 1, max_wait=MAX_WAIT, attempts=ATTEMPTS
        )

    async def get(self, conversation_id: str) -> Conversation:
        conversation, _ = await self.store.load(key(conversation_id))
        if conversation is None:
            raise ConversationNotFound("no such conversation")
        return conversation

    async def change(
        self,
        conversation_id: str,
        person: Person,
        make_event: Callable[[str], Event],
        now: datetime,
        *,
        create: Callable[[], Conversation] | None = None,
    ) -> Changed:
        """Apply the event ``make_event(actor)`` for a press by ``person``; see the module."""

        def transition(current: Conversation | None) -> tuple[Conversation, Changed]:
            start = current if current is not None else (create() if create else None)
            if start is None:
                raise Refused(ConversationNotFound("no such conversation"), None, person.user_id)
            actor = resolve_actor(start, person)
            try:
                new, effects = apply(start, make_event(actor), self.concept, now)
            except DomainError as refusal:
                raise Refused(refusal, current, actor) from None
            if current is None:  # a creation always saves, even when the event was a no-op
                return new, Changed(new, effects, actor)
            return (current if new is start else new), Changed(new, effects, actor)

        return await self._change(conversation_id, transition)

    async def change_as(self, conversation_id: str, event: Event, now: datetime) -> Changed:
        """Apply an event of the bot itself (``event.actor`` is not a person)."""

        def transition(current: Conversation | None) -> tuple[Conversation, Changed]:
            if current is None:
                raise Refused(ConversationNotFound("no such conversation"), None, event.actor)
            try:
                new, effects = apply(current, event, self.concept, now)
            except DomainError as refusal:
                raise Refused(refusal, current, event.actor) from None
            return new, Changed(new, effects, event.actor)

        return await self._change(conversation_id, transition)

    async def _change(
        self,
        conversation_id: str,
        transition: Callable[[Conversation | None], tuple[Conversation, Changed]],
    ) -> Changed:
        saved, changed = await self.commits.submit(key(conversation_id), transition)
        return replace(changed, conversation=saved)  # with the changes saved beside it

    async def at_place(self, chat_id: str) -> list[Conversation]:
        """The conversations set up in this chat, oldest first."""
        found = []
        for stored in await self.store.keys(PREFIX + place_of(chat_id) + "-"):
            conversation, _ = await self.store.load(stored)
            if conversation is not None:
                found.append(conversation)
        return sorted(found, key=lambda c: (c.created_at, c.id))

    async def previous_for(
        self, chat_id: str, kind: str, others: frozenset[str]
    ) -> PreviousPlan | None:
        """The newest closed conversation of the same kind in this chat, for the same person
        (MUS, LUS: the same participants besides the leader) or the same group (GRUS)."""
        for conversation in reversed(await self.at_place(chat_id)):
            if conversation.phase != "closed" or conversation.kind != kind:
                continue
            theirs = frozenset(p.user_id for p in conversation.participants if p.role != "leader")
            if kind == "GRUS" or theirs == others:
                return previous_plan(conversation)
        return None

    async def under_way_for(self, person: Person, limit: int = 5) -> list[Conversation]:
        """The newest conversations in preparation or live that ``person`` takes part in (by
        Teams or Entra id; not one they left). Reads every conversation: kept for the year's
        overview to replace with a per-person index."""
        found = []
        for stored in await self.store.keys(PREFIX):
            conversation, _ = await self.store.load(stored)
            if conversation is None or conversation.phase not in ("preparation", "live"):
                continue
            if any(p.is_person(person) and not p.left for p in conversation.participants):
                found.append(conversation)
        found.sort(key=lambda c: (c.created_at, c.id), reverse=True)
        return found[:limit]

    async def current_for_chat(self, chat_id: str) -> Conversation | None:
        """The newest conversation of this chat that is not closed (or the newest, if all are)."""
        found = await self.at_place(chat_id)
        open_ones = [c for c in found if c.phase != "closed"]
        newest = open_ones or found
        return newest[-1] if newest else None
