"""The year's index: each person's conversations and each workplace's round, kept beside the
conversations so that the overviews read one or two small records, never every conversation.

Records, in the conversation store under their own keys, each with its own ETag:

- ``index/person/{h}`` (``h``: the first 32 hex digits of the SHA-256 of the person's key, their
  Entra object id or else their Teams id): a ``PersonEntry`` for each conversation they take
  part in (``dialogs.summary``: kind, state, day, role, the other person of a MUS or LUS by name,
  the follow-ups of the agreements they are responsible for; never a note, keyword or text);
- ``index/workplace/{year}/{h}`` (``h`` of the workplace as grouped): the workplace as typed and a
  ``RoundEntry`` for each of its conversations in that year (counts and dates only: no names,
  no ids of people);
- ``index/conversation/{id}`` (``Placed``): the records a conversation is in, and at which of its
  versions, so that a later write can take it out of the records it left.

**Writing** (``write(conversation_id)``, after the conversation's save; see ``bot.conversations``):
load the conversation (the truth), add its keys to its ``Placed`` record, put each entry into
its record (only over an entry of an older version: a slower writer of an older state never
undoes a newer one), take it out of the records it no longer belongs in (a tombstone at its
version, which an older writer cannot overwrite either), then set ``Placed`` to the new keys and
version. When a newer version was placed meanwhile, or someone added keys it does not know, it
goes again from the newest state. A conversation that no longer exists is taken out of every
record it was in. Records are changed with ETags (load → change → save If-Match, retried on
conflicts); a record left with no entries is deleted only if nobody wrote to it since
(a conditional delete). Tombstones are dropped once ``TOMBSTONE_AGE`` has passed.

**Reading**: ``entries_for(person)`` (the records under both their ids), ``years()`` and
``workplaces(year)`` (HR's figures).

**Repair and data protection**: ``reindex()`` (``manage.py reindex``, safe while the bot runs)
rebuilds every record from the conversations, empties the entries of conversations that are
gone and clears the conversations' ``index_pending``; ``check()`` lists the records that
disagree with the conversations, writing nothing. Retention deletes a conversation and then
``write``s it (taking it out); ``forget(keys)`` deletes erased people's records; ``prune(now)``
drops old tombstones and deletes empty records.

Index writes never run inside a press (the bot runs them after the answer), but like every
write they start only while a press's deadline, if any, has time left.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.conversations import PREFIX as CONVERSATION_PREFIX
from bot.conversations import key as conversation_key
from dialogs.conversation import Conversation, Person
from dialogs.summary import (
    PersonEntry,
    RoundEntry,
    Summary,
    cleared,
    person_entries,
    round_entry,
    summarize,
    workplace_group,
    year_of,
)
from storage.bounded import bounded
from storage.protocols import ConversationStore, Store
from storage.serialization import Codec
from storage.update import change, check_deadline, retrying, update

log = logging.getLogger("samtaleguide.index")

PREFIX = "index/"
PERSON_PREFIX = "index/person/"
WORKPLACE_PREFIX = "index/workplace/"
PLACED_PREFIX = "index/conversation/"
SCHEMA_VERSION = 1
TOMBSTONE_AGE = timedelta(days=1)  # far longer than any write of a conversation takes
ATTEMPTS = 30  # conflicts one record change outlasts
ROUNDS = 5  # writes of one conversation that find newer writers and go again

E = TypeVar("E", PersonEntry, RoundEntry)
R = TypeVar("R")


@dataclass(frozen=True)
class PersonIndex:
    entries: tuple[PersonEntry, ...] = ()
    schema_version: int = SCHEMA_VERSION


@dataclass(frozen=True)
class WorkplaceIndex:
    year: int = 0
    workplace: str = ""  # as last typed
    entries: tuple[RoundEntry, ...] = ()
    schema_version: int = SCHEMA_VERSION


@dataclass(frozen=True)
class Placed:
    version: int = 0
    keys: tuple[str, ...] = ()
    schema_version: int = SCHEMA_VERSION


PERSON_INDEX = Codec(PersonIndex, SCHEMA_VERSION, name="person_index")
WORKPLACE_INDEX = Codec(WorkplaceIndex, SCHEMA_VERSION, name="workplace_index")
PLACED = Codec(Placed, SCHEMA_VERSION, name="placed")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def person_key(identity: str) -> str:
    return PERSON_PREFIX + _hash(identity)


def workplace_key(year: int, workplace: str) -> str:
    return f"{WORKPLACE_PREFIX}{year}/{_hash(workplace_group(workplace))}"


def placed_key(conversation_id: str) -> str:
    return PLACED_PREFIX + conversation_id


def person_keys(person: Person) -> list[str]:
    """The records a person's conversations may be in: under their Entra id and their Teams id
    (a participant is indexed under one of them, whichever the conversation knows)."""
    return list(dict.fromkeys(person_key(i) for i in (person.aad_object_id, person.user_id) if i))


@dataclass(frozen=True)
class Placement:
    """Where one state of a conversation belongs in the index, and with which entries."""

    summary: Summary
    version: int
    people: dict[str, PersonEntry]  # record key -> entry
    workplace_key: str
    year: int
    round: RoundEntry

    @property
    def keys(self) -> set[str]:
        return {*self.people, self.workplace_key}


def placement(conversation: Conversation) -> Placement:
    summary = summarize(conversation)
    version = conversation.version
    people = {person_key(k): e for k, e in person_entries(summary, version).items()}
    year = year_of(summary.day)
    return Placement(
        summary=summary,
        version=version,
        people=people,
        workplace_key=workplace_key(year, summary.workplace),
        year=year,
        round=round_entry(summary, version),
    )


# --- pure changes of a record's entries -----------------------------------------------------


def _expired(entry: PersonEntry | RoundEntry, now: datetime) -> bool:
    return bool(entry.removed) and now - datetime.fromisoformat(entry.removed) > TOMBSTONE_AGE


def _with(entries: tuple[E, ...], entry: E, now: datetime) -> tuple[E, ...] | None:
    """``entries`` with ``entry`` in place of its conversation's (None: nothing to change, an
    entry of a newer version is there)."""
    known = next((e for e in entries if e.conversation_id == entry.conversation_id), None)
    if known is not None and (known.version > entry.version or known == entry):
        return None
    kept: list[E] = [
        e for e in entries if e.conversation_id != entry.conversation_id and not _expired(e, now)
    ]
    kept.append(entry)
    return tuple(sorted(kept, key=lambda e: e.conversation_id))


def _without(
    entries: tuple[E, ...],
    conversation_id: str,
    version: int | None,
    now: datetime,
    tombstone: Callable[[str, int, str], E],
) -> tuple[E, ...] | None:
    """``entries`` with the conversation taken out (None: nothing to change). At ``version``, a
    tombstone takes the place of an entry of that version or older (or of none), so that a
    slower writer of an older state cannot put it back; with ``version`` None (the
    conversation is gone) the entry simply goes."""
    known = next((e for e in entries if e.conversation_id == conversation_id), None)
    kept: list[E] = [
        e for e in entries if e.conversation_id != conversation_id and not _expired(e, now)
    ]
    if version is None:
        return None if known is None else tuple(kept)
    if known is not None and (
        known.version > version or (known.removed and known.version == version)
    ):
        return None
    kept.append(tombstone(conversation_id, version, now.isoformat()))
    return tuple(sorted(kept, key=lambda e: e.conversation_id))


@dataclass
class Report:
    """What ``reindex`` or ``check`` found."""

    conversations: int = 0
    records: int = 0  # index records looked at
    repaired: list[str] = field(default_factory=list)  # records that disagreed (keys)


class YearIndex:
    def __init__(self, store: ConversationStore, clock: Callable[[], datetime]) -> None:
        self.conversations = store
        self.people: Store[PersonIndex] = store.with_codec(PERSON_INDEX)
        self.rounds: Store[WorkplaceIndex] = store.with_codec(WORKPLACE_INDEX)
        self.placed: Store[Placed] = store.with_codec(PLACED)
        self.clock = clock

    # --- reading -----------------------------------------------------------------------------

    async def entries_for(self, person: Person) -> list[PersonEntry]:
        """Every entry (tombstones included) of the person's records."""
        loaded = await asyncio.gather(*(self.people.load(k) for k in person_keys(person)))
        return [e for record, _ in loaded if record is not None for e in record.entries]

    async def years(self) -> list[int]:
        """The years the workplaces' records cover, newest first."""
        found = set()
        for stored in await self.rounds.keys(WORKPLACE_PREFIX):
            year = stored[len(WORKPLACE_PREFIX) :].split("/", 1)[0]
            if year.isascii() and year.isdigit():
                found.add(int(year))
        return sorted(found, reverse=True)

    async def workplaces(self, year: int) -> list[tuple[int, str, tuple[RoundEntry, ...]]]:
        """(year, workplace as typed, its entries) for every workplace of ``year``."""
        stored = await self.rounds.keys(f"{WORKPLACE_PREFIX}{year}/")
        records = await bounded([self.rounds.load(k) for k in stored])
        return [(year, r.workplace, r.entries) for r, _ in records if r is not None]

    # --- writing -----------------------------------------------------------------------------

    async def write(self, conversation_id: str) -> Summary | None:
        """Bring the conversation's entries up to date with its stored state (see the module);
        the summary written, or None when the conversation no longer exists."""
        written: set[str] = set()
        summary: Summary | None = None
        for _ in range(ROUNDS):
            conversation, _ = await self.conversations.load(conversation_key(conversation_id))
            now = self.clock()
            if conversation is None:
                await self._take_out(conversation_id, written, now)
                return None
            place = placement(conversation)
            summary = place.summary
            merged = await self._merge_placed(conversation_id, place.keys)
            stale = (set(merged) | written) - place.keys
            await bounded([self._put(k, place, now) for k in sorted(place.keys)])
            written |= place.keys
            await bounded(
                [self._remove(k, conversation_id, place.version, now) for k in sorted(stale)]
            )
            if not await self._settle_placed(conversation_id, place, stale):
                return summary
        log.warning("index write went on changing; left for the next write")
        return summary

    async def _take_out(self, conversation_id: str, written: set[str], now: datetime) -> None:
        placed, _ = await self.placed.load(placed_key(conversation_id))
        keys = set(placed.keys if placed else ()) | written
        await bounded([self._remove(k, conversation_id, None, now) for k in sorted(keys)])
        await self.placed.delete(placed_key(conversation_id))

    async def _merge_placed(self, conversation_id: str, keys: set[str]) -> tuple[str, ...]:
        def merge(current: Placed | None) -> tuple[Placed, None]:
            record = current or Placed()
            merged = tuple(sorted(set(record.keys) | keys))
            if current is not None and merged == current.keys:
                return current, None
            return replace(record, keys=merged), None

        saved, _ = await update(self.placed, placed_key(conversation_id), merge, attempts=ATTEMPTS)
        return saved.keys

    async def _settle_placed(
        self, conversation_id: str, place: Placement, removed: set[str]
    ) -> bool:
        """Record where the conversation now is; True when it must be written again (a newer
        version was placed, it was taken out, or keys it does not know were added)."""
        key = placed_key(conversation_id)

        async def attempt() -> bool:
            current, etag = await self.placed.load(key)
            if current is None or current.version > place.version:
                return True
            keys = set(current.keys) - removed
            record = Placed(place.version, tuple(sorted(keys)))
            if record != current:
                check_deadline()
                await self.placed.save(key, record, etag)
            return bool(keys - place.keys)

        return await retrying(key, ATTEMPTS, attempt)

    async def _put(self, key: str, place: Placement, now: datetime) -> None:
        if key.startswith(PERSON_PREFIX):
            entry = place.people[key]

            def person(current: PersonIndex | None) -> PersonIndex | None:
                entries = _with(current.entries if current else (), entry, now)
                return current if entries is None else PersonIndex(entries)

            await change(self.people, key, person, attempts=ATTEMPTS)
            return

        def workplace(current: WorkplaceIndex | None) -> WorkplaceIndex | None:
            record = current or WorkplaceIndex(year=place.year)
            entries = _with(record.entries, place.round, now)
            shown = place.summary.workplace
            if entries is None and record.workplace == shown:
                return current
            return replace(record, workplace=shown, entries=entries or record.entries)

        await change(self.rounds, key, workplace, attempts=ATTEMPTS)

    async def _remove(
        self, key: str, conversation_id: str, version: int | None, now: datetime
    ) -> None:
        store: Store[Any] = self.people if key.startswith(PERSON_PREFIX) else self.rounds

        person = key.startswith(PERSON_PREFIX)
        stone: Callable[[str, int, str], Any] = _person_stone if person else _round_stone

        def take_out(current: Any) -> Any:
            if current is None and version is None:
                return None
            entries = _without(
                current.entries if current else (), conversation_id, version, now, stone
            )
            if entries is None:
                return current
            if not any(not _expired(e, now) for e in entries):
                return None  # nothing left: the record goes
            if current is None:
                if person:
                    return PersonIndex(entries)
                return WorkplaceIndex(year=_year_of_key(key), entries=entries)
            return replace(current, entries=entries)

        await change(store, key, take_out, attempts=ATTEMPTS)

    # --- data protection ---------------------------------------------------------------------

    async def forget(self, identities: Iterable[str]) -> None:
        """Delete the records of erased people (their Teams and Entra ids)."""
        for identity in sorted(set(identities)):
            await self.people.delete(person_key(identity))

    async def prune(self, now: datetime) -> int:
        """Drop tombstones older than ``TOMBSTONE_AGE`` and delete records with nothing left;
        returns how many records were deleted."""
        deleted = 0

        def tidy(current: Any) -> Any:
            nonlocal deleted
            if current is None:
                return None
            kept = tuple(e for e in current.entries if not _expired(e, now))
            if not kept:
                deleted += 1
                return None
            return current if kept == current.entries else replace(current, entries=kept)

        for store, prefix in ((self.people, PERSON_PREFIX), (self.rounds, WORKPLACE_PREFIX)):
            keys = await store.keys(prefix)
            await bounded([change(store, k, tidy, attempts=ATTEMPTS) for k in keys])
        return deleted

    # --- repair ------------------------------------------------------------------------------

    async def _expected(
        self,
    ) -> tuple[dict[str, Placement], dict[str, dict[str, Any]], set[str]]:
        """Every conversation's placement, the entries each record should hold, and the
        conversations marked ``index_pending``."""
        pending: set[str] = set()

        async def place_of(key: str) -> Placement | None:  # one at a time in memory, not all
            conversation, _ = await self.conversations.load(key)
            if conversation is None:
                return None
            if conversation.index_pending:
                pending.add(conversation.id)
            return placement(conversation)

        stored = await self.conversations.keys(CONVERSATION_PREFIX)
        found = await bounded([place_of(k) for k in stored])
        places = {p.summary.conversation_id: p for p in found if p is not None}
        expected: dict[str, dict[str, Any]] = {}
        for place in places.values():
            for key, entry in place.people.items():
                expected.setdefault(key, {})[place.summary.conversation_id] = entry
            expected.setdefault(place.workplace_key, {})[place.summary.conversation_id] = place
        return places, expected, pending

    async def check(self) -> Report:
        """The records whose entries disagree with the conversations (nothing is written)."""
        places, expected, _ = await self._expected()
        report = Report(conversations=len(places))
        keys = set(expected) | set(await self._record_keys())
        for key in sorted(keys):
            report.records += 1
            if _content(await self._live_entries(key)) != _content(_wanted(expected.get(key, {}))):
                report.repaired.append(key)
        for conversation_id, place in places.items():
            placed, _ = await self.placed.load(placed_key(conversation_id))
            if placed is None or set(placed.keys) != place.keys:
                report.repaired.append(placed_key(conversation_id))
        return report

    async def reindex(self) -> Report:
        """Rebuild every record from the conversations (see the module)."""
        places, expected, pending = await self._expected()
        report = Report(conversations=len(places))
        existing = set(await self._record_keys())
        gone: dict[str, bool] = {}

        async def is_gone(conversation_id: str) -> bool:
            if conversation_id not in gone:
                found, _ = await self.conversations.load(conversation_key(conversation_id))
                gone[conversation_id] = found is None
            return gone[conversation_id]

        repaired: set[str] = set()

        async def rebuild(key: str) -> None:
            """One write per record (none when it is right): ``wanted`` put, the others taken
            out; an entry of a conversation made since the look is left to its own write."""
            person = key.startswith(PERSON_PREFIX)
            store: Store[Any] = self.people if person else self.rounds
            wanted = _wanted(expected.get(key, {}))
            shown = next(
                (
                    v.summary.workplace
                    for v in expected.get(key, {}).values()
                    if isinstance(v, Placement)
                ),
                None,
            )
            unknown: set[str] = set()
            now = self.clock()

            def transition(current: Any) -> Any:
                unknown.clear()
                entries = current.entries if current is not None else ()
                before = {e.conversation_id: e for e in entries if not e.removed}
                if _content(before) == _content(wanted):
                    return current
                removals: dict[str, int | None] = {}
                for conversation_id in set(before) - set(wanted):
                    if conversation_id in places:
                        removals[conversation_id] = places[conversation_id].version
                    elif gone.get(conversation_id):
                        removals[conversation_id] = None
                    elif conversation_id not in gone:
                        unknown.add(conversation_id)
                rebuilt = _rebuilt(key, current, wanted, removals, shown, now)
                if rebuilt is not current:
                    repaired.add(key)
                return rebuilt

            await change(store, key, transition, attempts=ATTEMPTS)
            if unknown:
                found = [await is_gone(c) for c in sorted(unknown)]
                if any(found):
                    await rebuild(key)  # again, now that it is known which are gone

        keys = sorted(existing | set(expected))
        report.records = len(keys)
        await bounded([rebuild(k) for k in keys])
        report.repaired = sorted(repaired)
        await bounded([self._place(p) for p in places.values()])
        for stored in await self.placed.keys(PLACED_PREFIX):
            conversation_id = stored[len(PLACED_PREFIX) :]
            if conversation_id not in places and await is_gone(conversation_id):
                await self.placed.delete(stored)
        await bounded([self.caught_up(places[i].summary) for i in sorted(pending)])
        return report

    async def _place(self, place: Placement) -> None:
        def placed(current: Placed | None) -> tuple[Placed, None]:
            if current is not None and current.version > place.version:
                return current, None
            record = Placed(place.version, tuple(sorted(place.keys)))
            return (current if current == record else record), None

        await update(
            self.placed, placed_key(place.summary.conversation_id), placed, attempts=ATTEMPTS
        )

    async def caught_up(self, summary: Summary) -> None:
        """Clear the conversation's ``index_pending`` if its summary is still ``summary`` (the
        one just written); for the writers outside the bot's change path (``reindex``,
        ``forget``), which change conversations with ETags directly."""
        await change(
            self.conversations,
            conversation_key(summary.conversation_id),
            lambda current: cleared(current, summary),
            attempts=ATTEMPTS,
        )

    async def _record_keys(self) -> list[str]:
        return [*await self.people.keys(PERSON_PREFIX), *await self.rounds.keys(WORKPLACE_PREFIX)]

    async def _live_entries(self, key: str) -> dict[str, Any]:
        store: Store[Any] = self.people if key.startswith(PERSON_PREFIX) else self.rounds
        record, _ = await store.load(key)
        if record is None:
            return {}
        return {e.conversation_id: e for e in record.entries if not e.removed}


