"""Conversations of a year's round, built through the pure transitions as the bot stores them:
a MUS, LUS or GRUS on a given day, in a given state, with agreements whose follow-ups are open
or done. Shared by the tests of the summaries, the index, the cards and the benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from dialogs import events as ev
from dialogs.concept import Concept
from dialogs.conversation import Approval, Conversation, Person
from dialogs.summary import State
from dialogs.transitions import apply, new_conversation

KEYWORDS = ("Motivation", "Sparring", "Nærvær")


@dataclass(frozen=True)
class Agreed:
    """An agreement of the plan: who is responsible, its follow-up day, whether it is done."""

    responsible: Person | None
    due: str = ""
    done: bool = False
    what: str = "Kursus i konfliktløsning"


def held_on(
    concept: Concept,
    conversation_id: str,
    *,
    kind: str,
    leader: Person,
    others: Sequence[Person],
    day: str,
    state: State = "set_up",
    workplace: str = "Rådhuset",
    agreements: Sequence[Agreed] = (),
    co_facilitator: Person | None = None,
) -> Conversation:
    """The conversation held on ``day`` (set up the day before), in ``state``."""
    when = datetime.fromisoformat(day) - timedelta(days=1)

    def run(conversation: Conversation, event: ev.Event) -> Conversation:
        return apply(conversation, event, concept, when)[0]

    conversation = new_conversation(
        conversation_id=conversation_id,
        concept=concept,
        kind=kind,
        leader=leader,
        place="place-" + conversation_id,
        now=when,
    )
    conversation = run(
        conversation,
        ev.SaveSetup(
            leader.user_id,
            kind=kind,
            participants=tuple(others),
            starts_at=f"{day}T10:00",
            workplace=workplace,
            focus_points="Trivsel og arbejdsglæde",
            co_facilitator=co_facilitator.user_id if co_facilitator else None,
        ),
    )
    if state == "set_up":
        return conversation
    conversation = run(conversation, ev.ChooseKeywords(leader.user_id, KEYWORDS))
    if state == "preparing":
        return conversation
    conversation = run(conversation, ev.StartLive(leader.user_id, force=True))
    for agreed in agreements:
        fields = ev.AgreementFields(
            perspective_id="adfaerd",
            what=agreed.what,
            responsible=agreed.responsible.user_id if agreed.responsible else "",
            follow_up=agreed.due,
        )
        conversation = run(conversation, ev.AddAgreement(leader.user_id, fields))
    if state == "live":
        return conversation
    conversation = run(conversation, ev.Finish(leader.user_id, no_goals=not agreements))
    for agreed, agreement in zip(agreements, conversation.agreements, strict=True):
        if agreed.done and agreed.due:
            conversation = run(conversation, ev.CompleteFollowUp(leader.user_id, agreement.id))
    if state == "approved":
        everyone = tuple(
            Approval(p.user_id, 1, when.isoformat()) for p in conversation.participants
        )
        conversation = replace(conversation, plan_version=1, approvals=everyone)
    return conversation


def day_in(year: int, month: int = 3, day: int = 10) -> str:
    return date(year, month, day).isoformat()
