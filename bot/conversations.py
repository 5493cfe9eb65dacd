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
only other instances can cause conflicts. A change that waits longer than
``storage.commit.MAX_WAIT`` for its batch is refused as busy ("try again") rather than queued on,
and when the store fails a batch, the changes already waiting behind it fail with it. ``group=False`` saves each change on its own,
in turn (for comparison in ``bench/``).

The year's index (``bot.year_index``) follows the conversations. A change that alters a
conversation's summary (``dialogs.summary``: its state, date, workplace, people, the follow-ups
of its plan) marks it ``index_pending`` in the same save; most presses (notes, agreements
being written, moves) do not. After a save that leaves the mark, the index is written in the
background (``Tasks``, after the press has answered; one at a time per conversation, again if
more changes came meanwhile) and the mark is then cleared, if the summary is still the one
written. A failed index write, or a crash between the two writes, leaves the mark: the
conversation's next save, whatever it changes, writes its index again (and ``manage.py
reindex`` repairs everything). ``under_way_for`` (``status`` in a 1:1 chat) reads the person's
index entries and loads only those conversations.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from dialogs.concept import Concept
from dialogs.conversation import Conversation, Person, PreviousPlan, previous_plan
from dialogs.effects import Effect
from dialogs.errors import DomainError
from dialogs.events import Event
from dialogs.round import current
from dialogs.summary import PersonEntry, Summary, cleared, may_differ, summarize
from dialogs.transitions import apply
from storage.bounded import bounded
from storage.commit import MAX_BATCH, GroupCommit
from storage.errors import StorageError
from storage.keys import place_of
from storage.protocols import ConversationStore

if TYPE_CHECKING:
    from bot.tasks import Tasks

log = logging.getLogger("samtaleguide.conversations")

PREFIX = "conversations/"
MAX_ID = 64
INDEX_RETRIES = (0.5, 2.0)  # seconds before writing the index again after a failure
UNDER_WAY = frozenset({"set_up", "preparing", "live"})


class ConversationNotFound(DomainError):
    code = "not_found"


@dataclass(frozen=True)
class Changed:
    """An accepted (or already applied) event: the saved state, what to do next, and who."""

    conversation: Conversation
    effects: tuple[Effect, ...]
    actor: str


_Outcome = tuple[tuple[Effect, ...], str]  # a transition's effects and actor, beside its state


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


class Index(Protocol):
    """What the change path needs of the year's index (``bot.year_index.YearIndex``)."""

    async def write(self, conversation_id: str) -> Summary | None: ...

    async def entries_for(self, person: Person) -> list[PersonEntry]: ...


def marked(before: Conversation | None, after: Conversation) -> Conversation:
    """``after``, marked ``index_pending`` when its summary is not ``before``'s (a new
    conversation always is)."""
    if after.index_pending:
        return after
    if before is not None and (
        not may_differ(before, after) or summarize(before) == summarize(after)
    ):
        return after
    return replace(after, index_pending=True)


