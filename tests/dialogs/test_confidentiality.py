"""Who can read along, in the domain: a MUS or LUS only where nobody else can; a GRUS's onlookers
are known; people who left the chat may neither read nor act; starting unprepared asks first."""

from __future__ import annotations

import pytest

from dialogs import events as ev
from dialogs.access import member
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Conversation, Person
from dialogs.errors import NotParticipant, NotPrivate, Unprepared
from dialogs.transitions import apply, new_conversation
from tests.dialogs.test_transitions import (
    KW,
    LEADER,
    MEMBERS,
    NOW,
    PLACE,
    prepared,
    run,
    setup_event,
)

EMPLOYEE = MEMBERS[0]
STRANGERS = (Person("u-7", "Anne Andersen"), Person("u-8", "Bo Bech"))


@pytest.fixture
def concept() -> Concept:
    return load_concept(default_concept_path())


def mus_setup(audience: tuple[Person, ...] | None) -> ev.SaveSetup:
    return ev.SaveSetup(LEADER.user_id, kind="MUS", participants=(EMPLOYEE,), audience=audience)


def fresh(concept: Concept, kind: str = "MUS") -> Conversation:
    return new_conversation(
        conversation_id="c1", concept=concept, kind=kind, leader=LEADER, place=PLACE, now=NOW
    )


@pytest.mark.parametrize(
    "audience",
    [None, (LEADER, EMPLOYEE)],
    ids=["from the leader's 1:1 chat", "a chat of exactly the two"],
)
def test_a_mus_is_set_up_where_nobody_else_reads(
    concept: Concept, audience: tuple[Person, ...] | None
) -> None:
    conv = run(fresh(concept), mus_setup(audience), concept)
    assert conv.phase == "preparation" and conv.private


def test_a_mus_in_a_larger_chat_is_refused_naming_who_else_reads(concept: Concept) -> None:
    with pytest.raises(NotPrivate) as refused:
        apply(fresh(concept), mus_setup((LEADER, EMPLOYEE, *STRANGERS)), concept, NOW)
    assert refused.value.params == {"names": "Anne Andersen, Bo Bech", "kind": "MUS"}


def test_a_grus_knows_its_onlookers(concept: Concept) -> None:
    audience = (LEADER, *MEMBERS, *STRANGERS)
    conv = run(fresh(concept, "GRUS"), setup_event(audience=audience), concept)
    assert conv.onlookers == ("u-7", "u-8") and not conv.private


def prepared_mus(concept: Concept) -> Conversation:
    conv = run(fresh(concept), mus_setup((LEADER, EMPLOYEE)), concept)
    for person in (LEADER, EMPLOYEE):
        conv = run(conv, ev.ChooseKeywords(person.user_id, KW), concept)
    return conv


@pytest.mark.parametrize("when", ["start", "finish"])
def test_someone_added_to_a_mus_chat_meanwhile_stops_start_and_finish(
    concept: Concept, when: str
) -> None:
    conv = prepared_mus(concept)
    crowded = (LEADER, EMPLOYEE, STRANGERS[0])
    if when == "finish":
        conv = run(conv, ev.StartLive(LEADER.user_id, audience=(LEADER, EMPLOYEE)), concept)
        event: ev.Event = ev.Finish(LEADER.user_id, audience=crowded)
    else:
        event = ev.StartLive(LEADER.user_id, audience=crowded)
    with pytest.raises(NotPrivate) as refused:
        apply(conv, event, concept, NOW)
    assert refused.value.params["names"] == "Anne Andersen"


def test_starting_with_people_unprepared_asks_first(concept: Concept) -> None:
    conv = run(fresh(concept, "GRUS"), setup_event(), concept)
    conv = run(conv, ev.ChooseKeywords(LEADER.user_id, KW), concept)
    with pytest.raises(Unprepared) as asked:
        apply(conv, ev.StartLive(LEADER.user_id), concept, NOW)
    assert asked.value.params == {"count": 3, "keywords": True}
    started, _ = apply(conv, ev.StartLive(LEADER.user_id, force=True), concept, NOW)
    assert started.phase == "live"


def test_who_left_the_chat_may_neither_read_nor_act(concept: Concept) -> None:
    conv = run(prepared(concept), ev.StartLive(LEADER.user_id), concept)
    conv = run(conv, ev.ChatMembersChanged("system", removed=(MEMBERS[1].user_id,)), concept)
    with pytest.raises(NotParticipant):
        member(conv, MEMBERS[1].user_id)
    with pytest.raises(NotParticipant):
        apply(conv, ev.AddNote(MEMBERS[1].user_id, "adfaerd", "Hej"), concept, NOW)
    back = run(conv, ev.ChatMembersChanged("system", added=(MEMBERS[1],)), concept)
    assert member(back, MEMBERS[1].user_id).user_id == MEMBERS[1].user_id


def test_a_newcomer_to_a_grus_chat_becomes_an_onlooker_and_the_card_is_edited(
    concept: Concept,
) -> None:
    conv = run(prepared(concept), ev.StartLive(LEADER.user_id), concept)
    changed, effects = apply(
        conv, ev.ChatMembersChanged("system", added=(STRANGERS[0],)), concept, NOW
    )
    assert changed.onlookers == ("u-7",) and effects
    unchanged, nothing = apply(changed, ev.ChatMembersChanged("system"), concept, NOW)
    assert unchanged is changed and nothing == ()


def test_a_participant_who_left_is_marked_at_start(concept: Concept) -> None:
    audience = (LEADER, *MEMBERS[:2])  # MEMBERS[2] left the chat before the meeting
    conv = run(prepared(concept), ev.StartLive(LEADER.user_id, audience=audience), concept)
    assert conv.participant(MEMBERS[2].user_id).left  # type: ignore[union-attr]
    assert not conv.participant(MEMBERS[0].user_id).left  # type: ignore[union-attr]


def test_an_erased_persons_pseudonym_is_keyed_and_cannot_be_recomputed(concept: Concept) -> None:
    import hashlib

    from dialogs.privacy import ERASED_NAME, forget

    conv = run(prepared(concept), ev.StartLive(LEADER.user_id), concept)
    conv = run(conv, ev.AddNote(MEMBERS[0].user_id, "adfaerd", "Medarbejder 1 siger hej"), concept)
    person = frozenset({MEMBERS[0].aad_object_id or MEMBERS[0].user_id})
    one = forget(conv, person, key=b"a" * 32, names=frozenset({MEMBERS[0].name}))
    two = forget(conv, person, key=b"b" * 32, names=frozenset({MEMBERS[0].name}))
    assert one is not None and two is not None
    first, second = one.participants[1].user_id, two.participants[1].user_id
    assert first.startswith("erased-") and first != second
    bare = hashlib.sha256(MEMBERS[0].user_id.encode()).hexdigest()
    assert bare[:12] not in first
    assert one.live.last_actor == first and one.notes[-1].author_id == first
    assert one.notes[-1].text == f"{ERASED_NAME} siger hej"
    assert forget(conv, frozenset({"u-nobody"}), key=b"a" * 32) is None
