"""The setup card a leader fills in to create or edit a MUS, LUS or GRUS.

Inputs are identified by the ``INPUT_*`` names that ``bot/`` parses. In a group or meeting chat
the participants (and the co-facilitator) are chosen from the chat's roster, by their full names
unless that would take the card over ``CARD_BUDGET`` (a big chat with long names): then names
are cut at 40 characters, as on the live card. In the leader's 1:1 chat (MUS, LUS) they are
picked with Teams' people picker. Every input has a label.
"""

from __future__ import annotations

from typing import Any

from cards import verbs
from cards.budget import CARD_BUDGET, size
from cards.common import NOTICE_BELOW, Card, Element, card, execute, heading, notice, text
from cards.people import perspective_title, short
from cards.texts import Texts
from dialogs.concept import Concept
from dialogs.conversation import Conversation, Person
from dialogs.text import visible

INPUT_KIND = "kind"
INPUT_PARTICIPANTS = "participants"
INPUT_DATE = "date"
INPUT_TIME = "time"
INPUT_DURATION = "duration"
INPUT_VARIANT = "variant"
INPUT_WALK = "walk"
INPUT_WORKPLACE = "workplace"
INPUT_COFACILITATOR = "cofacilitator"
INPUT_FOCUS = "focus"
EXTRA_SLOTS = 3


def wording_input(question_id: str) -> str:
    return f"wording_{question_id}"


def extra_inputs(n: int) -> tuple[str, str]:
    return f"extra{n}_perspective", f"extra{n}_text"


def _choice(title: str, value: str) -> dict[str, str]:
    return {"title": title, "value": value}


def setup_card(
    concept: Concept,
    texts: Texts,
    *,
    kind: str,
    roster: list[Person],
    conversation: Conversation | None = None,
    people_picker: bool = False,
    message: str | None = None,
    values: dict[str, Any] | None = None,
) -> Card:
    """``values`` (what the leader typed) win over the stored setup, so a refusal loses nothing."""
    current = _current_values(conversation, kind)
    typed = {k: visible(v) if isinstance(v, str) else v for k, v in (values or {}).items()}
    current.update({k: v for k, v in typed.items() if isinstance(v, str | bool)})
    title_key = "setup.edit_title" if conversation else "setup.title"
    body: list[Element] = []
    if message:
        body.append(notice(message))
    body += [heading(texts.get(title_key, kind=kind)), text(texts.get("setup.intro"))]
    if kind == "LUS":
        body.append(text(texts.get("setup.lus_note"), isSubtle=True))
    if kind == "GRUS" and not people_picker:
        body.append(text(texts.get("setup.onlookers_note"), isSubtle=True))
    body.append(
        _choice_set(
            INPUT_KIND,
            texts.get("field.kind"),
            [_choice(texts.get(f"kind.{k}"), k) for k in concept.kinds],
            current,
            required=True,
        )
    )
    participants = _participants(texts, roster, current, people_picker)
    body.append(participants)
    body += [
        {
            "type": "ColumnSet",
            "columns": [
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": [_input("Input.Date", INPUT_DATE, texts.get("setup.date"), current)],
                },
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": [_input("Input.Time", INPUT_TIME, texts.get("setup.time"), current)],
                },
            ],
        },
        _input(
            "Input.Number", INPUT_DURATION, texts.get("setup.duration"), current, min=15, max=480
        ),
        _choice_set(
            INPUT_VARIANT,
            texts.get("field.variant"),
            [_choice(texts.get(f"variant.{v}"), v) for v in ("skema", "puslespil")],
            current,
            style="expanded",
        ),
        {
            "type": "Input.Toggle",
            "id": INPUT_WALK,
            "title": texts.get("setup.walk"),
            "label": texts.get("setup.walk"),
            "value": "true" if current.get(INPUT_WALK) in (True, "true") else "false",
            "valueOn": "true",
            "valueOff": "false",
        },
        _input("Input.Text", INPUT_WORKPLACE, texts.get("field.workplace"), current, maxLength=120),
    ]
    roster_choices = [participants]
    if not people_picker and roster:
        choices = [_choice(texts.get("setup.cofacilitator_none"), "")]
        choices += [_choice(p.name or p.user_id, p.user_id) for p in roster]  # not Markdown
        label = texts.get("field.co_facilitator")
        roster_choices.append(_choice_set(INPUT_COFACILITATOR, label, choices, current))
        body.append(roster_choices[-1])
    body.append(
        _input(
            "Input.Text",
            INPUT_FOCUS,
            texts.get("field.focus_points"),
            current,
            isMultiline=True,
            maxLength=1000,
        )
    )
    body += _wording(concept, texts, kind, current)
    body += _extras(concept, texts, kind, current)
    if message:  # again right above the button, where the leader pressed
        body.append(notice(message, element_id=NOTICE_BELOW))
    data = {verbs.DATA_CONVERSATION: conversation.id if conversation else "", verbs.DATA_KIND: kind}
    save = execute(texts.get("setup.save"), verbs.SETUP_SAVE, data, style="positive")
    result = card(body, [save])
    if size(result) > CARD_BUDGET:  # a big chat with long names: cut them as the live card does
        cut = {p.user_id: short(p.name) or p.user_id for p in roster}
        for choice in (c for element in roster_choices for c in element.get("choices", [])):
            choice["title"] = cut.get(choice["value"], choice["title"])
    return result