class Conversations:
    def __init__(
        self,
        store: ConversationStore,
        concept: Concept,
        *,
        group: bool = True,
        index: Index | None = None,
        tasks: Tasks | None = None,
    ) -> None:
        """``index`` and ``tasks``: the year's index, written in the background after the saves
        that change a summary (without them, the mark is kept and nothing is written)."""
        self.store = store
        self.concept = concept
        self.index = index
        self.tasks = tasks
        self.commits = GroupCommit(store, max_batch=MAX_BATCH if group else 1)
        self._indexing: dict[str, bool] = {}  # conversation -> written again once done

    async def get(self, conversation_id: str) -> Conversation:
        conversation, _ = await self.store.load(key(conversation_id))
        if conversation is None:
            raise ConversationNotFound("no such conversation")
        return conversation

    async def load_many(self, conversation_ids: list[str]) -> dict[str, Conversation]:
        """The stored conversations of these ids, by id (a few loads at a time; those that do
        not exist are left out)."""
        loaded = await bounded([self.store.load(key(i)) for i in conversation_ids])
        return {c.id: c for c, _ in loaded if c is not None}

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

        def transition(current: Conversation | None) -> tuple[Conversation, _Outcome]:
            start = current if current is not None else (create() if create else None)
            if start is None:
                raise Refused(ConversationNotFound("no such conversation"), None, person.user_id)
            actor = resolve_actor(start, person)
            return self._step(current, start, lambda: make_event(actor), actor, now)

        return await self._change(conversation_id, transition)

    async def change_as(self, conversation_id: str, event: Event, now: datetime) -> Changed:
        """Apply an event of the bot itself (``event.actor`` is not a person)."""

        def transition(current: Conversation | None) -> tuple[Conversation, _Outcome]:
            if current is None:
                raise Refused(ConversationNotFound("no such conversation"), None, event.actor)
            return self._step(current, current, lambda: event, event.actor, now)

        return await self._change(conversation_id, transition)

    def _step(
        self,
        current: Conversation | None,
        start: Conversation,
        make_event: Callable[[], Event],
        actor: str,
        now: datetime,
    ) -> tuple[Conversation, _Outcome]:
        """The event applied to ``start`` (``current``, or the conversation being created): the
        state to save (marked; ``current`` itself for a no-op, while a creation always saves)
        and the effects and actor."""
        try:
            new, effects = apply(start, make_event(), self.concept, now)
        except DomainError as refusal:
            raise Refused(refusal, current, actor) from None
        if new is not current:
            new = marked(current, new)
        return new, (effects, actor)

    async def _change(
        self,
        conversation_id: str,
        transition: Callable[[Conversation | None], tuple[Conversation, _Outcome]],
    ) -> Changed:
        saved, (effects, actor) = await self.commits.submit(key(conversation_id), transition)
        if saved.index_pending:
            self.index_soon(saved.id)
        return Changed(saved, effects, actor)

    # --- the year's index ------------------------------------------------------------------

    def index_soon(self, conversation_id: str) -> None:
        """Write the conversation's index entries after the current turn (once at a time per
        conversation in this process; again when asked meanwhile)."""
        if self.index is None or self.tasks is None:
            return
        if conversation_id in self._indexing:
            self._indexing[conversation_id] = True
            return
        self._indexing[conversation_id] = False
        self.tasks.spawn(self._keep_indexed(conversation_id))

    async def _keep_indexed(self, conversation_id: str) -> None:
        try:
            again = True
            while again:
                self._indexing[conversation_id] = False
                await self.write_index(conversation_id)
                again = self._indexing[conversation_id]
        finally:
            self._indexing.pop(conversation_id, None)

    async def write_index(self, conversation_id: str) -> bool:
        """Write the conversation's index entries from its stored state, then clear its mark if
        that state is still current; False (logged) when the index could not be written: the
        mark stays for the next save (or ``manage.py reindex``)."""
        assert self.index is not None
        for delay in (*INDEX_RETRIES, None):
            try:
                written = await self.index.write(conversation_id)
                break
            except StorageError as error:  # ConflictError included
                if delay is None:
                    log.warning("the year's index is behind: %s", type(error).__name__)
                    return False
                await asyncio.sleep(delay)
        if written is not None:
            await self._caught_up(conversation_id, written)
        return True

    async def _caught_up(self, conversation_id: str, written: Summary) -> None:
        def clear(current: Conversation | None) -> tuple[Conversation | None, None]:
            return cleared(current, written), None

        try:
            await self.commits.submit(key(conversation_id), clear)
        except StorageError as error:  # the index is right; the mark only costs a rewrite
            log.info("index mark not cleared: %s", type(error).__name__)

    async def at_place(self, chat_id: str) -> list[Conversation]:
        """The conversations set up in this chat, oldest first."""
        stored = await self.store.keys(PREFIX + place_of(chat_id) + "-")
        loaded = await bounded([self.store.load(k) for k in stored])
        found = [conversation for conversation, _ in loaded if conversation is not None]
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
        Teams or Entra id; not one they left): found in their index entries, then loaded and
        checked (the conversation is the truth)."""
        if self.index is None:
            raise RuntimeError("under_way_for needs the year's index")
        entries = [
            e
            for e in current(await self.index.entries_for(person))
            if e.state in UNDER_WAY and not e.left
        ]
        entries.sort(key=lambda e: (e.created_at, e.conversation_id), reverse=True)
        loaded = await self.load_many([e.conversation_id for e in entries[:limit]])
        return [
            c
            for c in loaded.values()
            if c.phase in ("preparation", "live")
            and any(p.is_person(person) and not p.left for p in c.participants)
        ]

    async def current_for_chat(self, chat_id: str) -> Conversation | None:
        """The newest conversation of this chat that is not closed (or the newest, if all are)."""
        found = await self.at_place(chat_id)
        open_ones = [c for c in found if c.phase != "closed"]
        newest = open_ones or found
        return newest[-1] if newest else None
