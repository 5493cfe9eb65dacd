"""Issue 12: no card is ever too big. Every card builder in ``cards/``, at every documented limit
at once, measured as sent.

The worst case is a GRUS at every count limit (``dialogs.transitions``: 60 people, 10 extra
questions, 300 notes, 200 agreements) with every text at its length limit (``dialogs.text.LIMITS``)
in Danish (æ, ø and å travel as six-byte ``\\u`` escapes), the names included: at
``LIMITS["name"]`` and at 256 characters, Entra's longest display name. Then the same group's next
GRUS, at the same limits, whose "opfølgning fra sidst" holds those 200 agreements. Every public
card builder (a function in ``cards`` that returns a ``Card``) is built from them in each state it
can show and checked with ``problems`` (Adaptive Card 1.5, under ``MAX_CARD_BYTES``).

What does not fit is counted on the card and reachable in full: the tests below check the
counts ("… og 192 aftaler mere fra sidst."), that the live card keeps room for the newest notes
and agreements, and walk the paged cards forwards and back, finding every agreement once. The
setup card is also built for a chat of 150 (beyond the 60 who may take part), where it cuts the
names. ``pytest -s`` prints the size of each card.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest

import cards
from cards import verbs
from cards.agreements import agreements_card
from cards.budget import CARD_BUDGET, added
from cards.copies import stale_copy_card
from cards.errors import message_card, refusal_message, retry_card
from cards.fields import field_id
from cards.figures import figures_card
from cards.follow_up import follow_up_card
from cards.help import help_card
from cards.live import live_card, outsider_card
from cards.my_agreements import AgreementLine, my_agreements_card
from cards.my_conversations import my_conversations_card
from cards.plan import approval_reminder_card, comment_card, plan_links_card, plan_ready_card
from cards.preparation import keyword_input, note_input, preparation_card
from cards.previous import SHOWN, previous_card, previous_section
from cards.setup import (
    INPUT_FOCUS,
    INPUT_PARTICIPANTS,
    INPUT_WORKPLACE,
    extra_inputs,
    private_only_card,
    setup_card,
    wording_input,
)
from cards.status import keywords_card, status_card
from cards.texts import Texts
from dialogs import events as ev
from dialogs.concept import Concept, concepts_dir, default_concept_path, load_concept
from dialogs.conversation import Conversation, Person, PreviousPlan, previous_plan
from dialogs.errors import InvalidField, InvalidKeywords, NotPrivate, Unprepared
from dialogs.round import FigureRow, Missing, figures, led
from dialogs.summary import STATES, Named, PersonEntry, RoundEntry
from dialogs.text import LIMITS
from dialogs.transitions import (
    MAX_AGREEMENTS,
    MAX_EXTRA_QUESTIONS,
    MAX_NAMED,
    MAX_NOTES,
    MAX_PARTICIPANTS,
    new_conversation,
)
from tests.cards.test_card_schema import (
    DA,
    EN,
    LEADER,
    MAX_CARD_BYTES,
    NOW,
    PLACE,
    Card,
    executes,
    problems,
    run,
    setup_event,
    size,
    user,
    walk,
)

ENTRA_NAME = 256  # the longest display name Entra ID allows
NAME_LENGTHS = sorted({LIMITS["name"], ENTRA_NAME})
SYSTEM = "samtaleguide"  # the actor of membership changes (bot/flows/members.py)


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


def _longest(text: str, limit: int) -> str:
    """Danish text exactly ``limit`` characters long."""
    return (text * (limit // len(text) + 1))[:limit].strip().ljust(limit, "x")


@dataclass(frozen=True)
class Worst:
    """One GRUS at every limit, in the states its cards show."""

    watched: Conversation  # set up, nobody has chosen, someone in the chat does not take part
    prepared: Conversation  # everyone has chosen (the keywords are shared), private notes in full
    live: Conversation  # every keyword marked, 200 agreements, 300 notes; at the first question
    closed: Conversation  # finished; every third follow-up done

    @property
    def leader(self) -> str:
        return self.prepared.leader.user_id

    @property
    def member(self) -> str:
        return self.prepared.participants[3].user_id


def worst_case(concept: Concept, name_length: int, previous: PreviousPlan | None = None) -> Worst:
    """Names of ``name_length`` characters are let in (the limit raised for the test when it is
    below that), then the states are made with the pure transitions."""
    c = concept
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(LIMITS, "name", max(LIMITS["name"], name_length))
        name = _longest("Karen-Margrethe Østergaard Vestergaard Kristiansen ", name_length)
        people = tuple(
            replace(user(n), name=f"{n} {name}"[:name_length]) for n in range(1, MAX_PARTICIPANTS)
        )
        leader = replace(LEADER, name=name)
        onlooker = replace(user(99), name=f"Gæst {name}"[:name_length])
        extra = _longest("Hvordan oplever du samarbejdet med de andre afdelinger? ", 500)
        setup = setup_event(
            c,
            actor=leader.user_id,
            participants=people,
            variant="puslespil",
            walk_and_talk=True,
            workplace=_longest("Center for Borgerservice og Bibliotek ", LIMITS["workplace"]),
            focus_points=_longest("Trivsel og arbejdsmiljø i en travl hverdag ", 1000),
            wording={q.id: _longest(f"{q.text('du')} ", LIMITS["wording"]) for q in c.questions},
            extra_questions=tuple(
                (c.perspectives[i % 3].id, extra) for i in range(MAX_EXTRA_QUESTIONS)
            ),
            co_facilitator=people[0].user_id,
            previous=previous,
        )

        def fresh() -> Conversation:
            return new_conversation(
                conversation_id=f"c-worst-{name_length}-{'next' if previous else 'first'}",
                concept=c, kind="GRUS", leader=leader, place=PLACE, now=NOW,
            )  # fmt: skip

        watched = run(fresh(), replace(setup, audience=(leader, *people, onlooker)), c)
        conv = run(fresh(), setup, c)
        longest_keywords = tuple(sorted(c.keywords, key=len)[-3:])
        note = _longest("Jeg vil gerne tale om min udvikling og mine opgaver ", LIMITS["prep_note"])
        for p in conv.participants:
            notes = {q.id: note for q in c.perspectives}
            conv = run(conv, ev.ChooseKeywords(p.user_id, longest_keywords, notes), c)
        prepared = conv
        conv = run(conv, ev.StartLive(leader.user_id), c)
        for p in conv.participants:
            for k in p.keywords:
                conv = run(conv, ev.MarkKeyword(leader.user_id, p.user_id, k), c)
        for n in range(MAX_AGREEMENTS):
            what = f"Aftale {n + 1:03d}: deltage i kursus om projektledelse og følge op "
            fields = ev.AgreementFields(
                perspective_id=c.perspectives[n % 3].id,
                what=_longest(what, LIMITS["what"]),
                when=_longest("Fra januar og resten af året ", LIMITS["when"]),
                who=_longest("Hele teamet sammen med lederen ", LIMITS["who"]),
                responsible=people[n % len(people)].user_id,  # their name, at its limit
                follow_up="2027-03-01",
                value=_longest("Mere overblik og bedre samarbejde ", LIMITS["value"]),
                shared_with=_longest("HR og uddannelseskoordinatoren ", LIMITS["shared_with"]),
                member=people[n % len(people)].user_id if n % 2 else "",
            )
            actor = conv.participants[n % MAX_PARTICIPANTS].user_id
            conv = run(conv, ev.AddAgreement(actor, fields), c)
        long_note = _longest("Vi talte om opgaverne og hvordan de fordeles ", LIMITS["note"])
        for _ in range(MAX_NOTES):
            conv = run(conv, ev.AddNote(leader.user_id, c.perspectives[0].id, long_note), c)
        live = conv
        confidentiality = _longest("Kun til deltagerne og HR ", LIMITS["confidentiality"])
        conv = run(conv, ev.Finish(leader.user_id, confidentiality, "2027-06-01"), c)
        for agreement in conv.agreements[::3]:
            conv = run(conv, ev.CompleteFollowUp(people[0].user_id, agreement.id), c)
        conv = run(conv, ev.PlanWritten(SYSTEM, version=1), c)
        comment = _longest("Jeg er ikke enig i målet om kurset ", LIMITS["comment"])
        for p in conv.participants[1::2]:  # half approved, the others commented
            conv = run(conv, ev.ApprovePlan(p.user_id, version=1), c)
        for p in conv.participants[::2]:
            conv = run(conv, ev.CommentOnPlan(p.user_id, version=1, text=comment), c)
        return Worst(watched, prepared, live, conv)


Built = dict[str, tuple[Callable[..., Card], Card]]


def _built(
    builder: Callable[..., Card], *args: Any, **kwargs: Any
) -> tuple[Callable[..., Card], Card]:
    return builder, builder(*args, **kwargs)


def big_chat(worst: Worst, members: int = 150) -> list[Person]:
    """The setup's roster in a chat of ``members`` (beyond the 60 who may take part), every name
    as long as the participants'."""
    people = [Person(p.user_id, p.name) for p in worst.prepared.participants]
    name = worst.prepared.leader.name
    more = [replace(user(n), name=f"{n} {name}"[: len(name)]) for n in range(100, 100 + members)]
    return people + more[: members - len(people)]