def private_only_card(texts: Texts, kind: str, message: str) -> Card:
    """A MUS or LUS refused where others can read along: why, and a button that sets it up in
    the leader's private chat with the bot instead (nothing was created, nobody prompted)."""
    return card(
        [
            notice(message),
            heading(texts.get("private.title", kind=kind)),
            text(texts.get("private.how")),
        ],
        [
            execute(
                texts.get("private.create"),
                verbs.SETUP_PRIVATE,
                {verbs.DATA_KIND: kind},
                style="positive",
            )
        ],
    )


def _current_values(conversation: Conversation | None, kind: str) -> dict[str, Any]:
    if conversation is None:
        return {INPUT_KIND: kind, INPUT_VARIANT: "skema"}
    setup = conversation.setup
    date, _, time = (setup.starts_at or "").partition("T")
    values: dict[str, Any] = {
        INPUT_KIND: setup.kind,
        INPUT_PARTICIPANTS: ",".join(
            p.user_id for p in conversation.participants if p.role != "leader"
        ),
        INPUT_DATE: date,
        INPUT_TIME: time[:5],
        INPUT_DURATION: str(setup.duration_minutes),
        INPUT_VARIANT: setup.variant,
        INPUT_WALK: setup.walk_and_talk,
        INPUT_WORKPLACE: setup.workplace,
        INPUT_COFACILITATOR: next(
            (p.user_id for p in conversation.participants if p.role == "co_facilitator"), ""
        ),
        INPUT_FOCUS: setup.focus_points,
    }
    values.update({wording_input(q): t for q, t in setup.wording.items()})
    for n, extra in enumerate(setup.extra_questions, start=1):
        pid, tid = extra_inputs(n)
        values[pid], values[tid] = extra.perspective_id, extra.text
    return values


def _input(kind: str, input_id: str, label: str, current: dict[str, Any], **props: Any) -> Element:
    element: Element = {"type": kind, "id": input_id, "label": label, **props}
    value = current.get(input_id)
    if value in (None, ""):
        return element
    if kind == "Input.Number":  # the schema wants a number here, not a string
        if str(value).isascii() and str(value).isdigit():
            element["value"] = int(value)
    else:
        element["value"] = str(value)
    return element


def _choice_set(
    input_id: str,
    label: str,
    choices: list[dict[str, str]],
    current: dict[str, Any],
    *,
    required: bool = False,
    style: str = "compact",
    multi: bool = False,
) -> Element:
    element = _input("Input.ChoiceSet", input_id, label, current, choices=choices, style=style)
    if multi:
        element["isMultiSelect"] = True
    if required:
        element["isRequired"] = True
        element["errorMessage"] = label
    return element


def _participants(
    texts: Texts, roster: list[Person], current: dict[str, Any], picker: bool
) -> Element:
    label = texts.get("field.participants")
    if picker:
        element = _choice_set(INPUT_PARTICIPANTS, label, [], current, required=True)
        element["choices.data"] = {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
        element["placeholder"] = texts.get("setup.people_picker")
        return element
    choices = [_choice(p.name or p.user_id, p.user_id) for p in roster]  # not Markdown
    element = _choice_set(
        INPUT_PARTICIPANTS, label, choices, current, required=True, style="expanded", multi=True
    )
    return element


def _wording(concept: Concept, texts: Texts, kind: str, current: dict[str, Any]) -> list[Element]:
    form = concept.kind(kind).form if kind in concept.kinds else "du"
    items: list[Element] = [text(texts.get("setup.wording_hint"), isSubtle=True)]
    numbers = {q.id: n for n, q in enumerate(concept.questions_for(kind), start=1)}
    for perspective in concept.perspectives_for(kind):
        items.append(text(perspective_title(perspective), weight="Bolder"))
        for q in perspective.questions:
            if q.id not in numbers:
                continue
            items.append(
                _input(
                    "Input.Text",
                    wording_input(q.id),
                    f"{numbers[q.id]}. {q.text(form)}",
                    current,
                    placeholder=q.text(form),
                    maxLength=500,
                )
            )
    return _toggled("wording", texts.get("setup.wording_toggle"), items)


def _extras(concept: Concept, texts: Texts, kind: str, current: dict[str, Any]) -> list[Element]:
    items: list[Element] = []
    choices = [_choice(p.name, p.id) for p in concept.perspectives_for(kind)]
    for n in range(1, EXTRA_SLOTS + 1):
        pid, tid = extra_inputs(n)
        items.append(_choice_set(pid, texts.get("setup.extra_perspective", n=n), choices, current))
        items.append(
            _input("Input.Text", tid, texts.get("setup.extra_text", n=n), current, maxLength=500)
        )
    return _toggled("extras", texts.get("setup.extra_toggle"), items)


def _toggled(name: str, title: str, items: list[Element]) -> list[Element]:
    return [
        {
            "type": "ActionSet",
            "actions": [
                {"type": "Action.ToggleVisibility", "title": title, "targetElements": [name]}
            ],
        },
        {"type": "Container", "id": name, "isVisible": False, "items": items},
    ]
