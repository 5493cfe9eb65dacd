"""``bot.year_index`` on the real stores (the file store and Azurite): entries follow each
conversation's stored state, leave the records it no longer belongs in, never go back to an
older state, disappear with the conversation and with an erased person; ``reindex`` rebuilds
an index that fell behind and ``check`` finds where it disagrees."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.conversations import Conversations, key
from bot.tasks import Tasks
from bot.year_index import (
    PREFIX,
    TOMBSTONE_AGE,
    YearIndex,
    person_key,
    placed_key,
    placement,
    workplace_key,
)
from dialogs import events as ev
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Conversation, Person
from dialogs.round import current
from storage.blob_store import BlobStore
from storage.file_store import FileStore
from storage.protocols import ConversationStore
from storage.schemas import CONVERSATION
from tests.support.rounds import Agreed, held_on

NOW = datetime(2026, 3, 1, 9, 0)
LEADER = Person("29:leader", "Lene Leder", "aad-leader")
ANNA = Person("29:anna", "Anna Andersen", "aad-anna")
BO = Person("29:bo", "Bo Berg", "aad-bo")


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


@pytest.fixture(params=["file", pytest.param("blob", marks=pytest.mark.azurite)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ConversationStore]:
    if request.param == "file":
        made: ConversationStore = FileStore(tmp_path / "state", CONVERSATION)
    else:
        azurite = request.getfixturevalue("azurite")
        made = BlobStore.from_connection_string(
            azurite.connection_string, request.getfixturevalue("blob_container_name"), CONVERSATION
        )
    yield made
    await made.close()


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def mus(concept: Concept, cid: str, employee: Person, **more: Any) -> Conversation:
    values: dict[str, Any] = {"day": "2026-03-10", "state": "preparing"}
    values.update(more)
    return held_on(concept, cid, kind="MUS", leader=LEADER, others=[employee], **values)


async def save(store: ConversationStore, conversation: Conversation) -> None:
    _, etag = await store.load(key(conversation.id))
    await store.save(key(conversation.id), conversation, etag)


async def live_ids(index: YearIndex, person: Person) -> list[str]:
    return sorted(e.conversation_id for e in current(await index.entries_for(person)))


async def test_entries_follow_the_stored_state(store: ConversationStore, concept: Concept) -> None:
    index = YearIndex(store, Clock())
    first = mus(concept, "m1", ANNA)
    await save(store, first)
    assert (await index.write("m1")) is not None
    assert await live_ids(index, LEADER) == ["m1"] and await live_ids(index, ANNA) == ["m1"]
    # by either id: a participant picked with the people picker is known by Entra id only
    assert await live_ids(index, Person("29:anna", "", "")) == []
    assert await live_ids(index, Person("other-teams-id", "", "aad-anna")) == ["m1"]
    (years_workplace,) = await index.workplaces(2026)
    assert years_workplace[1] == "Rådhuset" and len(years_workplace[2]) == 1

    # The employee is changed to Bo: Anna's record keeps only a tombstone (no content).
    moved = run(
        concept,
        first,
        ev.SaveSetup(
            LEADER.user_id,
            kind="MUS",
            participants=(BO,),
            starts_at="2026-03-10T10:00",
            workplace="Rådhuset",
        ),
    )
    await save(store, moved)
    await index.write("m1")
    assert await live_ids(index, ANNA) == [] and await live_ids(index, BO) == ["m1"]
    anna = await index.entries_for(ANNA)
    assert [e.removed != "" for e in anna] == [True] and anna[0].others == ()
    (leader_entry,) = current(await index.entries_for(LEADER))
    assert [o.name for o in leader_entry.others] == ["Bo Berg"]
    placed, _ = await index.placed.load(placed_key("m1"))
    assert placed is not None and person_key("aad-anna") not in placed.keys

    # Moved to another workplace and year: out of the old workplace's record.
    later = run(
        concept,
        moved,
        ev.SaveSetup(
            LEADER.user_id,
            kind="MUS",
            participants=(BO,),
            starts_at="2027-01-10T10:00",
            workplace="Skolen",
        ),
    )
    await save(store, later)
    await index.write("m1")
    assert await index.workplaces(2026) == [] or all(
        not [e for e in entries if not e.removed] for _, _, entries in await index.workplaces(2026)
    )
    assert [w for _, w, _ in await index.workplaces(2027)] == ["Skolen"]
    assert await index.years() in ([2027, 2026], [2027])


def run(concept: Concept, conversation: Conversation, event: ev.Event) -> Conversation:
    from dialogs.transitions import apply

    return apply(conversation, event, concept, NOW)[0]


async def test_an_older_state_never_overwrites_a_newer_one(
    store: ConversationStore, concept: Concept
) -> None:
    """A slower writer that placed an older state: its entries do not win over the newer
    state's, and the tombstone of a record the newer state left keeps it out."""
    index = YearIndex(store, Clock())
    old = mus(concept, "m1", ANNA)
    new = run(
        concept,
        old,
        ev.SaveSetup(
            LEADER.user_id,
            kind="MUS",
            participants=(BO,),
            starts_at="2026-03-10T10:00",
            workplace="Rådhuset",
        ),
    )
    await save(store, old)
    await index.write("m1")
    await save(store, new)
    await index.write("m1")
    late = placement(old)  # what a writer that loaded the older state would put, late
    for record in sorted(late.keys):
        await index._put(record, late, NOW)
    assert await live_ids(index, ANNA) == []  # the tombstone (version of the new state) wins
    (leader_entry,) = current(await index.entries_for(LEADER))
    assert leader_entry.version == new.version and leader_entry.others[0].name == "Bo Berg"