def _typed_live(worst: Worst) -> dict[str, str]:
    """Everything a refused press on the live card can carry back, at its limit."""
    typed = {
        field_id("note", "text"): _longest("En note, der blev afvist ", LIMITS["note"]),
        field_id("finish", "confidentiality"): _longest("Må deles ", LIMITS["confidentiality"]),
        field_id("finish", "next_follow_up"): "2027-06-01",
    }
    editing = worst.live.agreements[-1].id
    for form in ("new", editing):
        typed |= {
            field_id(form, "what"): _longest("Ny aftale om kompetenceudvikling ", LIMITS["what"]),
            field_id(form, "when"): _longest("Inden sommerferien ", LIMITS["when"]),
            field_id(form, "who"): _longest("Alle i afdelingen ", LIMITS["who"]),
            field_id(form, "responsible"): worst.member,
            field_id(form, "follow_up"): "2027-09-01",
            field_id(form, "value"): _longest("Bedre trivsel i hverdagen ", LIMITS["value"]),
            field_id(form, "shared_with"): _longest("HR ", LIMITS["shared_with"]),
            field_id(form, "member"): worst.member,
        }
    return typed


def _typed_setup(concept: Concept, worst: Worst) -> dict[str, str]:
    typed = {
        INPUT_PARTICIPANTS: ",".join(p.user_id for p in worst.prepared.participants[1:]),
        INPUT_WORKPLACE: _longest("Vej og Park ", LIMITS["workplace"]),
        INPUT_FOCUS: _longest("Arbejdsmiljø og trivsel ", LIMITS["focus_points"]),
    }
    typed |= {wording_input(q.id): _longest("Hvordan går det? ", 500) for q in concept.questions}
    for n in (1, 2, 3):
        perspective, question = extra_inputs(n)
        typed[perspective] = concept.perspectives[n % 3].id
        typed[question] = _longest("Hvordan deler vi viden? ", LIMITS["extra_question"])
    return typed


