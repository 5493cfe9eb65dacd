"""The preparation card each participant (the leader too) gets in their 1:1 chat.

It is built to fit on about two screens of a Teams card (about 500 px wide), in this order:

1. what the leader decided: the kind, date, time, duration, workplace, skema or puslespil,
   walk'n'talk, the leader and the participants;
2. the concept's guidance behind a "Læs vejledningen" toggle: the kind's description, how
   everyone prepares (``KindInfo.preparation``), the leader's own duties
   (``KindInfo.leader_preparation``, on the leader's card only) and the concept's links;
3. this year's focus points, the last plan's agreements ("opfølgning fra sidst"), the questions
   as the leader worded them (du or I form) and, once shared, everyone's keywords;
4. the viewer's part, in one of three states:

   - **the form** (they have not chosen yet, or they pressed "Ret", or a press was refused): the 33
     keywords as ``Input.Toggle`` in two columns, each as wide as its longest word needs, so that
     no keyword is broken inside a word (exactly three are required; the server counts), and
     private notes per perspective, with "Gem mine stikord"; with a concept without keywords,
     the private notes and "Jeg er forberedt" (the same verb, no keywords);
   - **the summary** (they have chosen, or said they are prepared): "Dine stikord: A, B, C"
     (or "Du er forberedt"), whether private notes are saved (never the notes themselves), the
     questions folded away, and "Ret" (``prep.edit``), which answers with the form again,
     filled in;
   - **locked** once the conversation has started: their keywords and no inputs.

A ``message`` (a refusal or a confirmation) is shown twice: on top, and as the last body element
right above the buttons, where the person pressed. Only the answer to a press carries one; the
cards the bot sends or edits in place later are built without a message. Only the viewer's own
notes are ever put on their card.
"""

from __future__ import annotations

import re
from typing import Any

from cards import verbs
from cards.budget import CARD_BUDGET, size
from cards.common import (
    Card,
    Element,
    card,
    execute,
    facts,
    heading,
    notice,
    open_url,
    plain,
    subheading,
    text,
)
from cards.people import names, perspective_title, when
from cards.previous import previous_section
from cards.texts import Texts
from dialogs.agenda import agenda
from dialogs.concept import Concept, KindInfo
from dialogs.conversation import Conversation, Participant
from dialogs.text import visible

# Inputs the card sends with ``prep.keywords`` (read back by bot/flows/preparation.py).
KEYWORD_INPUT_PREFIX = "keyword."  # one Input.Toggle per keyword: "keyword.Motivation" = "true"
KEYWORD_ON, KEYWORD_OFF = "true", "false"
# The comma-joined multi-select of cards sent before the toggles; still accepted from them.
INPUT_KEYWORDS = "keywords"
KEYWORD_COLUMNS = 2
# Room the checkbox takes beside its title, in characters: the columns are weighted by their
# longest word plus this, so that no keyword is broken inside a word. (Three columns cannot hold
# "Beslutningskompetence" whole on a Teams card about 450 px wide: measured in tests/e2e.)
_CHECKBOX_CHARS = 5
_BREAKS = re.compile(r"[\s-]+")

# Element ids the card's own toggles show and hide.
GUIDANCE = "guidance"
QUESTIONS = "questions"
NOTICE_TOP, NOTICE_BOTTOM = "notice", "notice_actions"


def keyword_input(keyword: str) -> str:
    return f"{KEYWORD_INPUT_PREFIX}{keyword}"


def note_input(perspective_id: str) -> str:
    return f"note_{perspective_id}"