async def test_a_conversation_that_is_gone_leaves_no_record(
    store: ConversationStore, concept: Concept
) -> None:
    clock = Clock()
    index = YearIndex(store, clock)
    await save(store, mus(concept, "m1", ANNA))
    await save(store, mus(concept, "m2", BO))
    for cid in ("m1", "m2"):
        await index.write(cid)
    await store.delete(key("m1"))
    assert await index.write("m1") is None
    assert await live_ids(index, ANNA) == [] and await live_ids(index, LEADER) == ["m2"]
    assert await store.keys(person_key("aad-anna")) == []  # nothing left: deleted
    assert await store.keys(placed_key("m1")) == []
    await store.delete(key("m2"))
    await index.write("m2")
    assert await store.keys(PREFIX) == []


async def test_forget_and_prune(store: ConversationStore, concept: Concept) -> None:
    clock = Clock()
    index = YearIndex(store, clock)
    first = mus(concept, "m1", ANNA)
    await save(store, first)
    await index.write("m1")
    moved = run(
        concept,
        first,
        ev.SaveSetup(LEADER.user_id, kind="MUS", participants=(BO,), starts_at="2026-03-10T10:00"),
    )
    await save(store, moved)
    await index.write("m1")
    assert await store.keys(person_key("aad-anna"))  # a tombstone keeps it for a while
    clock.now = NOW + TOMBSTONE_AGE + timedelta(minutes=1)
    assert await index.prune(clock.now) == 2  # Anna's, and Rådhuset's (it has none now)
    assert await store.keys(person_key("aad-anna")) == []
    await index.forget({"aad-bo", "29:bo"})
    assert await live_ids(index, BO) == [] and await live_ids(index, LEADER) == ["m1"]