def _typed_preparation(concept: Concept) -> dict[str, str]:
    typed = {keyword_input(k): "true" for k in concept.keywords}  # all 33: refused
    note = _longest("Det, jeg skrev, og som ikke blev gemt ", LIMITS["prep_note"])
    return typed | {note_input(p.id): note for p in concept.perspectives}


def year_round_at_the_limits(
    worst: Worst,
) -> tuple[list[PersonEntry], list[Missing], list[AgreementLine], list[FigureRow]]:
    """A leader of three years of conversations at the limits (GRUS of 60, names at the limit,
    a MUS with every one of 500 employees last year and none this year), an employee's
    agreements at every length limit, and HR's figures for 300 workplaces named at their limit."""
    name = worst.prepared.leader.name
    entries = [
        PersonEntry(
            f"c-{n:04d}",
            999,
            kind="MUS" if n % 4 else "GRUS",
            state=STATES[n % len(STATES)],
            day=f"{2024 + n % 3}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            role="co_facilitator" if n % 7 == 0 else "leader",
            people=2 if n % 4 else MAX_PARTICIPANTS,
            others=(Named(f"k-{n}", f"{n} {name}"),) if n % 4 else (),
            next_follow_up="2027-12-31",
        )
        for n in range(600)
    ]
    led_now = led(entries, 2026)
    missing = [Missing(f"k-{n}", f"{n} {name}", "2025-12-31", "2026-12-31") for n in range(500)]
    what = _longest("Deltage i kursus om projektledelse og følge op på læringen ", LIMITS["what"])
    lines = [
        AgreementLine(f"c-{n}", f"a{n}", "GRUS", "2026-12-31", what, "2026-01-01", n % 2 == 0)
        for n in range(8)
    ]
    workplace = _longest("Center for Borgerservice, Bibliotek og Kultur ", LIMITS["workplace"])
    groups = [
        (
            2026,
            f"{n} {workplace}"[: LIMITS["workplace"]],
            [
                RoundEntry(f"w{n}-{k}-{i}", 1, kind, "approved", 200, 100, ("2026-01-01",) * 100)
                for k, kind in enumerate(("MUS", "LUS", "GRUS"))
                for i in range(120)
            ],
        )
        for n in range(300)
    ]
    return led_now, missing, lines, figures(groups, date(2026, 12, 31), 100)


