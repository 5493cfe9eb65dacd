"""``bot.conversations.Conversations``: presses grouped into one save, each answered on its own,
and a press whose answer was lost after its save is a no-op when Teams delivers it again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.conversations import Conversations, Refused
from dialogs import events as ev
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Conversation
from dialogs.errors import NotPermitted
from storage.file_store import FileStore
from storage.schemas import CONVERSATION
from tests.dialogs.test_transitions import AGREEMENT, LEADER, MEMBERS, NOW, in_live
from tests.storage.test_commit import GatedStore

KEY_ID = "c1"


@pytest.fixture
def concept() -> Concept:
    return load_concept(default_concept_path())


async def live_store(tmp_path: Path, concept: Concept) -> FileStore[Conversation]:
    store = FileStore(tmp_path / "state", CONVERSATION)
    await store.save(f"conversations/{KEY_ID}", in_live(concept), None)
    return store


def add(request_id: str) -> Callable[[str], ev.Event]:
    return lambda actor: ev.AddAgreement(actor, fields=AGREEMENT, request_id=request_id)


async def test_a_refused_press_among_accepted_ones_in_one_save(
    tmp_path: Path, concept: Concept
) -> None:
    store = await live_store(tmp_path, concept)
    gate = GatedStore(store)
    conversations = Conversations(gate, concept)
    gate.hold()
    first = asyncio.create_task(conversations.change(KEY_ID, MEMBERS[0], add("r-0"), NOW))
    await gate.held.wait()
    adds = [
        asyncio.create_task(conversations.change(KEY_ID, MEMBERS[i], add(f"r-{i}"), NOW))
        for i in (1, 2)
    ]
    stranger_moves = asyncio.create_task(
        conversations.change(
            KEY_ID, MEMBERS[0], lambda actor: ev.Move(actor, to=3, request_id="r-x"), NOW
        )
    )
    await asyncio.sleep(0)
    gate.release()
    changed = await asyncio.gather(first, *adds)
    with pytest.raises(Refused) as refused:
        await stranger_moves
    assert isinstance(refused.value.refusal, NotPermitted)  # only facilitators move
    assert refused.value.latest is not None and refused.value.actor == MEMBERS[0].user_id
    assert gate.saves == 2  # the first alone, then the other three in one
    saved = changed[-1].conversation
    assert [a.author_id for a in saved.agreements][-3:] == [m.user_id for m in MEMBERS]
    assert all(c.effects for c in changed)  # each accepted press has its own effects
    assert saved.live.position == 0  # the refused move left nothing


async def test_a_press_redelivered_after_a_lost_answer_changes_nothing(
    tmp_path: Path, concept: Concept
) -> None:
    """The save landed, then the process died before answering; Teams delivers the same press
    (same activity id) to the restarted bot: it is a no-op, nothing is stored twice."""
    store = await live_store(tmp_path, concept)
    before = Conversations(store, concept)
    await before.change(KEY_ID, MEMBERS[0], add("act-42"), NOW)
    restarted = Conversations(FileStore(tmp_path / "state", CONVERSATION), concept)
    again = await restarted.change(KEY_ID, MEMBERS[0], add("act-42"), NOW)
    assert again.effects == ()
    assert len(again.conversation.agreements) == 1
    stored, _ = await store.load(f"conversations/{KEY_ID}")
    assert stored == again.conversation


async def test_setup_created_twice_by_a_redelivered_press_exists_once(
    tmp_path: Path, concept: Concept
) -> None:
    from dialogs.transitions import new_conversation

    store = FileStore(tmp_path / "state", CONVERSATION)
    conversations = Conversations(store, concept)

    def fresh() -> Conversation:
        return new_conversation(
            conversation_id="new-1", concept=concept, kind="GRUS", leader=LEADER, place="p", now=NOW
        )

    def setup(actor: str) -> ev.Event:
        return ev.SaveSetup(actor, kind="GRUS", participants=MEMBERS, request_id="press-1")

    created = await asyncio.gather(
        *(conversations.change("new-1", LEADER, setup, NOW, create=fresh) for _ in range(3))
    )
    assert sum(1 for c in created if c.effects) == 1  # prompted once
    assert await store.keys("conversations/") == ["conversations/new-1"]