def preparation_card(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    viewer_id: str,
    *,
    message: str | None = None,
    success: bool = False,
    values: dict[str, Any] | None = None,
    editing: bool = False,
) -> Card:
    """The viewer's card. ``values`` (what they sent, after a refusal) and ``editing`` (after
    "Ret") open the form; otherwise it shows the viewer's current state."""
    viewer = conversation.participant(viewer_id)
    kind = concept.kind(conversation.kind)
    open_for_choice = viewer is not None and conversation.phase == "preparation"
    form = open_for_choice and (
        editing or values is not None or not (viewer is not None and viewer.prepared)
    )
    summary = open_for_choice and not form

    body: list[Element] = []
    if message:
        body.append(notice(message, error=not success, element_id=NOTICE_TOP))
    guidance = _guidance(kind, concept, texts, leads=viewer is not None and viewer.role == "leader")
    body += [
        {
            "type": "ColumnSet",
            "columns": [
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": [
                        heading(texts.get("prep.title", kind=conversation.kind)),
                        text(kind.name, isSubtle=True, spacing="None"),
                    ],
                },
                {
                    "type": "Column",
                    "width": "auto",
                    "verticalContentAlignment": "Center",
                    "items": [_toggle(texts.get("prep.guidance"), GUIDANCE)],
                },
            ],
        },
        facts(_decided(conversation, texts)),
        guidance,
    ]
    if conversation.setup.focus_points:
        body += [subheading(texts.get("prep.focus")), text(plain(conversation.setup.focus_points))]
    previous_at = len(body)  # the last plan's agreements: in the room the rest leaves
    questions = _questions(conversation, concept, texts)
    if summary:
        body += [
            _toggle(texts.get("prep.show_questions"), QUESTIONS),
            _hidden(QUESTIONS, questions),
        ]
    else:
        body += questions
    if conversation.keywords_shared_at:
        body += _shared_keywords(conversation, texts)

    actions: list[Element] = []
    data = {verbs.DATA_CONVERSATION: conversation.id}
    if viewer is not None and form:
        body += _inputs(conversation, concept, texts, viewer, values)
        save = texts.get("prep.save") if concept.uses_keywords else texts.get("prep.ready")
        actions.append(execute(save, verbs.PREP_KEYWORDS, data, style="positive"))
    elif viewer is not None and summary:
        body += _summary(texts, viewer)
        actions.append(execute(texts.get("prep.edit"), verbs.PREP_EDIT, data))
    elif conversation.phase != "preparation":
        if viewer is not None and viewer.keywords:
            keywords = ", ".join(viewer.keywords)
            body.append(text(texts.get("prep.your_keywords", keywords=keywords), weight="Bolder"))
        body.append(text(texts.get("prep.locked"), isSubtle=True))
    if message:
        body.append(notice(message, error=not success, element_id=NOTICE_BOTTOM))
    result = card(body, actions)
    room = CARD_BUDGET - size(result)
    body[previous_at:previous_at] = previous_section(conversation, concept, texts, budget=room)
    return result


def _decided(conversation: Conversation, texts: Texts) -> list[tuple[str, str]]:
    """What the leader decided, each as a fact (nothing here is "to be decided")."""
    setup = conversation.setup
    pairs = [
        (texts.get("prep.when"), when(conversation, texts)),
        (texts.get("prep.duration"), texts.get("prep.minutes", minutes=setup.duration_minutes)),
    ]
    if setup.workplace:
        pairs.append((texts.get("prep.workplace"), plain(setup.workplace)))
    walk = texts.get("prep.yes") if setup.walk_and_talk else texts.get("prep.no")
    pairs += [
        (texts.get("prep.form"), texts.get(f"variant.{setup.variant}")),
        (texts.get("prep.walk_fact"), walk),
        (texts.get("prep.leader"), plain(conversation.leader.name)),
        (texts.get("prep.with"), names(conversation, texts)),
    ]
    return pairs


def _guidance(kind: KindInfo, concept: Concept, texts: Texts, *, leads: bool) -> Element:
    """The concept's guidance, hidden until "Læs vejledningen": for everyone, and the leader's
    duties for the leader only."""
    items: list[Element] = [
        text(kind.description),
        subheading(texts.get("prep.how")),
        *(text(paragraph) for paragraph in kind.preparation),
    ]
    if leads and kind.leader_preparation:
        items.append(subheading(texts.get("prep.leader_duties")))
        items += [text(paragraph) for paragraph in kind.leader_preparation]
    if concept.links:
        links = [open_url(link.title, link.url) for link in concept.links]
        items.append({"type": "ActionSet", "actions": links})
    return _hidden(GUIDANCE, items)


def _toggle(title: str, element_id: str) -> Element:
    """A button that shows and hides the element ``element_id``."""
    return {
        "type": "ActionSet",
        "actions": [
            {"type": "Action.ToggleVisibility", "title": title, "targetElements": [element_id]}
        ],
    }


def _hidden(element_id: str, items: list[Element]) -> Element:
    return {"type": "Container", "id": element_id, "isVisible": False, "items": items}