def first_cards(concept: Concept, worst: Worst) -> Built:
    """Every card of the first GRUS (no previous plan)."""
    c, w = concept, worst
    roster = [Person(p.user_id, p.name) for p in w.prepared.participants]
    people = w.prepared.participants
    five = ", ".join(p.name for p in people[:MAX_NAMED]) + f" (+{len(people) - MAX_NAMED})"
    not_private = refusal_message(NotPrivate("x", names=five, kind="MUS"), DA)
    too_long = refusal_message(InvalidField("x", field="what", reason="too_long", limit=500), DA)
    follow_up = w.closed.follow_ups[1]  # not done
    agreement = next(a for a in w.closed.agreements if a.id == follow_up.agreement_id)
    with_onlooker = run(w.live, ev.ChatMembersChanged(SYSTEM, added=(user(98),)), c)
    everyone = {p.user_id: "blocked" for p in w.watched.participants}
    unprepared = refusal_message(Unprepared("x", count=len(people)), DA)
    links = {
        "docx": "https://samtaleguide.example/documents/"
        + "p" * 200
        + "?expires=1&sig="
        + "s" * 64,
        "pdf": "https://samtaleguide.example/documents/" + "p" * 200 + "?expires=1&sig=" + "s" * 64,
    }
    live_at_extra = run(w.live, ev.Move(w.leader, to=9 + MAX_EXTRA_QUESTIONS - 1, jump=True), c)
    led, missing, lines, rows = year_round_at_the_limits(w)
    figures_url = "https://samtaleguide.example/figures/noegletal.csv?expires=1&sig=" + "s" * 64
    return {
        "help": _built(help_card, c, DA, bot_name=_longest("Samtaleguide ", 256)),
        "help in a 1:1 chat": _built(
            help_card, c, EN, bot_name=_longest("Samtaleguide ", 256), personal=True
        ),
        "my conversations, every part at its limits": _built(
            my_conversations_card, led, missing, DA, year=2026, message=too_long
        ),
        "my conversations, a later part en": _built(
            my_conversations_card, led, missing, EN, year=2026, start=len(led) - 5
        ),
        "my agreements, every text at its limit": _built(
            my_agreements_card,
            lines,
            DA,
            today=date(2026, 5, 1),
            start=8,
            count=len(lines) * 100,
            message=too_long,
            success=False,
        ),
        "figures, every workplace at its limit": _built(
            figures_card,
            rows,
            DA,
            year=2026,
            years=list(range(2026, 2016, -1)),
            threshold=100,
            csv_url=figures_url,
            minutes=1440,
            message=too_long,
        ),
        "setup new GRUS, roster of 60": _built(setup_card, c, DA, kind="GRUS", roster=roster),
        "setup edit, 60 people": _built(
            setup_card, c, DA, kind="GRUS", roster=roster, conversation=w.prepared
        ),
        "setup edit refused, every field typed": _built(
            setup_card,
            c,
            DA,
            kind="GRUS",
            roster=roster,
            conversation=w.prepared,
            message=too_long,
            values=_typed_setup(c, w),
        ),
        "setup edit refused, a chat of 150": _built(
            setup_card,
            c,
            DA,
            kind="GRUS",
            roster=big_chat(w),
            conversation=w.prepared,
            message=too_long,
            values=_typed_setup(c, w),
        ),
        "setup MUS with the people picker": _built(
            setup_card, c, DA, kind="MUS", roster=[], people_picker=True, message=too_long
        ),
        "setup refused: not private, five long names": _built(
            private_only_card, DA, "MUS", not_private
        ),
        "message: not private, five long names": _built(message_card, not_private),
        "preparation form, refused with everything typed": _built(
            preparation_card,
            w.prepared,
            c,
            DA,
            w.member,
            message=refusal_message(InvalidKeywords("x", count=33), DA),
            values=_typed_preparation(c),
        ),
        "preparation summary": _built(preparation_card, w.prepared, c, DA, w.member),
        "preparation form (Ret), leader": _built(
            preparation_card, w.prepared, c, DA, w.leader, editing=True
        ),
        "preparation, nobody has chosen, en": _built(preparation_card, w.watched, c, EN, w.leader),
        "preparation locked": _built(preparation_card, w.live, c, DA, w.member),
        "preparation, stranger": _built(preparation_card, w.prepared, c, DA, "29:not-in-it"),
        "status, everyone prepared": _built(status_card, w.prepared, c, DA),
        "status once closed, half approved": _built(status_card, w.closed, c, DA),
        "status, nobody reached, onlookers, asks to start": _built(
            status_card,
            w.watched,
            c,
            DA,
            message=unprepared,
            success=False,
            unreachable=everyone,
            ask_start=True,
        ),
        "status once live": _built(status_card, w.live, c, DA),
        "keywords summary": _built(keywords_card, w.prepared, DA),
        "keywords summary, nobody has chosen": _built(keywords_card, w.watched, EN),
        "live (shared card)": _built(live_card, w.live, c, DA),
        "live (leader's view)": _built(live_card, w.live, c, DA, viewer=w.leader),
        "live (participant's view)": _built(live_card, w.live, c, DA, viewer=w.member),
        "live (participant editing an agreement)": _built(
            live_card, w.live, c, DA, viewer=w.member, editing=w.live.agreements[-1].id
        ),
        "live (leader refused, everything typed)": _built(
            live_card,
            w.live,
            c,
            DA,
            viewer=w.leader,
            message=too_long,
            values=_typed_live(w),
            editing=w.live.agreements[-1].id,
        ),
        "live at the last extra question": _built(live_card, live_at_extra, c, DA, viewer=w.leader),
        "live (shared card, someone else in the chat)": _built(live_card, with_onlooker, c, DA),
        "live (read-only view)": _built(live_card, w.live, c, DA, viewer="29:not-in-it"),
        "outsider card, shared": _built(outsider_card, w.live, DA, shared=True),
        "outsider card, not yours": _built(outsider_card, w.live, EN, shared=False),
        "live closed": _built(live_card, w.closed, c, DA),
        "live closed, participant": _built(live_card, w.closed, c, DA, viewer=w.member),
        "all agreements, first part": _built(agreements_card, w.live, c, DA),
        "all agreements, from 100": _built(agreements_card, w.live, c, DA, start=100),
        "all agreements, last one, refused": _built(
            agreements_card, w.live, c, DA, start=MAX_AGREEMENTS - 1, message=too_long
        ),
        "all agreements, closed": _built(agreements_card, w.closed, c, EN),
        "follow-up reminder": _built(follow_up_card, w.closed, c, agreement, DA),
        "follow-up refused": _built(
            follow_up_card, w.closed, c, agreement, DA, message=too_long, success=False
        ),
        "plan links": _built(
            plan_links_card,
            w.closed,
            DA,
            version=99,
            links=links,
            minutes=15,
            note=_longest("PDF-udgaven kunne ikke laves: LibreOffice svarede ikke. ", 1000),
        ),
        "plan links, the leader's, refused": _built(
            plan_links_card,
            w.closed,
            DA,
            version=1,
            links=links,
            minutes=15,
            viewer=w.leader,
            message=too_long,
            success=False,
        ),
        "plan links, a member's, to approve": _built(
            plan_links_card, w.closed, EN, version=1, links=links, minutes=15, viewer=w.member
        ),
        "a comment for the leader": _built(
            comment_card,
            w.closed,
            DA,
            user_id=w.member,
            version=1,
            comment=w.closed.comments[0].text,
        ),
        "the leader reminded of approvals": _built(approval_reminder_card, w.closed, DA),
        "plan ready in the group": _built(plan_ready_card, w.closed, DA, version=1),
        "plan failed in the group": _built(plan_ready_card, w.closed, EN, version=None),
        "live, an outdated copy": _built(stale_copy_card, w.live, DA),
        "late answer to a setup, everything typed": _built(
            retry_card,
            DA.get("error.too_late_unknown"),
            DA.get("error.retry"),
            verbs.SETUP_SAVE,
            {**_typed_setup(c, w), verbs.DATA_RETRY_OF: "x" * 256},
        ),
        "late answer to a preparation, everything typed": _built(
            retry_card,
            DA.get("error.too_late"),
            DA.get("error.retry"),
            verbs.PREP_KEYWORDS,
            {**_typed_preparation(c), verbs.DATA_RETRY_OF: "x" * 256},
        ),
    }