async def test_reindex_repairs_what_fell_behind(store: ConversationStore, concept: Concept) -> None:
    index = YearIndex(store, Clock())
    kept = mus(concept, "m1", ANNA, state="finished", agreements=[Agreed(ANNA, "2026-06-01")])
    await save(store, kept)
    await index.write("m1")
    # Behind: a conversation saved without its index, one deleted without taking it out, and
    # a record that holds what it should not.
    await save(store, replace(mus(concept, "m2", BO), index_pending=True))
    await save(store, mus(concept, "m3", BO, day="2026-04-01"))
    await index.write("m3")
    await store.delete(key("m3"))
    bogus = replace(placement(kept).people[person_key("aad-anna")], conversation_id="m9")
    await index._put(
        person_key("aad-anna"),
        replace(placement(kept), people={person_key("aad-anna"): bogus}),
        NOW,
    )
    report = await index.check()
    assert report.conversations == 2 and len(report.repaired) >= 3
    repaired = await index.reindex()
    assert repaired.repaired and (await index.check()).repaired == []
    assert await live_ids(index, BO) == ["m2"] and await live_ids(index, ANNA) == ["m1"]
    m2, _ = await store.load(key("m2"))
    assert m2 is not None and not m2.index_pending


async def test_the_change_path_marks_writes_and_clears(
    store: ConversationStore, concept: Concept
) -> None:
    tasks = Tasks()
    index = YearIndex(store, Clock())
    conversations = Conversations(store, concept, index=index, tasks=tasks)
    await save(store, mus(concept, "m1", ANNA, state="live"))
    await conversations.change("m1", LEADER, lambda a: ev.AddNote(a, "adfaerd", "En note"), NOW)
    stored, _ = await store.load(key("m1"))
    assert stored is not None and not stored.index_pending  # a note changes no summary
    assert await store.keys(PREFIX) == []  # and writes no index
    await conversations.change("m1", LEADER, lambda a: ev.Finish(a, no_goals=True), NOW)
    await tasks.drain()
    stored, _ = await store.load(key("m1"))
    assert stored is not None and not stored.index_pending
    (entry,) = current(await index.entries_for(ANNA))
    assert entry.state == "finished"
    assert (await index.check()).repaired == []
    # status in a 1:1 chat reads the index: a finished conversation is no longer under way
    assert await conversations.under_way_for(ANNA) == []


async def test_workplace_keys_group_spelling(store: ConversationStore) -> None:
    assert workplace_key(2026, "Rådhuset ") == workplace_key(2026, "rådhuset")
    assert workplace_key(2026, "Rådhuset") != workplace_key(2027, "Rådhuset")


async def test_a_failed_index_write_leaves_the_mark_and_the_next_save_repairs_it(
    tmp_path: Path, concept: Concept
) -> None:
    """The leader's record cannot be written (a directory stands where its file goes, so the
    file store fails on it): the conversation is saved and stays marked; once the record can be
    written, the conversation's next save, which changes nothing of its summary (a reminder's
    claim), writes its index and clears the mark."""
    store = FileStore(tmp_path / "state", CONVERSATION)
    tasks = Tasks()
    index = YearIndex(store, Clock())
    conversations = Conversations(store, concept, index=index, tasks=tasks)
    agreed = [Agreed(ANNA, "2026-03-20")]
    await save(store, mus(concept, "m1", ANNA, state="live", agreements=agreed))
    blocked = store.path_for(person_key("aad-leader"))
    blocked.mkdir(parents=True)
    await conversations.change("m1", LEADER, lambda a: ev.Finish(a, no_goals=True), NOW)
    await tasks.drain()
    stored, _ = await store.load(key("m1"))
    assert stored is not None and stored.phase == "closed" and stored.index_pending

    blocked.rmdir()
    assert await live_ids(index, LEADER) == [] and await live_ids(index, ANNA) == ["m1"]
    assert person_key("aad-leader") in (await index.check()).repaired
    agreement_id = stored.agreements[0].id
    claim = ev.ClaimReminder("samtaleguide", agreement_id=agreement_id, day="2026-04-01")
    claimed = await conversations.change_as("m1", claim, NOW)
    assert claimed.conversation.follow_ups[0].reminded_on == "2026-04-01"
    await tasks.drain()
    stored, _ = await store.load(key("m1"))
    assert stored is not None and not stored.index_pending
    assert await live_ids(index, LEADER) == ["m1"]
    assert (await index.check()).repaired == []