def _questions(conversation: Conversation, concept: Concept, texts: Texts) -> list[Element]:
    items = agenda(conversation, concept)
    out: list[Element] = [subheading(texts.get("prep.questions"))]
    for perspective in concept.perspectives_for(conversation.kind):
        out.append(text(perspective_title(perspective), weight="Bolder"))
        for item in items:
            if item.perspective_id == perspective.id and not item.extra:
                out.append(text(f"{item.number}\\. {plain(item.text)}", spacing="None"))
    extras = [item for item in items if item.extra]
    if extras:
        out.append(text(texts.get("prep.extra"), weight="Bolder"))
        out += [text(f"{item.number}\\. {plain(item.text)}", spacing="None") for item in extras]
    return out


def _shared_keywords(conversation: Conversation, texts: Texts) -> list[Element]:
    pairs = [
        (plain(p.name), ", ".join(p.keywords) if p.keywords else texts.get("keywords.missing"))
        for p in conversation.participants
    ]
    return [subheading(texts.get("prep.others")), facts(pairs)]


def _summary(texts: Texts, viewer: Participant) -> list[Element]:
    notes = "prep.notes_saved" if any(viewer.prep_notes.values()) else "prep.no_notes"
    if viewer.keywords:
        done = texts.get("prep.your_keywords", keywords=", ".join(viewer.keywords))
        hint = texts.get("prep.edit_hint")
    else:  # a concept without keywords: they said they are prepared
        done, hint = texts.get("prep.you_are_ready"), texts.get("prep.edit_hint_ready")
    return [
        text(done, size="Medium", weight="Bolder", separator=True, spacing="Large"),
        text(texts.get(notes), spacing="Small"),
        text(hint, isSubtle=True, spacing="Small"),
    ]


def _chosen_on_card(values: dict[str, Any]) -> set[str]:
    """The keywords a sent card had switched on (its toggles, or the older comma-joined list)."""
    chosen = {
        key[len(KEYWORD_INPUT_PREFIX) :]
        for key, value in values.items()
        if key.startswith(KEYWORD_INPUT_PREFIX) and value in (True, KEYWORD_ON)
    }
    legacy = values.get(INPUT_KEYWORDS)
    if isinstance(legacy, str):
        chosen |= {part.strip() for part in legacy.split(",") if part.strip()}
    return chosen


def _inputs(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    viewer: Participant,
    values: dict[str, Any] | None,
) -> list[Element]:
    out = (
        _keyword_inputs(concept, texts, viewer, values)
        if concept.uses_keywords
        else [
            text(texts.get("prep.ready_intro"), weight="Bolder", separator=True, spacing="Medium")
        ]
    )
    for perspective in concept.perspectives_for(conversation.kind):
        name = note_input(perspective.id)
        note = viewer.prep_notes.get(perspective.id, "")
        if values is not None:
            note = values.get(name, note)
        element: Element = {
            "type": "Input.Text",
            "id": name,
            "label": texts.get("prep.notes", perspective=perspective.name),
            "placeholder": texts.get("prep.notes_hint"),
            "isMultiline": True,
            "maxLength": 2000,
        }
        if isinstance(note, str) and note:
            element["value"] = visible(note)
        out.append(element)
    return out


def _keyword_inputs(
    concept: Concept, texts: Texts, viewer: Participant, values: dict[str, Any] | None
) -> list[Element]:
    chosen = _chosen_on_card(values) if values is not None else set(viewer.keywords)
    per_column = -(-len(concept.keywords) // KEYWORD_COLUMNS)
    columns: list[Element] = []
    for start in range(0, len(concept.keywords), per_column):
        keywords = concept.keywords[start : start + per_column]
        toggles = [
            {
                "type": "Input.Toggle",
                "id": keyword_input(keyword),
                "title": keyword,
                "value": KEYWORD_ON if keyword in chosen else KEYWORD_OFF,
                "valueOn": KEYWORD_ON,
                "valueOff": KEYWORD_OFF,
                "wrap": True,
                "spacing": "None",
            }
            for keyword in keywords
        ]
        longest = max(len(word) for keyword in keywords for word in _BREAKS.split(keyword))
        columns.append({"type": "Column", "width": longest + _CHECKBOX_CHARS, "items": toggles})
    return [
        text(texts.get("prep.keywords"), weight="Bolder", separator=True, spacing="Medium"),
        {"type": "ColumnSet", "columns": columns, "spacing": "Small"},
    ]