def next_cards(concept: Concept, worst: Worst) -> Built:
    """The cards of the next GRUS that show the last plan's 200 agreements."""
    c, w = concept, worst
    return {
        "next: preparation summary": _built(preparation_card, w.prepared, c, DA, w.member),
        "next: preparation form (Ret), leader": _built(
            preparation_card, w.prepared, c, DA, w.leader, editing=True
        ),
        "next: preparation form, refused with everything typed": _built(
            preparation_card,
            w.prepared,
            c,
            DA,
            w.member,
            message=refusal_message(InvalidKeywords("x", count=33), DA),
            values=_typed_preparation(c),
        ),
        "next: preparation locked": _built(preparation_card, w.live, c, DA, w.member),
        "next: previous agreements, first part": _built(previous_card, w.prepared, c, DA),
        "next: previous agreements, from 100, live": _built(
            previous_card, w.live, c, DA, start=100
        ),
        "next: previous agreements, last one, refused": _built(
            previous_card, w.closed, c, EN, start=MAX_AGREEMENTS - 1, message="Refused " * 100
        ),
        "next: live (shared card)": _built(live_card, w.live, c, DA),
        "next: live (leader's view)": _built(live_card, w.live, c, DA, viewer=w.leader),
        "next: live (participant editing an agreement)": _built(
            live_card, w.live, c, DA, viewer=w.member, editing=w.live.agreements[-1].id
        ),
        "next: live (leader refused, everything typed)": _built(
            live_card,
            w.live,
            c,
            DA,
            viewer=w.leader,
            message="Nej",
            values=_typed_live(w),
            editing=w.live.agreements[-1].id,
        ),
    }


