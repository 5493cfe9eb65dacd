"""``dialogs.summary`` and ``dialogs.round``: what the index holds of a conversation, and the
year's lists and figures made from it, purely."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from dialogs import events as ev
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Conversation, Person
from dialogs.privacy import forget
from dialogs.round import current, figures, led, missing_this_year, my_agreements
from dialogs.summary import (
    Due,
    Named,
    PersonEntry,
    RoundEntry,
    may_differ,
    person_entries,
    round_entry,
    state_of,
    summarize,
    workplace_group,
)
from dialogs.transitions import apply
from tests.support.rounds import Agreed, held_on

LEADER = Person("29:leader", "Lene Leder", "aad-leader")
ANNA = Person("29:anna", "Anna Andersen", "aad-anna")
BO = Person("29:bo", "Bo Berg", "aad-bo")
CARL = Person("29:carl", "Carl Clausen", "")  # no Entra id known: indexed by Teams id
DINA = Person("29:dina", "Dina Dahl", "aad-dina")


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


def mus(
    concept: Concept, cid: str, employee: Person, day: str, state: str, **more: object
) -> Conversation:
    return held_on(
        concept,
        cid,
        kind="MUS",
        leader=LEADER,
        others=[employee],
        day=day,
        state=state,
        **more,  # type: ignore[arg-type]
    )


def test_the_states_follow_the_conversation(concept: Concept) -> None:
    states = ["set_up", "preparing", "live", "finished", "approved"]
    for state in states:
        conversation = mus(concept, f"c-{state}", ANNA, "2026-03-10", state)
        assert state_of(conversation) == state
        assert summarize(conversation).state == state
    # without every participant's approval of the newest version it is only finished
    closed = mus(concept, "c-closed", ANNA, "2026-03-10", "approved")
    assert state_of(replace(closed, approvals=closed.approvals[:1])) == "finished"


def test_a_summary_holds_no_content(concept: Concept) -> None:
    conversation = mus(
        concept,
        "c1",
        ANNA,
        "2026-03-10",
        "finished",
        agreements=[Agreed(ANNA, "2026-06-01", what="Hemmelig aftaletekst")],
    )
    text = repr(summarize(conversation)) + repr(round_entry(summarize(conversation), 9))
    for content in ("Hemmelig aftaletekst", "Trivsel og arbejdsglæde", "Motivation"):
        assert content not in text
    workplace = round_entry(summarize(conversation), 9)
    assert "Anna" not in repr(workplace) and "aad-anna" not in repr(workplace)
    assert workplace == RoundEntry("c1", 9, "MUS", "finished", 1, 0, ("2026-06-01",))


def test_each_participant_gets_an_entry_under_their_key(concept: Concept) -> None:
    conversation = held_on(
        concept,
        "g1",
        kind="GRUS",
        leader=LEADER,
        others=[ANNA, CARL, DINA],
        co_facilitator=DINA,
        day="2026-05-02",
        state="finished",
        agreements=[Agreed(CARL, "2026-09-01"), Agreed(ANNA, "2026-08-01", done=True)],
    )
    entries = person_entries(summarize(conversation), conversation.version)
    assert set(entries) == {"aad-leader", "aad-anna", "29:carl", "aad-dina"}
    carl = entries["29:carl"]
    assert (carl.role, carl.people, carl.others, carl.day) == ("participant", 4, (), "2026-05-02")
    assert [(d.due, d.done) for d in carl.mine] == [("2026-09-01", False)]
    assert entries["aad-dina"].role == "co_facilitator" and entries["aad-dina"].mine == ()
    assert entries["aad-leader"].next_follow_up == "2026-09-01"  # the earliest open one


def test_may_differ_never_misses_a_changed_summary(concept: Concept) -> None:
    """Every transition of a conversation's life: whenever the summary changed, ``may_differ``
    said it might (the presses it rules out change nothing of it)."""
    conversation = mus(concept, "c1", ANNA, "2026-03-10", "live")
    steps: list[ev.Event] = [
        ev.AddNote(LEADER.user_id, "adfaerd", "En note"),
        ev.Move(LEADER.user_id, to=1),
        ev.AddAgreement(
            LEADER.user_id,
            ev.AgreementFields(
                "adfaerd", "Aftale", responsible=ANNA.user_id, follow_up="2026-05-01"
            ),
        ),
        ev.Finish(LEADER.user_id),
    ]
    now = datetime(2026, 3, 10, 11, 0)
    seen = 0
    for event in steps:
        after = apply(conversation, event, concept, now)[0]
        if summarize(after) != summarize(conversation):
            seen += 1
            assert may_differ(conversation, after), event
        conversation = after
    after = apply(
        conversation, ev.CompleteFollowUp(ANNA.user_id, conversation.agreements[0].id), concept, now
    )[0]
    assert summarize(after) != summarize(conversation) and may_differ(conversation, after)
    assert seen == 1  # only finishing changed it; notes, moves and a live agreement did not


def test_an_erased_participant_is_not_indexed(concept: Concept) -> None:
    conversation = mus(
        concept, "c1", ANNA, "2026-03-10", "finished", agreements=[Agreed(ANNA, "2026-06-01")]
    )
    erased = forget(conversation, frozenset({ANNA.user_id}), key=b"k" * 32)
    assert erased is not None
    summary = summarize(erased)
    assert [m.key for m in summary.members] == ["aad-leader"]
    assert summary.agreements[0].responsible == ""
    assert "erased" not in repr(person_entries(summary, erased.version))


def test_workplaces_are_grouped_without_case_and_spacing() -> None:
    assert workplace_group("  Rådhuset   Vest ") == workplace_group("rådhuset vest")
    assert workplace_group("Rådhuset") != workplace_group("Rådhuset Vest")


def entry(
    cid: str, day: str, state: str, others: tuple[tuple[str, str], ...] = (), **more: object
) -> PersonEntry:
    values: dict[str, object] = {
        "kind": "MUS",
        "state": state,
        "day": day,
        "role": "leader",
        "others": tuple(Named(k, n) for k, n in others),
    }
    values.update(more)
    return PersonEntry(cid, 1, **values)  # type: ignore[arg-type]


def test_mine_samtaler_lists_last_year_this_year_and_later_by_state() -> None:
    entries = [
        entry("j", "2027-01-15", "set_up"),  # set up in December for January: listed first
        entry("a", "2026-04-01", "preparing"),
        entry("b", "2026-02-01", "finished"),
        entry("c", "2025-06-01", "approved"),
        entry("d", "2024-06-01", "approved"),  # two years ago: not listed
        entry("e", "2026-01-10", "set_up", role="participant"),  # not theirs to lead
        entry("f", "2026-01-11", "live", role="co_facilitator"),
        entry("g", "2026-01-12", "live", left=True),  # left the chat
        replace(entry("h", "2026-01-13", "live"), removed="2026-01-14T00:00:00"),  # tombstone
        entry("i", "2026-03-01", "set_up"),
    ]
    assert [e.conversation_id for e in led(entries, 2026)] == ["j", "i", "a", "f", "b", "c"]


def test_mangler_i_aar_names_whom_no_mus_was_held_with_this_year() -> None:
    anna, bo, carl, dina = (
        ("k-anna", "Anna"),
        ("k-bo", "Bo"),
        ("k-carl", "Carl"),
        ("k-dina", "Dina"),
    )
    entries = [
        entry("last-anna", "2025-03-01", "approved", (anna,)),
        entry("last-bo", "2025-04-01", "finished", (bo,)),
        entry("last-carl", "2025-05-01", "live", (carl,)),
        entry("last-dina", "2025-05-02", "preparing", (dina,)),  # never held: not missing
        entry("now-anna", "2026-03-01", "finished", (anna,)),  # held this year
        entry("now-bo", "2026-06-01", "set_up", (bo,)),  # planned, not held yet
        entry("grus", "2025-03-01", "finished", (("k-eva", "Eva"),), kind="GRUS"),
        entry("theirs", "2025-03-01", "finished", (("k-finn", "Finn"),), role="participant"),
    ]
    missing = missing_this_year(entries, 2026)
    assert [(m.name, m.last, m.planned) for m in missing] == [
        ("Bo", "2025-04-01", "2026-06-01"),
        ("Carl", "2025-05-01", ""),
    ]


def test_mine_aftaler_open_first_by_date_then_done() -> None:
    entries = [
        entry(
            "m",
            "2025-03-01",
            "finished",
            mine=(Due("a1", "2025-09-01", True), Due("a2", "2026-05-01")),
        ),
        entry(
            "g",
            "2026-02-01",
            "approved",
            kind="GRUS",
            role="participant",
            mine=(Due("a9", "2026-04-01"), Due("a8", "")),
        ),
        entry("live", "2026-02-02", "live", mine=(Due("x", "2026-01-01"),)),  # not in a plan yet
    ]
    shown = [(a.conversation_id, a.agreement_id) for a in my_agreements(entries)]
    assert shown == [("g", "a9"), ("m", "a2"), ("g", "a8"), ("m", "a1")]


def test_figures_never_give_out_a_count_below_the_threshold() -> None:
    def mus_entry(
        n: int, state: str, agreements: int = 0, done: int = 0, dues: tuple[str, ...] = ()
    ) -> RoundEntry:
        return RoundEntry(f"c{n}", 1, "MUS", state, agreements, done, dues)  # type: ignore[arg-type]

    big = [
        mus_entry(n, "approved" if n < 5 else "finished", 2, 1, ("2026-01-01",)) for n in range(7)
    ]
    small = [RoundEntry("g1", 1, "GRUS", "live"), RoundEntry("g2", 1, "GRUS", "set_up")]
    gone = [replace(mus_entry(99, "finished"), removed="2026-01-01T00:00:00")]
    rows = figures([(2026, "Rådhuset", big + small + gone)], date(2026, 6, 1), 5)
    assert [
        (r.kind, r.set_up, r.held, r.approved, r.agreements, r.done, r.overdue) for r in rows
    ] == [
        ("MUS", 7, 7, 5, 14, 7, 7),
        ("GRUS", None, None, None, None, None, None),
    ]
    assert figures([(2026, "X", big)], date(2025, 6, 1), 5)[0].overdue is None  # not due yet


def test_current_merges_an_entry_found_under_both_ids() -> None:
    old, new = (
        entry("c", "2026-01-01", "set_up"),
        replace(entry("c", "2026-01-01", "live"), version=2),
    )
    assert current([old, new]) == [new] and current([new, old]) == [new]


def test_a_name_the_bot_does_not_know_yet_is_not_an_id(concept: Concept) -> None:
    """Someone picked with the people picker is named by their id until they first press."""
    picked = Person(
        "00000000-0000-4000-8000-000000000007", "", "00000000-0000-4000-8000-000000000007"
    )
    conversation = mus(concept, "c1", picked, "2026-03-10", "set_up")
    (employee,) = [m for m in summarize(conversation).members if m.role == "participant"]
    assert (employee.key, employee.name) == (picked.aad_object_id, "")
    chosen = apply(
        conversation,
        ev.ChooseKeywords(picked.user_id, ("Motivation", "Sparring", "Nærvær"), name="Eva Ny"),
        concept,
        datetime(2026, 3, 9),
    )[0]
    (employee,) = [m for m in summarize(chosen).members if m.role == "participant"]
    assert employee.name == "Eva Ny"
