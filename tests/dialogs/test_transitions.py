"""Pure transitions, table-driven: no adapter, no storage, no clock but the one passed in."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from dialogs import events as ev
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Approval, Conversation, Person
from dialogs.effects import (
    ConversationFinished,
    PostKeywordSummary,
    PostLiveCard,
    RefreshPrompts,
    SendPrompts,
    SendReminders,
    UpdateLiveCard,
    UpdateStatusCard,
)
from dialogs.errors import (
    AlreadyDone,
    ConversationClosed,
    DomainError,
    InvalidField,
    InvalidKeywords,
    NotParticipant,
    NotPermitted,
    StaleCard,
    UnknownItem,
    WrongPhase,
)
from dialogs.transitions import apply, new_conversation

NOW = datetime(2026, 11, 22, 10, 0)
PLACE = "group-chat-place"
LEADER = Person("u-leader", "Lene Leder")
MEMBERS = tuple(Person(f"u-{i}", f"Medarbejder {i}") for i in range(1, 4))
KW = ("Motivation", "Relationer", "Senior")


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


def run(conv: Conversation, event: ev.Event, concept: Concept) -> Conversation:
    return apply(conv, event, concept, NOW)[0]


def setup_event(**overrides: object) -> ev.SaveSetup:
    values: dict[str, object] = {
        "actor": LEADER.user_id,
        "kind": "GRUS",
        "participants": MEMBERS,
        "starts_at": "2026-12-01T09:00",
    }
    values.update(overrides)
    return ev.SaveSetup(**values)  # type: ignore[arg-type]


def in_setup(concept: Concept) -> Conversation:
    return new_conversation(
        conversation_id="c1", concept=concept, kind="GRUS", leader=LEADER, place=PLACE, now=NOW
    )


def in_preparation(concept: Concept) -> Conversation:
    return run(in_setup(concept), setup_event(), concept)


def prepared(concept: Concept) -> Conversation:
    conv = in_preparation(concept)
    for p in conv.participants:
        conv = run(conv, ev.ChooseKeywords(p.user_id, KW), concept)
    return conv


def in_live(concept: Concept, **setup: object) -> Conversation:
    conv = run(in_setup(concept), setup_event(**setup), concept)
    return run(conv, ev.StartLive(LEADER.user_id, force=True), concept)


def closed(concept: Concept) -> Conversation:
    return run(in_live(concept), ev.Finish(LEADER.user_id), concept)


AGREEMENT = ev.AgreementFields(
    perspective_id="adfaerd",
    what="Sparring hver uge",
    when="Fra januar",
    who="Alle",
    responsible="Lene",
    follow_up="2027-03-01",
)

REFUSALS = [
    # (name, state, event, error)
    ("setup by a non-leader", in_preparation, setup_event(actor="u-1"), NotPermitted),
    ("setup by a stranger", in_setup, setup_event(actor="u-x"), NotParticipant),
    ("GRUS with one member", in_setup, setup_event(participants=MEMBERS[:1]), InvalidField),
    ("MUS with two", in_setup, setup_event(kind="MUS", participants=MEMBERS[:2]), InvalidField),
    ("unknown kind", in_setup, setup_event(kind="XYZ"), InvalidField),
    ("unknown variant", in_setup, setup_event(variant="puzzle"), InvalidField),
    ("duration too long", in_setup, setup_event(duration_minutes=900), InvalidField),
    ("start in the past", in_setup, setup_event(starts_at="2026-11-01T09:00"), InvalidField),
    ("start malformed", in_setup, setup_event(starts_at="tomorrow"), InvalidField),
    ("rewording unknown question", in_setup, setup_event(wording={"q99": "x"}), InvalidField),
    ("rewording too long", in_setup, setup_event(wording={"q1": "x" * 501}), InvalidField),
    ("co-facilitator not a member", in_setup, setup_event(co_facilitator="u-x"), InvalidField),
    ("setup once live", in_live, setup_event(), WrongPhase),
    ("four keywords", in_preparation, ev.ChooseKeywords("u-1", (*KW, "Mod")), InvalidKeywords),
    ("two keywords", in_preparation, ev.ChooseKeywords("u-1", KW[:2]), InvalidKeywords),
    ("repeated keyword", in_preparation, ev.ChooseKeywords("u-1", (KW[0],) * 3), InvalidKeywords),
    (
        "keyword not in concept",
        in_preparation,
        ev.ChooseKeywords("u-1", ("Kaffe", *KW[:2])),
        InvalidKeywords,
    ),
    (
        "case-changed keyword",
        in_preparation,
        ev.ChooseKeywords("u-1", ("motivation", *KW[1:])),
        InvalidKeywords,
    ),
    ("keywords from a stranger", in_preparation, ev.ChooseKeywords("u-x", KW), NotParticipant),
    ("keywords in setup", in_setup, ev.ChooseKeywords(LEADER.user_id, KW), WrongPhase),
    ("keywords once live", in_live, ev.ChooseKeywords("u-1", KW), WrongPhase),
    (
        "prep note too long",
        in_preparation,
        ev.ChooseKeywords("u-1", KW, {"adfaerd": "x" * 2001}),
        InvalidField,
    ),
    (
        "prep note unknown perspective",
        in_preparation,
        ev.ChooseKeywords("u-1", KW, {"zzz": "x"}),
        InvalidField,
    ),
    ("remind by a member", in_preparation, ev.RemindUnprepared("u-1"), NotPermitted),
    ("start by a member", in_preparation, ev.StartLive("u-1"), NotPermitted),
    ("start from setup", in_setup, ev.StartLive(LEADER.user_id), WrongPhase),
    ("member moves", in_live, ev.Move("u-1", to=1), NotPermitted),
    ("stranger moves", in_live, ev.Move("u-x", to=1), NotParticipant),
    ("move past the end", in_live, ev.Move(LEADER.user_id, to=9), InvalidField),
    ("jump in a skema", in_live, ev.Move(LEADER.user_id, to=5, jump=True), NotPermitted),
    ("stale card move", in_live, ev.Move(LEADER.user_id, to=2, expected=1), StaleCard),
    ("member finishes", in_live, ev.Finish("u-1"), NotPermitted),
    ("empty note", in_live, ev.AddNote("u-1", "adfaerd", " \x00\x07 "), InvalidField),
    ("note from a stranger", in_live, ev.AddNote("u-x", "adfaerd", "hej"), NotParticipant),
    (
        "agreement without what",
        in_live,
        ev.AddAgreement("u-1", replace(AGREEMENT, what="")),
        InvalidField,
    ),
    (
        "follow-up in the past",
        in_live,
        ev.AddAgreement("u-1", replace(AGREEMENT, follow_up="2026-11-21")),
        InvalidField,
    ),
    (
        "follow-up malformed",
        in_live,
        ev.AddAgreement("u-1", replace(AGREEMENT, follow_up="snart")),
        InvalidField,
    ),
    (
        "agreement unknown perspective",
        in_live,
        ev.AddAgreement("u-1", replace(AGREEMENT, perspective_id="x")),
        InvalidField,
    ),
    ("edit unknown agreement", in_live, ev.EditAgreement("u-1", "a99", AGREEMENT), UnknownItem),
    ("remove unknown agreement", in_live, ev.RemoveAgreement("u-1", "a99"), UnknownItem),
    ("mark a keyword nobody chose", in_live, ev.MarkKeyword("u-1", "u-2", "Mod"), UnknownItem),
    ("anything once closed", closed, ev.AddNote("u-1", "adfaerd", "hej"), ConversationClosed),
    ("finish twice", closed, ev.Finish(LEADER.user_id), ConversationClosed),
]


@pytest.mark.parametrize(
    ("name", "state", "event", "error"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_refusals_raise_typed_errors_and_change_nothing(
    concept: Concept, name: str, state, event: ev.Event, error: type[DomainError]
) -> None:
    before = state(concept)
    with pytest.raises(error):
        apply(before, event, concept, NOW)
    assert state(concept) == before


def test_setup_moves_to_preparation_and_prompts_everyone(concept: Concept) -> None:
    conv, effects = apply(in_setup(concept), setup_event(co_facilitator="u-2"), concept, NOW)
    assert conv.phase == "preparation"
    assert [p.role for p in conv.participants] == [
        "leader",
        "participant",
        "co_facilitator",
        "participant",
    ]
    assert effects == (SendPrompts(("u-leader", "u-1", "u-2", "u-3")),)
    assert conv.setup.duration_minutes == 120  # the guidance's default for GRUS
    assert conv.version == 2


def test_editing_setup_prompts_only_newcomers_and_refreshes_the_others_cards(
    concept: Concept,
) -> None:
    conv = in_preparation(concept)
    newcomer = Person("u-9", "Ny Kollega")
    conv2, effects = apply(conv, setup_event(participants=(*MEMBERS, newcomer)), concept, NOW)
    kept = tuple(p.user_id for p in conv.participants)
    assert effects == (SendPrompts(("u-9",)), RefreshPrompts(kept), UpdateStatusCard())
    assert conv2.participant("u-9") is not None


def test_keywords_are_stored_in_concept_order_and_shared_when_all_have_chosen(
    concept: Concept,
) -> None:
    conv = in_preparation(concept)
    ids = [p.user_id for p in conv.participants]
    for uid in ids[:-1]:
        conv, effects = apply(
            conv, ev.ChooseKeywords(uid, ("Senior", "Motivation", "Mod")), concept, NOW
        )
        assert effects == (UpdateStatusCard(),)  # one more has prepared
    _, again = apply(conv, ev.ChooseKeywords(ids[0], KW), concept, NOW)
    assert again == ()  # a change of mind changes nobody's status
    conv, effects = apply(conv, ev.ChooseKeywords(ids[-1], KW), concept, NOW)
    assert effects == (UpdateStatusCard(), PostKeywordSummary())
    assert conv.participant(ids[0]).keywords == ("Motivation", "Senior", "Mod")  # type: ignore[union-attr]
    assert conv.keywords_shared_at is not None


def test_private_notes_are_cleaned(concept: Concept) -> None:
    conv = run(
        in_preparation(concept),
        ev.ChooseKeywords("u-1", KW, {"adfaerd": "  Trivsel\x00 og \u202eglæde 😀\r\n"}),
        concept,
    )
    assert conv.participant("u-1").prep_notes == {"adfaerd": "Trivsel og glæde 😀"}  # type: ignore[union-attr]


def test_names_from_teams_are_cleaned_and_cut_never_refused(concept: Concept) -> None:
    """Up to Entra's 256 characters a name is kept whole; a longer one is cut; bidirectional
    controls and marks are removed (they could make a name read as another)."""
    longest = "Å" * 255 + "x"
    longer = Person("u-1", "B" * 300)
    marked = Person("u-2", "\u200fAli\u061c \u2066Khan\u2069\u200e \u202eSen\u202c")
    leader = Person("u-leader", longest)
    conv = new_conversation(
        conversation_id="c-names", concept=concept, kind="GRUS", leader=leader, place="", now=NOW
    )
    event = setup_event(participants=(longer, marked, MEMBERS[2]))
    conv = run(conv, event, concept)
    assert [p.name for p in conv.participants] == [
        longest,
        "B" * 256,
        "Ali Khan Sen",
        "Medarbejder 3",
    ]


def test_typed_text_loses_bidirectional_marks_too(concept: Concept) -> None:
    note = "\u200eTrivsel\u200f og \u061cglæde\u2068 😀\u2069"
    conv = run(in_preparation(concept), ev.ChooseKeywords("u-1", KW, {"adfaerd": note}), concept)
    assert conv.participant("u-1").prep_notes == {"adfaerd": "Trivsel og glæde 😀"}  # type: ignore[union-attr]


def test_remind_targets_only_the_unprepared(concept: Concept) -> None:
    conv = run(in_preparation(concept), ev.ChooseKeywords("u-1", KW), concept)
    _, effects = apply(conv, ev.RemindUnprepared(LEADER.user_id), concept, NOW)
    assert effects == (SendReminders(("u-leader", "u-2", "u-3")),)


def test_live_walk_and_agreements(concept: Concept) -> None:
    conv, effects = apply(prepared(concept), ev.StartLive(LEADER.user_id), concept, NOW)
    everyone = tuple(p.user_id for p in conv.participants)
    assert (conv.phase, effects) == (
        "live",
        (PostLiveCard(), RefreshPrompts(everyone), UpdateStatusCard()),
    )
    conv, effects = apply(conv, ev.Move(LEADER.user_id, to=1, expected=0), concept, NOW)
    assert conv.live.position == 1 and effects == (UpdateLiveCard(),)
    conv = run(conv, ev.AddAgreement("u-2", AGREEMENT, request_id="r1"), concept)
    conv = run(
        conv, ev.AddAgreement("u-3", replace(AGREEMENT, what="Kursus"), request_id="r2"), concept
    )
    first, second = (a.id for a in conv.agreements)
    assert first != second
    conv = run(
        conv,
        ev.EditAgreement("u-1", first, replace(AGREEMENT, what="Sparring hver 14. dag")),
        concept,
    )
    assert conv.agreements[0].what == "Sparring hver 14. dag"
    conv = run(conv, ev.RemoveAgreement("u-1", second), concept)
    conv = run(
        conv, ev.AddAgreement("u-1", replace(AGREEMENT, what="Ny"), request_id="r3"), concept
    )
    assert conv.agreements[0].id == first
    assert conv.agreements[1].id not in (first, second)  # ids are never reused
    conv = run(conv, ev.MarkKeyword("u-1", owner_id="u-2", keyword="Senior"), concept)
    assert len(conv.live.covered) == 1
    conv, effects = apply(conv, ev.Finish(LEADER.user_id), concept, NOW)
    assert conv.phase == "closed"
    assert effects == (UpdateLiveCard(), ConversationFinished())


def test_a_redelivered_request_changes_nothing(concept: Concept) -> None:
    conv = run(in_live(concept), ev.AddAgreement("u-1", AGREEMENT, request_id="same"), concept)
    again, effects = apply(conv, ev.AddAgreement("u-1", AGREEMENT, request_id="same"), concept, NOW)
    assert again is conv and effects == ()


def test_puslespil_allows_jumping(concept: Concept) -> None:
    conv = in_live(concept, variant="puslespil")
    conv = run(conv, ev.Move(LEADER.user_id, to=7, jump=True), concept)
    assert conv.live.position == 7


def test_co_facilitator_may_move_and_extra_questions_follow_the_nine(concept: Concept) -> None:
    conv = in_live(concept, co_facilitator="u-1", extra_questions=(("opgaver", "Hvad med IT?"),))
    conv = run(conv, ev.Move("u-1", to=9), concept)
    assert conv.live.position == 9


def closed_with_follow_ups(concept: Concept) -> Conversation:
    conv = in_live(concept)
    conv = run(conv, ev.AddAgreement("u-1", replace(AGREEMENT, responsible="u-2")), concept)
    conv = run(conv, ev.AddAgreement("u-1", replace(AGREEMENT, follow_up="")), concept)
    return run(conv, ev.Finish(LEADER.user_id, "Aftale 1 må deles med HR", "2027-06-01"), concept)


def test_finishing_records_confidentiality_and_follow_ups(concept: Concept) -> None:
    conv = closed_with_follow_ups(concept)
    assert conv.confidentiality == "Aftale 1 må deles med HR"
    assert conv.next_follow_up == "2027-06-01"
    assert [(f.due, f.reminded_on) for f in conv.follow_ups] == [("2027-03-01", "")]
    first = conv.agreements[0]
    assert (first.responsible, first.responsible_id) == ("Medarbejder 2", "u-2")


def test_a_reminder_is_claimed_once_per_day_and_follow_ups_can_be_done_or_moved(
    concept: Concept,
) -> None:
    conv = closed_with_follow_ups(concept)
    agreement_id = conv.follow_ups[0].agreement_id
    with pytest.raises(AlreadyDone):  # not due yet
        apply(conv, ev.ClaimReminder("bot", agreement_id, "2027-02-28"), concept, NOW)
    claimed = run(conv, ev.ClaimReminder("bot", agreement_id, "2027-03-01"), concept)
    assert claimed.follow_ups[0].reminded_on == "2027-03-01"
    with pytest.raises(AlreadyDone):  # a second instance loses the claim
        apply(claimed, ev.ClaimReminder("bot", agreement_id, "2027-03-01"), concept, NOW)
    moved = run(claimed, ev.MoveFollowUp("u-2", agreement_id, "2027-04-01"), concept)
    assert (moved.follow_ups[0].due, moved.follow_ups[0].reminded_on) == ("2027-04-01", "")
    done = run(moved, ev.CompleteFollowUp("u-2", agreement_id), concept)
    assert done.follow_ups[0].done_at
    again, effects = apply(done, ev.CompleteFollowUp("u-2", agreement_id), concept, NOW)
    assert again is done and effects == ()
    with pytest.raises(NotParticipant):
        apply(done, ev.MoveFollowUp("u-x", agreement_id, "2027-05-01"), concept, NOW)
    with pytest.raises(InvalidField):
        apply(done, ev.MoveFollowUp("u-2", agreement_id, "2020-01-01"), concept, NOW)
    with pytest.raises(ConversationClosed):  # the plan itself no longer changes
        apply(done, ev.AddNote("u-2", "adfaerd", "for sent"), concept, NOW)


@pytest.mark.parametrize(
    ("version", "approvers", "approved"),
    [
        (0, (), False),
        (1, ("u-leader", "u-1", "u-2", "u-3"), True),
        (1, ("u-leader", "u-1", "u-2"), False),
        (2, ("u-leader", "u-1", "u-2", "u-3"), False),
    ],
    ids=["no plan yet", "everyone approved", "one missing", "a newer version since"],
)
def test_the_plan_is_approved_when_everyone_approved_its_newest_version(
    concept: Concept, version: int, approvers: tuple[str, ...], approved: bool
) -> None:
    conv = in_preparation(concept)
    approvals = tuple(Approval(user_id, 1, NOW.isoformat()) for user_id in approvers)
    assert replace(conv, plan_version=version, approvals=approvals).plan_approved is approved