WORST_CASE_NAMES = [
    "help", "help in a 1:1 chat", "my conversations, every part at its limits",
    "my conversations, a later part en", "my agreements, every text at its limit",
    "figures, every workplace at its limit", "setup new GRUS, roster of 60", "setup edit, 60 people",
    "setup edit refused, every field typed", "setup edit refused, a chat of 150",
    "setup MUS with the people picker",
    "setup refused: not private, five long names", "message: not private, five long names",
    "preparation form, refused with everything typed", "preparation summary",
    "preparation form (Ret), leader", "preparation, nobody has chosen, en", "preparation locked",
    "preparation, stranger", "status, everyone prepared",
    "status, nobody reached, onlookers, asks to start", "status once live", "keywords summary",
    "keywords summary, nobody has chosen", "live (shared card)", "live (leader's view)",
    "live (participant's view)", "live (participant editing an agreement)",
    "live (leader refused, everything typed)", "live at the last extra question",
    "live (shared card, someone else in the chat)", "live (read-only view)",
    "outsider card, shared", "outsider card, not yours", "live closed", "live closed, participant",
    "all agreements, first part", "all agreements, from 100", "all agreements, last one, refused",
    "all agreements, closed", "follow-up reminder", "follow-up refused", "plan links",
    "plan links, the leader's, refused", "plan links, a member's, to approve",
    "a comment for the leader", "the leader reminded of approvals",
    "status once closed, half approved", "plan ready in the group", "plan failed in the group", "live, an outdated copy",
    "late answer to a setup, everything typed", "late answer to a preparation, everything typed",
    "next: preparation summary", "next: preparation form (Ret), leader",
    "next: preparation form, refused with everything typed", "next: preparation locked",
    "next: previous agreements, first part", "next: previous agreements, from 100, live",
    "next: previous agreements, last one, refused",
    "next: live (shared card)", "next: live (leader's view)",
    "next: live (participant editing an agreement)",
    "next: live (leader refused, everything typed)",
]  # fmt: skip


@pytest.fixture(scope="module", params=NAME_LENGTHS, ids=lambda n: f"names of {n}")
def worlds(request: pytest.FixtureRequest, concept: Concept) -> tuple[Worst, Worst]:
    """The first GRUS at every limit, and the next one, whose last plan is the first's."""
    first = worst_case(concept, request.param)
    return first, worst_case(concept, request.param, previous=previous_plan(first.closed))


@pytest.fixture(scope="module")
def worst(worlds: tuple[Worst, Worst], concept: Concept) -> Built:
    first, following = worlds
    return first_cards(concept, first) | next_cards(concept, following)


def card_builders() -> set[Callable[..., Any]]:
    """Every public function in ``cards`` that returns a card (``cards.common.card`` aside)."""
    found: set[Callable[..., Any]] = set()
    for module_info in pkgutil.iter_modules(cards.__path__):
        module = importlib.import_module(f"cards.{module_info.name}")
        if module.__name__ == "cards.common":
            continue
        for name, value in vars(module).items():
            if (
                inspect.isfunction(value)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                and inspect.signature(value).return_annotation == "Card"
            ):
                found.add(value)
    return found


def test_every_card_builder_is_built_at_the_limits(worst: Built) -> None:
    assert sorted(worst) == sorted(WORST_CASE_NAMES)
    used = {builder for builder, _ in worst.values()}
    missing = {f"{b.__module__}.{b.__name__}" for b in card_builders() - used}
    assert missing == set()


def test_worst_case_sizes_are_reported(worst: Built) -> None:
    print("\nat every limit at once:")
    over = []
    for name in WORST_CASE_NAMES:
        bytes_ = size(worst[name][1])
        flag = "" if bytes_ < MAX_CARD_BYTES else "  <-- over 80 KB"
        flag = flag or ("  (over the builders' budget)" if bytes_ > CARD_BUDGET else "")
        print(f"  {name:58} {bytes_:>9,} bytes{flag}")
        over += [name] if bytes_ >= MAX_CARD_BYTES else []
    assert over == []


@pytest.mark.parametrize("name", WORST_CASE_NAMES)
def test_worst_case_card_is_valid_for_teams(name: str, worst: Built) -> None:
    assert problems(worst[name][1]) == []


# --- what does not fit is counted, and reachable ----------------------------------------------


def _items(card: Card, texts: Texts = DA) -> list[dict[str, str]]:
    """The agreements on a card, as their facts (title -> value)."""
    sets = [
        {f["title"]: f["value"] for f in node["facts"]}
        for node in walk(card)
        if node.get("type") == "FactSet"
    ]
    return [facts for facts in sets if texts.get("field.what") in facts]


def _numbers(card: Card, texts: Texts = DA) -> list[int]:
    """The numbers of the worst case's agreements on a card ("Aftale 007: …")."""
    return [int(facts[texts.get("field.what")][7:10]) for facts in _items(card, texts)]


def _lines(card: Card) -> list[str]:
    return [node["text"] for node in walk(card) if node.get("type") == "TextBlock"]


def _button(card: Card, verb: str, title: str | None = None) -> dict[str, Any] | None:
    found = [a for a in executes(card) if a["verb"] == verb and title in (None, a["title"])]
    assert len(found) <= 1
    return found[0] if found else None


PREVIOUS_ON = {
    "next: preparation summary": SHOWN,
    "next: preparation form (Ret), leader": SHOWN,
    "next: preparation form, refused with everything typed": SHOWN,
    "next: preparation locked": SHOWN,
    "next: live (shared card)": 5,
    "next: live (leader's view)": 5,
    "next: live (participant editing an agreement)": 5,
    "next: live (leader refused, everything typed)": 5,
}