def _content(entries: dict[str, Any]) -> dict[str, Any]:
    """Entries as they read, without the conversation version they were written from: a
    conversation's later changes that leave its summary alone (a plan written, a note) do not
    make its entries wrong."""
    return {cid: replace(e, version=0) for cid, e in entries.items()}


def _wanted(expected: dict[str, Any]) -> dict[str, Any]:
    """The entries a record should hold (a workplace's round entries from the placements)."""
    return {
        cid: (value.round if isinstance(value, Placement) else value)
        for cid, value in expected.items()
    }


def _rebuilt(
    key: str,
    current: Any,
    wanted: dict[str, Any],
    removals: dict[str, int | None],
    shown: str | None,
    now: datetime,
) -> Any:
    """The record at ``key`` with ``wanted`` put (over older versions only) and ``removals``
    taken out (a tombstone at their version; None: gone); None when nothing is left in it."""
    person = key.startswith(PERSON_PREFIX)
    stone: Callable[[str, int, str], Any] = _person_stone if person else _round_stone
    entries = current.entries if current is not None else ()
    for entry in wanted.values():
        changed = _with(entries, entry, now)
        entries = entries if changed is None else changed
    for conversation_id, version in removals.items():
        changed = _without(entries, conversation_id, version, now, stone)
        entries = entries if changed is None else changed
    if not any(not _expired(e, now) for e in entries):
        return None
    if current is None:
        return (
            PersonIndex(entries)
            if person
            else WorkplaceIndex(_year_of_key(key), shown or "", entries)
        )
    if person:
        return current if entries == current.entries else replace(current, entries=entries)
    workplace = shown or current.workplace
    if entries == current.entries and workplace == current.workplace:
        return current
    return replace(current, entries=entries, workplace=workplace)


def _person_stone(conversation_id: str, version: int, at: str) -> PersonEntry:
    return PersonEntry(conversation_id, version, removed=at)


def _round_stone(conversation_id: str, version: int, at: str) -> RoundEntry:
    return RoundEntry(conversation_id, version, removed=at)


def _year_of_key(key: str) -> int:
    return int(key[len(WORKPLACE_PREFIX) :].split("/", 1)[0])
