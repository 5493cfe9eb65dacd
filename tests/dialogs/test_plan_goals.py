"""Issue 13 in the pure domain: agreements follow the concept's field list, a MUS or LUS ends in a
plan (or the leader confirms "no goals this year"), both parties approve each version of the
plan, comments go to the leader, the leader is reminded once, and erasure reaches all of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from dialogs import events as ev
from dialogs.agreements import shown
from dialogs.concept import Concept, concepts_dir, default_concept_path, load_concept
from dialogs.conversation import Conversation, Person
from dialogs.effects import ConversationFinished, PlanApproved, SendComment, UpdateStatusCard
from dialogs.errors import (
    AlreadyDone,
    InvalidField,
    InvalidKeywords,
    NoGoals,
    NotParticipant,
    StalePlan,
    Unprepared,
    WrongPhase,
)
from dialogs.privacy import ERASED_NAME, forget
from dialogs.transitions import apply, new_conversation

NOW = datetime(2026, 11, 22, 10, 0)
LEADER = Person("u-leader", "Lene Leder")
EMPLOYEE = Person("u-1", "Mads Medarbejder")
MEMBERS = (EMPLOYEE, Person("u-2", "Mette Medlem"), Person("u-3", "Morten Medlem"))


@pytest.fixture(scope="module")
def albertslund() -> Concept:
    return load_concept(default_concept_path())


@pytest.fixture(scope="module")
def gentofte() -> Concept:
    return load_concept(concepts_dir() / "gentofte.json")


def run(conv: Conversation, event: ev.Event, concept: Concept, now: datetime = NOW) -> Conversation:
    return apply(conv, event, concept, now)[0]


def live(concept: Concept, kind: str = "MUS") -> Conversation:
    conv = new_conversation(
        conversation_id="c1", concept=concept, kind=kind, leader=LEADER, place="p", now=NOW
    )
    people = (EMPLOYEE,) if kind != "GRUS" else MEMBERS
    conv = run(conv, ev.SaveSetup(LEADER.user_id, kind=kind, participants=people), concept)
    return run(conv, ev.StartLive(LEADER.user_id, force=True), concept)


def goal(perspective: str = "adfaerd", **values: str) -> ev.AgreementFields:
    return ev.AgreementFields.from_values(perspective, {"what": "Kursus i facilitering", **values})


def finished(concept: Concept, kind: str = "MUS", agreements: int = 1) -> Conversation:
    conv = live(concept, kind)
    perspective = concept.perspectives_for(kind)[0].id
    for n in range(agreements):
        conv = run(
            conv, ev.AddAgreement(EMPLOYEE.user_id, goal(perspective, what=f"Mål {n}")), concept
        )
    return run(conv, ev.Finish(LEADER.user_id, no_goals=not agreements), concept)


def written(concept: Concept, kind: str = "MUS", version: int = 1) -> Conversation:
    conv = finished(concept, kind)
    for n in range(1, version + 1):
        conv = run(conv, ev.PlanWritten("samtaleguide", version=n), concept)
    return conv


# --- the concept's fields ---------------------------------------------------------------------


def test_albertslunds_fields_are_stored_as_before(albertslund: Concept) -> None:
    fields = ev.AgreementFields(
        "struktur",
        what="Sparring",
        when="Fra januar",
        who="Alle",
        responsible=EMPLOYEE.user_id,
        follow_up="2027-03-01",
        value="Ro",
        shared_with="HR-konsulenten",
    )
    conv = run(live(albertslund), ev.AddAgreement(LEADER.user_id, fields), albertslund)
    (agreement,) = conv.agreements
    assert (agreement.what, agreement.when, agreement.who, agreement.value) == (
        "Sparring", "Fra januar", "Alle", "Ro",
    )  # fmt: skip
    assert agreement.details == {"when": "Fra januar", "who": "Alle", "value": "Ro"}
    assert (agreement.responsible, agreement.responsible_id) == (EMPLOYEE.name, EMPLOYEE.user_id)
    assert (agreement.follow_up, agreement.shared_with, agreement.member_id) == (
        "2027-03-01", "HR-konsulenten", "",
    )  # fmt: skip


def test_gentoftes_development_goal_holds_how_core_task_use_and_horizon(gentofte: Concept) -> None:
    values = {
        "how": "Sidemandsoplæring hos en kollega",
        "core_task": "Bedre borgermøder",
        "who": "Kollega i Jobcenter Nord",
        "use": "På teammøderne fra marts",
        "horizon": "1–2 år",
        "responsible": EMPLOYEE.user_id,
        "follow_up": "2027-05-01",
        "shared_with": "Uddannelseskoordinatoren",
        "unknown": "dropped",
        "member": EMPLOYEE.user_id,  # a MUS has no member field: dropped
    }
    conv = run(
        live(gentofte), ev.AddAgreement(EMPLOYEE.user_id, goal("kompetence", **values)), gentofte
    )
    (agreement,) = conv.agreements
    assert agreement.details == {
        "how": "Sidemandsoplæring hos en kollega",
        "core_task": "Bedre borgermøder",
        "who": "Kollega i Jobcenter Nord",
        "use": "På teammøderne fra marts",
        "horizon": "1–2 år",
    }
    assert agreement.member_id == "" and agreement.shared_with == "Uddannelseskoordinatoren"
    spec = gentofte.agreement_field("horizon")
    assert spec is not None and shown(conv, agreement, spec) == "1–2 år"


@pytest.mark.parametrize(
    ("values", "field", "reason", "label"),
    [
        ({"what": ""}, "what", "required", "Udviklingsmål"),
        ({"how": "x" * 501}, "how", "too_long", "Hvordan"),
        ({"horizon": "x" * 101}, "horizon", "too_long", "Tidshorisont"),
        ({"follow_up": "snart"}, "follow_up", "format", "Opfølgning"),
        ({"follow_up": "2020-01-01"}, "follow_up", "past", "Opfølgning"),
        ({"follow_up": "2027-01-01" + " " * 40 + "x"}, "follow_up", "too_long", "Opfølgning"),
    ],
)
def test_a_refused_field_is_named_by_the_concepts_label(
    gentofte: Concept, values: dict[str, str], field: str, reason: str, label: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        apply(
            live(gentofte),
            ev.AddAgreement(EMPLOYEE.user_id, goal("kompetence", **values)),
            gentofte,
            NOW,
        )
    assert refused.value.params["field"] == field
    assert refused.value.params["reason"] == reason
    assert refused.value.params["label"] == label


def test_a_grus_goal_can_be_one_members_own(albertslund: Concept) -> None:
    conv = live(albertslund, "GRUS")
    conv = run(conv, ev.AddAgreement("u-2", goal(member="u-2")), albertslund)
    conv = run(conv, ev.AddAgreement("u-2", goal(what="Fælles")), albertslund)
    own, group = conv.agreements
    assert own.member_id == "u-2" and group.member_id == ""
    assert conv.own_goals("u-2") == (own,) and conv.own_goals("u-3") == ()
    assert [p.user_id for p in conv.members_with_goals] == ["u-2"]
    for bad in (LEADER.user_id, "u-99"):  # the leader's own goal, or someone not taking part
        with pytest.raises(InvalidField):
            apply(conv, ev.AddAgreement("u-2", goal(member=bad)), albertslund, NOW)
    edited = run(conv, ev.EditAgreement("u-2", own.id, goal(member="")), albertslund)
    assert edited.agreements[0].member_id == ""  # back to the group's


# --- a MUS or LUS ends in a plan ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["MUS", "LUS"])
def test_finishing_without_goals_needs_the_leader_to_confirm(
    albertslund: Concept, kind: str
) -> None:
    conv = live(albertslund, kind)
    with pytest.raises(NoGoals) as refused:
        apply(conv, ev.Finish(LEADER.user_id, "HR må vide det"), albertslund, NOW)
    assert refused.value.params == {"kind": kind}
    closed, effects = apply(conv, ev.Finish(LEADER.user_id, no_goals=True), albertslund, NOW)
    assert closed.phase == "closed" and closed.no_goals
    assert ConversationFinished() in effects


def test_a_grus_may_end_without_goals_and_a_plan_with_goals_has_them(albertslund: Concept) -> None:
    grus = run(live(albertslund, "GRUS"), ev.Finish(LEADER.user_id), albertslund)
    assert grus.phase == "closed" and not grus.no_goals
    mus = finished(albertslund, "MUS", agreements=1)
    assert not mus.no_goals


# --- approval -------------------------------------------------------------------------------------


def test_the_domain_learns_each_version_written(albertslund: Concept) -> None:
    conv = finished(albertslund)
    assert conv.plan_version == 0 and not conv.plan_approved
    conv = run(conv, ev.PlanWritten("samtaleguide", version=1), albertslund)
    assert (conv.plan_version, conv.plan_written_at) == (1, NOW.isoformat())
    later = NOW + timedelta(days=1)
    again = apply(conv, ev.PlanWritten("samtaleguide", version=1), albertslund, later)
    assert again == (conv, ())  # an older or the same version changes nothing


def test_both_parties_approve_each_version(albertslund: Concept) -> None:
    conv = written(albertslund)
    conv, effects = apply(conv, ev.ApprovePlan(EMPLOYEE.user_id, version=1), albertslund, NOW)
    assert effects == (PlanApproved(1, EMPLOYEE.user_id, everyone=False),)
    assert [p.user_id for p in conv.awaiting_approval()] == [LEADER.user_id]
    assert apply(conv, ev.ApprovePlan(EMPLOYEE.user_id, version=1), albertslund, NOW) == (conv, ())
    conv, effects = apply(conv, ev.ApprovePlan(LEADER.user_id, version=1), albertslund, NOW)
    assert effects == (PlanApproved(1, LEADER.user_id, everyone=True),) and conv.plan_approved

    conv = run(conv, ev.PlanWritten("samtaleguide", version=2), albertslund)  # "Lav ... igen"
    assert not conv.plan_approved and len(conv.approvals_of(1)) == 2  # kept with version 1
    with pytest.raises(StalePlan) as stale:
        apply(conv, ev.ApprovePlan(EMPLOYEE.user_id, version=1), albertslund, NOW)
    assert stale.value.params == {"version": 2}
    conv = run(conv, ev.ApprovePlan(EMPLOYEE.user_id, version=2), albertslund)
    assert [(a.user_id, a.version) for a in conv.approvals] == [
        (EMPLOYEE.user_id, 1), (LEADER.user_id, 1), (EMPLOYEE.user_id, 2),
    ]  # fmt: skip


def test_approval_is_for_participants_of_a_written_plan(albertslund: Concept) -> None:
    with pytest.raises(WrongPhase):  # no version written yet
        apply(finished(albertslund), ev.ApprovePlan(EMPLOYEE.user_id, version=1), albertslund, NOW)
    with pytest.raises(WrongPhase):  # not closed yet
        apply(live(albertslund), ev.ApprovePlan(EMPLOYEE.user_id, version=1), albertslund, NOW)
    with pytest.raises(NotParticipant):
        apply(written(albertslund), ev.ApprovePlan("u-x", version=1), albertslund, NOW)


def test_a_comment_goes_to_the_leader_and_is_kept(albertslund: Concept) -> None:
    conv = written(albertslund)
    event = ev.CommentOnPlan(EMPLOYEE.user_id, version=1, text="  Målet om kurset mangler en dato ")
    conv, effects = apply(conv, event, albertslund, NOW)
    assert effects == (SendComment(EMPLOYEE.user_id, 1, "Målet om kurset mangler en dato"),)
    assert [(c.user_id, c.version, c.text) for c in conv.comments] == [
        (EMPLOYEE.user_id, 1, "Målet om kurset mangler en dato")
    ]
    assert not conv.plan_approved  # a comment is not an approval
    for text in ("", "x" * 501):
        with pytest.raises(InvalidField):
            apply(conv, ev.CommentOnPlan(EMPLOYEE.user_id, version=1, text=text), albertslund, NOW)
    for n in range(9):
        conv = run(conv, ev.CommentOnPlan(EMPLOYEE.user_id, version=1, text=f"{n}"), albertslund)
    with pytest.raises(InvalidField):  # ten per person and version at most
        apply(conv, ev.CommentOnPlan(EMPLOYEE.user_id, version=1, text="igen"), albertslund, NOW)


def test_the_leader_is_reminded_once_a_week_after(albertslund: Concept) -> None:
    conv = written(albertslund)

    def claim(version: int, days: int) -> ev.ClaimApprovalReminder:
        day = (NOW + timedelta(days=days)).date().isoformat()
        return ev.ClaimApprovalReminder("samtaleguide", version=version, day=day)

    with pytest.raises(AlreadyDone):  # too early
        apply(conv, claim(1, 6), albertslund, NOW)
    reminded = run(conv, claim(1, 7), albertslund)
    assert reminded.approval_reminded == 1
    with pytest.raises(AlreadyDone):  # once
        apply(reminded, claim(1, 10), albertslund, NOW)
    answered = run(conv, ev.ApprovePlan(LEADER.user_id, version=1), albertslund)
    answered = run(answered, ev.CommentOnPlan(EMPLOYEE.user_id, 1, "Et spørgsmål"), albertslund)
    with pytest.raises(AlreadyDone):  # everyone has answered (approved or commented)
        apply(answered, claim(1, 7), albertslund, NOW)
    week = NOW + timedelta(days=7)
    newer = run(reminded, ev.PlanWritten("samtaleguide", version=2), albertslund, week)
    with pytest.raises(AlreadyDone):  # a new version waits its own week
        apply(newer, claim(2, 7), albertslund, week)
    assert run(newer, claim(2, 14), albertslund, week).approval_reminded == 2


# --- a concept without keywords -----------------------------------------------------------------


def test_without_keywords_being_prepared_is_saying_so(gentofte: Concept) -> None:
    conv = new_conversation(
        conversation_id="c1", concept=gentofte, kind="MUS", leader=LEADER, place="p", now=NOW
    )
    conv = run(conv, ev.SaveSetup(LEADER.user_id, kind="MUS", participants=(EMPLOYEE,)), gentofte)
    with pytest.raises(Unprepared) as refused:
        apply(conv, ev.StartLive(LEADER.user_id), gentofte, NOW)
    assert refused.value.params == {"count": 2, "keywords": False}
    notes = {"kompetence": "Jeg vil gerne tale om et kursus"}
    conv, effects = apply(conv, ev.ChooseKeywords(EMPLOYEE.user_id, (), notes), gentofte, NOW)
    assert effects == (UpdateStatusCard(),)
    employee = conv.participant(EMPLOYEE.user_id)
    assert employee is not None and employee.prepared and employee.prep_notes == notes
    conv, effects = apply(conv, ev.ChooseKeywords(LEADER.user_id, ()), gentofte, NOW)
    assert effects == (UpdateStatusCard(),)  # and no keywords summary: nothing to share
    assert conv.everyone_prepared and conv.keywords_shared_at is None
    with pytest.raises(InvalidKeywords):
        apply(conv, ev.ChooseKeywords(EMPLOYEE.user_id, ("Motivation",)), gentofte, NOW)
    # A note under a perspective only a GRUS has (a tampered card) is refused, not kept unseen.
    group_only = {"gruppen": "Skjult note"}
    with pytest.raises(InvalidField):
        apply(conv, ev.ChooseKeywords(EMPLOYEE.user_id, (), group_only), gentofte, NOW)
    started = run(conv, ev.StartLive(LEADER.user_id), gentofte)
    assert started.phase == "live"


def test_gentoftes_agenda_is_the_guidelines_minimum_per_kind(gentofte: Concept) -> None:
    from dialogs.agenda import agenda

    for kind, count in (("MUS", 7), ("LUS", 12), ("GRUS", 4)):
        conv = live(gentofte, kind)
        items = agenda(conv, gentofte)
        assert [i.number for i in items] == list(range(1, count + 1))
    lus = agenda(live(gentofte, "LUS"), gentofte)
    assert lus[0].text == "Opsamling på mål og resultater fra sidste samtale"
    assert lus[-1].text == "Konkretisering af kompetenceudviklingsplanen."
    assert "Udfordringer og udvikling af personaleledelse" in [i.text for i in lus]


# --- erasure ----------------------------------------------------------------------------------------


def test_erasure_reaches_approvals_comments_and_own_goals(albertslund: Concept) -> None:
    conv = live(albertslund, "GRUS")
    fields = goal(member="u-2", who="Mette Medlem og en mentor", shared_with="Mette Medlems leder")
    conv = run(conv, ev.AddAgreement("u-2", fields), albertslund)
    conv = run(conv, ev.Finish(LEADER.user_id), albertslund)
    conv = run(conv, ev.PlanWritten("samtaleguide", version=1), albertslund)
    conv = run(conv, ev.ApprovePlan("u-2", version=1), albertslund)
    conv = run(conv, ev.CommentOnPlan("u-3", 1, "Mette Medlem skal have en mentor"), albertslund)
    erased = forget(conv, frozenset({"u-2"}), key=b"k" * 32, names=frozenset({"Mette Medlem"}))
    assert erased is not None
    text = repr(erased)
    assert "u-2'" not in text and "Mette Medlem" not in text
    (agreement,) = erased.agreements
    assert agreement.member_id.startswith("erased-")
    assert agreement.who == f"{ERASED_NAME} og en mentor"
    assert agreement.shared_with == f"{ERASED_NAME}s leder"
    assert erased.approvals[0].user_id == agreement.member_id
    assert erased.comments[0].text == f"{ERASED_NAME} skal have en mentor"
    person = next(p for p in erased.participants if p.name == ERASED_NAME)
    assert person.prepared_at is None and not person.prepared
    untouched = replace(conv, approvals=(), comments=())
    assert forget(untouched, frozenset({"u-99"}), key=b"k" * 32) is None