@pytest.mark.parametrize("name", PREVIOUS_ON)
def test_the_last_plans_agreements_that_do_not_fit_are_counted(name: str, worst: Built) -> None:
    card = worst[name][1]
    statuses = [f for f in _items(card) if DA.get("previous.status") in f]
    shown = len(statuses)
    assert PREVIOUS_ON[name] <= shown <= SHOWN
    assert [int(f[DA.get("field.what")][7:10]) for f in statuses] == list(range(1, shown + 1))
    assert DA.get("previous.more", count=MAX_AGREEMENTS - shown) in _lines(card)
    show_all = _button(card, verbs.PREVIOUS_SHOW)
    assert show_all is not None and show_all["title"] == "Vis alle aftaler fra sidst"
    assert show_all["data"] == {
        verbs.DATA_CONVERSATION: card_conversation(card),
        verbs.DATA_FROM: 0,
    }


def card_conversation(card: Card) -> str:
    return str(next(a["data"][verbs.DATA_CONVERSATION] for a in executes(card)))


LIVE_WITH_CONTENT = [
    "live (shared card)", "live (leader's view)", "live (participant's view)",
    "live (participant editing an agreement)", "live (leader refused, everything typed)",
    "next: live (shared card)", "next: live (leader's view)",
    "next: live (participant editing an agreement)",
    "next: live (leader refused, everything typed)",
]  # fmt: skip


@pytest.mark.parametrize("name", LIVE_WITH_CONTENT)
def test_the_live_card_keeps_room_for_the_newest_notes_and_agreements(
    name: str, worst: Built
) -> None:
    """However much else is on it, at least the three newest agreements and notes; the rest
    are counted, with the way to all agreements."""
    card = worst[name][1]
    own = [f for f in _items(card) if DA.get("previous.status") not in f]
    newest = [int(f[DA.get("field.what")][7:10]) for f in own]
    assert len(newest) >= 3
    assert newest == list(range(MAX_AGREEMENTS - len(newest) + 1, MAX_AGREEMENTS + 1))
    more = DA.get("live.more_agreements", count=MAX_AGREEMENTS - len(newest))
    assert more in _lines(card) and _button(card, verbs.AGREEMENTS_SHOW) is not None
    notes = [line for line in _lines(card) if line.startswith("Vi talte om opgaverne")]
    assert len(notes) >= 3
    assert DA.get("live.more_notes", count=MAX_NOTES - len(notes)) in _lines(card)


def test_the_section_takes_no_more_than_its_budget(
    worlds: tuple[Worst, Worst], concept: Concept
) -> None:
    conversation = worlds[1].prepared
    shown_before = -1
    for budget in (0, 1_000, 3_000, 6_000, 12_000, 200_000):
        section = previous_section(conversation, concept, DA, budget=budget)
        shown = len(_items(section_card(section)))
        assert shown >= shown_before and shown <= SHOWN
        if shown:
            assert added(section) <= budget
        hidden = MAX_AGREEMENTS - shown
        summary = "previous.more" if shown else "previous.count"
        assert DA.get(summary, count=hidden) in _lines(section_card(section))
        shown_before = shown
    assert shown_before == SHOWN


def section_card(section: list[dict[str, Any]]) -> Card:
    return {"type": "AdaptiveCard", "version": "1.5", "body": section}


@pytest.mark.parametrize("kind", ["the last plan's", "this conversation's"])
def test_every_agreement_is_on_exactly_one_page(
    kind: str, worlds: tuple[Worst, Worst], concept: Concept
) -> None:
    """Following "Næste side" from the start shows every agreement once, in order; following
    "Forrige side" from the last part back leads to the start, again showing each once."""
    first, following = worlds
    if kind == "the last plan's":
        verb = verbs.PREVIOUS_SHOW

        def part(start: int) -> Card:
            return previous_card(following.prepared, concept, DA, start=start)
    else:
        verb = verbs.AGREEMENTS_SHOW

        def part(start: int) -> Card:
            return agreements_card(first.live, concept, DA, start=start)

    seen: list[int] = []
    start: int | None = 0
    starts = []
    while start is not None:
        card = part(start)
        assert problems(card) == []
        numbers = _numbers(card)
        assert numbers and numbers[0] == start + 1
        seen += numbers
        starts.append(start)
        forward = _button(card, verb, DA.get("agreements.next"))
        start = forward["data"][verbs.DATA_FROM] if forward else None
    assert seen == list(range(1, MAX_AGREEMENTS + 1))

    back: list[int] = []
    start = starts[-1]
    while start is not None:
        card = part(start)
        back = _numbers(card) + back
        backward = _button(card, verb, DA.get("agreements.previous"))
        start = backward["data"][verbs.DATA_FROM] if backward else None
    assert back == list(range(1, MAX_AGREEMENTS + 1))


