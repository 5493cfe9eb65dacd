"""The preparation card each participant gets in their 1:1 chat.

It shows which conversation, when and with whom, how to prepare (the concept's guidance), the
questions as the leader worded them (du or I form), the links, a picker of the keywords and
private notes per perspective. Only the viewer's own notes are ever put on their card.
"""

from __future__ import annotations

from typing import Any

from cards import verbs
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
from cards.people import form, names, perspective_title, when
from cards.previous import previous_section
from cards.texts import Texts
from dialogs.agenda import agenda
from dialogs.concept import Concept
from dialogs.conversation import Conversation

INPUT_KEYWORDS = "keywords"


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
) -> Card:
    viewer = conversation.participant(viewer_id)
    kind = concept.kind(conversation.kind)
    body: list[Element] = []
    if message:
        body.append(notice(message, error=not success))
    body += [
        heading(texts.get("prep.title", kind=conversation.kind)),
        text(kind.name, isSubtle=True, spacing="None"),
        facts(
            [
                (texts.get("prep.when"), when(conversation, texts)),
                (
                    texts.get("prep.duration"),
                    texts.get("prep.minutes", minutes=conversation.setup.duration_minutes),
                ),
                (texts.get("prep.leader"), plain(conversation.leader.name)),
                (texts.get("prep.with"), names(conversation)),
                (texts.get("prep.form"), form(conversation, texts)),
            ]
        ),
        text(kind.description),
        subheading(texts.get("prep.how")),
        *(text(paragraph) for paragraph in kind.preparation),
    ]
    if conversation.setup.focus_points:
        body += [subheading(texts.get("prep.focus")), text(plain(conversation.setup.focus_points))]
    body += previous_section(conversation.previous, texts)
    body += _questions(conversation, concept, texts)
    if conversation.keywords_shared_at:
        body += _shared_keywords(conversation, texts)
    open_for_choice = conversation.phase == "preparation"
    if viewer is not None and open_for_choice:
        body += _inputs(conversation, concept, texts, viewer.keywords, viewer.prep_notes, values)
    elif conversation.phase != "preparation":
        body.append(text(texts.get("prep.locked"), isSubtle=True))
    actions = [open_url(link.title, link.url) for link in concept.links]
    if viewer is not None and open_for_choice:
        actions.insert(
            0,
            execute(
                texts.get("prep.save"),
                verbs.PREP_KEYWORDS,
                {verbs.DATA_CONVERSATION: conversation.id},
                style="positive",
            ),
        )
    return card(body, actions)


def _questions(conversation: Conversation, concept: Concept, texts: Texts) -> list[Element]:
    items = agenda(conversation, concept)
    out: list[Element] = [subheading(texts.get("prep.questions"))]
    for perspective in concept.perspectives:
        out.append(text(perspective_title(perspective), weight="Bolder"))
        for item in items:
            if item.perspective_id == perspective.id and not item.extra:
                out.append(text(f"{item.number}\\. {plain(item.text)}"))
    extras = [item for item in items if item.extra]
    if extras:
        out.append(text(texts.get("prep.extra"), weight="Bolder"))
        out += [text(f"{item.number}\\. {plain(item.text)}") for item in extras]
    return out


def _shared_keywords(conversation: Conversation, texts: Texts) -> list[Element]:
    pairs = [
        (plain(p.name), ", ".join(p.keywords) if p.keywords else texts.get("keywords.missing"))
        for p in conversation.participants
    ]
    return [subheading(texts.get("prep.others")), facts(pairs)]


def _inputs(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    keywords: tuple[str, ...],
    notes: dict[str, str],
    values: dict[str, Any] | None,
) -> list[Element]:
    values = values or {}
    chosen = values.get(INPUT_KEYWORDS, ",".join(keywords))
    picker: Element = {
        "type": "Input.ChoiceSet",
        "id": INPUT_KEYWORDS,
        "label": texts.get("prep.keywords"),
        "isMultiSelect": True,
        "style": "expanded",
        "isRequired": True,
        "errorMessage": texts.get("prep.keywords"),
        "choices": [{"title": k, "value": k} for k in concept.keywords],
    }
    if isinstance(chosen, str) and chosen:
        picker["value"] = chosen
    out: list[Element] = [picker, text(texts.get("prep.notes_hint"), isSubtle=True)]
    for perspective in concept.perspectives:
        name = note_input(perspective.id)
        note = values.get(name, notes.get(perspective.id, ""))
        element: Element = {
            "type": "Input.Text",
            "id": name,
            "label": texts.get("prep.notes", perspective=perspective.name),
            "isMultiline": True,
            "maxLength": 2000,
        }
        if isinstance(note, str) and note:
            element["value"] = note
        out.append(element)
    return out