def test_the_way_back_from_the_last_plans_agreements(
    worlds: tuple[Worst, Worst], concept: Concept
) -> None:
    """To the preparation card while the conversation is in preparation, to the live card
    after."""
    following = worlds[1]
    in_preparation = previous_card(following.prepared, concept, DA)
    once_live = previous_card(following.live, concept, DA)
    assert _button(in_preparation, verbs.PREP_SHOW, "Tilbage til forberedelsen") is not None
    assert _button(in_preparation, verbs.LIVE_REFRESH) is None
    assert _button(once_live, verbs.LIVE_REFRESH, "Tilbage til samtalekortet") is not None
    assert _button(once_live, verbs.PREP_SHOW) is None


def test_the_setup_card_cuts_names_only_when_the_chat_is_too_big_for_them(worst: Built) -> None:
    def titles(card: Card) -> list[str]:
        return [
            choice["title"]
            for node in walk(card)
            if node.get("id") == INPUT_PARTICIPANTS
            for choice in node["choices"]
        ]

    sixty = titles(worst["setup edit, 60 people"][1])
    assert len(sixty) == MAX_PARTICIPANTS and all(len(t) >= LIMITS["name"] - 2 for t in sixty)
    big = titles(worst["setup edit refused, a chat of 150"][1])
    assert len(big) == 150 and all(t.endswith("…") and len(t) <= 40 for t in big)


def test_a_late_answer_too_big_to_carry_the_press_gets_the_message_alone() -> None:
    huge = {verbs.DATA_CONVERSATION: "c-1", "note.text": "x" * 100_000}
    answer = retry_card(DA.get("error.too_late"), DA.get("error.retry"), verbs.NOTE_ADD, huge)
    assert answer == message_card(DA.get("error.too_late"))
    small = retry_card(DA.get("error.too_late"), DA.get("error.retry"), verbs.NOTE_ADD, {"a": "b"})
    assert small["actions"][0]["data"] == {"a": "b"}


def test_gentoftes_cards_at_every_limit() -> None:
    """Gentofte's concept has no keywords but ten agreement fields: a GRUS of 60 with 200
    development goals, every field at its limit, and the forms typed full, stays under 80 KB."""
    g = load_concept(concepts_dir() / "gentofte.json")
    people = tuple(replace(user(n), name=_longest("Karen Østergaard ", 256)) for n in range(1, 60))
    leader = replace(LEADER, name=_longest("Lene Leder ", 256))
    conv = new_conversation(
        conversation_id="c-gentofte-worst", concept=g, kind="GRUS", leader=leader, place=PLACE,
        now=NOW,
    )  # fmt: skip
    conv = run(
        conv, setup_event(g, actor=leader.user_id, participants=people, co_facilitator=None), g
    )
    conv = run(conv, ev.StartLive(leader.user_id, force=True), g)

    def full(spec_id: str, limit: int) -> str:
        return _longest(f"{spec_id} på dansk med æøå ", limit)

    texts = {f.id: full(f.id, f.max_length) for f in g.agreement_fields if f.input == "text"}
    for n in range(MAX_AGREEMENTS):
        values = {
            **texts,
            "responsible": people[n % len(people)].user_id,
            "follow_up": "2027-03-01",
            "member": people[n % len(people)].user_id if n % 2 else "",
        }
        fields = ev.AgreementFields.from_values(g.perspectives_for("GRUS")[n % 2].id, values)
        conv = run(conv, ev.AddAgreement(people[0].user_id, fields), g)
    typed = {
        field_id(form, k): v for form in ("new", conv.agreements[-1].id) for k, v in texts.items()
    }
    closed_ = run(conv, ev.Finish(leader.user_id), g)
    follow = closed_.follow_ups[0]
    agreement = next(a for a in closed_.agreements if a.id == follow.agreement_id)
    built = {
        "live, leader, everything typed": live_card(
            conv, g, DA, viewer=leader.user_id, message="Nej", values=typed,
            editing=conv.agreements[-1].id,
        ),
        "live, shared": live_card(conv, g, DA),
        "all agreements": agreements_card(conv, g, DA),
        "follow-up reminder": follow_up_card(closed_, g, agreement, DA),
        "preparation form": preparation_card(
            run(
                new_conversation(
                    conversation_id="c-g2", concept=g, kind="LUS", leader=leader, place=PLACE,
                    now=NOW,
                ),
                setup_event(
                    g,
                    actor=leader.user_id,
                    kind="LUS",
                    participants=people[:1],
                    co_facilitator=None,
                ),
                g,
            ),
            g, DA, people[0].user_id,
        ),
    }  # fmt: skip
    for name, card in built.items():
        assert problems(card) == [], name
    assert len(_items(built["live, shared"], DA)) == 0  # Gentofte's first label is not "Hvad"
    assert any(
        "Udviklingsmål" in node.get("title", "")
        for node in walk(built["live, shared"])
        if isinstance(node.get("title"), str)
    )
