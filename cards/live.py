"""The live conversation card that everyone in the meeting or group chat works on together.

``live_card`` shows the kind and participants, the current perspective (colour mark, Adfærd
first) and question in the leader's wording, progress, everyone's keywords (each can be marked as
brought into play), the current perspective's notes and the agreements so far, with forms to add
notes and agreements. With ``viewer=None`` it is the shared card put in the chat; with a viewer it
is that person's view (navigation only for the leader and co-facilitator; read-only for people
who do not take part). ``summary_card`` lists the agreements once the conversation is closed.
"""

from __future__ import annotations

from datetime import date
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
    plain,
    subheading,
    text,
)
from cards.people import names, perspective_title
from cards.previous import previous_section
from cards.texts import Texts
from dialogs.agenda import AgendaItem, agenda
from dialogs.concept import Concept
from dialogs.conversation import Agreement, Conversation, Participant, covered_key

MAX_SHOWN_AGREEMENTS = 25
AGREEMENT_INPUTS = ("what", "when", "who", "responsible", "follow_up", "value")


def field_id(form: str, name: str) -> str:
    """Input ids are unique across the card: each form (``note``, ``new``, an agreement id)
    prefixes its own."""
    return f"{form}.{name}"


def live_card(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    *,
    viewer: str | None = None,
    message: str | None = None,
    success: bool = False,
    values: dict[str, Any] | None = None,
) -> Card:
    """``values`` (what the presser typed into a refused form) are put back into that form."""
    typed = {k: v for k, v in (values or {}).items() if isinstance(k, str) and isinstance(v, str)}
    items = agenda(conversation, concept)
    position = min(conversation.live.position, len(items) - 1)
    current = items[position]
    perspective = concept.perspective(current.perspective_id)
    person = conversation.participant(viewer) if viewer else None
    closed = conversation.phase == "closed"
    participant_view = not closed and (viewer is None or person is not None)
    leads = not closed and (viewer is None or (person is not None and person.leads))
    data = {"conversation": conversation.id}

    body: list[Element] = []
    if message:
        body.append(notice(message, error=not success))
    title = "live.closed_title" if closed else "live.title"
    body += [
        heading(texts.get(title, kind=conversation.kind)),
        text(names(conversation), isSubtle=True, spacing="None"),
    ]
    if viewer is not None and person is None:
        body.append(text(texts.get("live.readonly"), isSubtle=True))
    if not closed:
        body += [
            subheading(perspective_title(perspective)),
            text(_progress(items, current, texts), isSubtle=True, spacing="None"),
            text(plain(current.text), size="Large", weight="Bolder"),
        ]
    if position == 0 and not closed:
        body += previous_section(conversation.previous, texts)
    body += _keywords(conversation, texts, data, participant_view)
    if not closed:
        notes = [n for n in conversation.notes if n.perspective_id == perspective.id]
        body.append(subheading(texts.get("live.notes", perspective=perspective.name)))
        body += [text(plain(n.text), spacing="Small") for n in notes] or [
            text(texts.get("live.no_notes"), isSubtle=True)
        ]
    body += _agreements(conversation, concept, texts, data, participant_view)

    actions: list[Element] = []
    if leads:
        if position > 0:
            actions.append(
                execute(
                    texts.get("live.previous"), verbs.LIVE_PREVIOUS, {**data, "position": position}
                )
            )
        if position < len(items) - 1:
            actions.append(
                execute(
                    texts.get("live.next"),
                    verbs.LIVE_NEXT,
                    {**data, "position": position},
                    style="positive",
                )
            )
        if conversation.setup.variant == "puslespil":
            actions.append(_goto(items, position, texts, data))
    if participant_view:
        actions.append(_note_form(concept, texts, data, perspective.id, typed))
        actions.append(
            _agreement_form(
                concept,
                texts,
                data,
                perspective.id,
                None,
                "live.add_agreement",
                verbs.AGREEMENT_ADD,
                typed,
                conversation.participants,
            )
        )
    if leads:
        actions.append(_finish_form(texts, data, typed))
    if not closed:
        actions.append(execute(texts.get("live.refresh"), verbs.LIVE_REFRESH, data))
    extra: dict[str, Any] = {}
    if not closed:
        extra["refresh"] = {
            "action": {"type": "Action.Execute", "verb": verbs.LIVE_REFRESH, "data": data}
        }
    return card(body, actions, **extra)


def summary_card(conversation: Conversation, concept: Concept, texts: Texts) -> Card:
    body: list[Element] = [
        heading(texts.get("summary.title", kind=conversation.kind)),
        text(texts.get("summary.intro")),
    ]
    body += _agreements(conversation, concept, texts, {}, False, limit=None)
    return card(body)


def _progress(items: tuple[AgendaItem, ...], current: AgendaItem, texts: Texts) -> str:
    nine = [i for i in items if not i.extra]
    if current.extra:
        extras = [i for i in items if i.extra]
        return texts.get("live.progress_extra", n=extras.index(current) + 1, total=len(extras))
    return texts.get("live.progress", n=nine.index(current) + 1, total=len(nine))


def _keywords(
    conversation: Conversation, texts: Texts, data: dict[str, Any], active: bool
) -> list[Element]:
    out: list[Element] = [subheading(texts.get("live.keywords"))]
    covered = set(conversation.live.covered)
    for p in conversation.participants:
        if not p.keywords:
            continue
        buttons = []
        for keyword in p.keywords:
            done = covered_key(p.user_id, keyword) in covered
            title = f"✅ {keyword}" if done else keyword
            buttons.append(
                execute(
                    title,
                    verbs.KEYWORD_MARK,
                    {**data, "owner": p.user_id, "keyword": keyword, "covered": not done},
                )
            )
        out.append(text(plain(p.name), weight="Bolder", spacing="Small"))
        if active:
            out.append({"type": "ActionSet", "actions": buttons})
        else:
            out.append(text(", ".join(str(b["title"]) for b in buttons), spacing="None"))
    return out


def _agreement_facts(agreement: Agreement, texts: Texts) -> Element:
    pairs = [(texts.get("field.what"), plain(agreement.what))]
    for field, value in (
        ("when", agreement.when),
        ("who", agreement.who),
        ("responsible", agreement.responsible),
        ("follow_up", _date(agreement.follow_up, texts)),
        ("value", agreement.value),
    ):
        if value:
            pairs.append(
                (texts.get(f"field.{field}"), plain(value) if field != "follow_up" else value)
            )
    return facts(pairs)


def _date(value: str, texts: Texts) -> str:
    return texts.date(date.fromisoformat(value)) if value else ""


def _agreements(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    data: dict[str, Any],
    active: bool,
    limit: int | None = MAX_SHOWN_AGREEMENTS,
) -> list[Element]:
    out: list[Element] = [subheading(texts.get("live.agreements"))]
    if not conversation.agreements:
        return [*out, text(texts.get("live.no_agreements"), isSubtle=True)]
    shown = conversation.agreements if limit is None else conversation.agreements[-limit:]
    for perspective in concept.perspectives:
        mine = [a for a in shown if a.perspective_id == perspective.id]
        if not mine:
            continue
        out.append(text(perspective_title(perspective), weight="Bolder"))
        for agreement in mine:
            items: list[Element] = [_agreement_facts(agreement, texts)]
            if active:
                target = {**data, "agreement": agreement.id}
                items.append(
                    {
                        "type": "ActionSet",
                        "actions": [
                            _agreement_form(
                                concept,
                                texts,
                                target,
                                agreement.perspective_id,
                                agreement,
                                "live.edit",
                                verbs.AGREEMENT_EDIT,
                                None,
                                conversation.participants,
                            ),
                            execute(texts.get("live.remove"), verbs.AGREEMENT_REMOVE, target),
                        ],
                    }
                )
            out.append(
                {"type": "Container", "style": "emphasis", "items": items, "spacing": "Small"}
            )
    hidden = len(conversation.agreements) - len(shown)
    if hidden:
        out.append(text(texts.get("live.more_agreements", count=hidden), isSubtle=True))
    return out


def _perspective_choice(concept: Concept, texts: Texts, input_id: str, selected: str) -> Element:
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": texts.get("field.perspective"),
        "value": selected,
        "choices": [{"title": p.name, "value": p.id} for p in concept.perspectives],
    }


def _note_form(
    concept: Concept, texts: Texts, data: dict[str, Any], perspective_id: str, typed: dict[str, str]
) -> Element:
    note: Element = {
        "type": "Input.Text",
        "id": field_id("note", "text"),
        "label": texts.get("field.note"),
        "isMultiline": True,
        "maxLength": 2000,
        "isRequired": True,
        "errorMessage": texts.get("field.note"),
    }
    if typed.get(field_id("note", "text")):
        note["value"] = typed[field_id("note", "text")]
    body = [
        _perspective_choice(concept, texts, field_id("note", "perspective"), perspective_id),
        note,
    ]
    return {
        "type": "Action.ShowCard",
        "title": texts.get("live.add_note"),
        "card": card(body, [execute(texts.get("live.save"), verbs.NOTE_ADD, data)]),
    }


def _agreement_form(
    concept: Concept,
    texts: Texts,
    data: dict[str, Any],
    perspective_id: str,
    agreement: Agreement | None,
    title_key: str,
    verb: str,
    typed: dict[str, str] | None = None,
    people: tuple[Participant, ...] = (),
) -> Element:
    form = agreement.id if agreement else "new"

    def value(name: str) -> dict[str, str]:
        current = (typed or {}).get(field_id(form, name)) or (
            getattr(agreement, name, "") if agreement else ""
        )
        return {"value": current} if current else {}

    labels = {"follow_up": texts.get("live.follow_up_hint"), "value": texts.get("live.value_hint")}
    body: list[Element] = [
        _perspective_choice(concept, texts, field_id(form, "perspective"), perspective_id)
    ]
    for name in AGREEMENT_INPUTS:
        if name == "responsible":
            input_id = field_id(form, name)
            typed_id = (typed or {}).get(input_id, "")
            body.append(_responsible_choice(people, texts, input_id, typed_id, agreement))
            continue
        element: Element = {
            "type": "Input.Date" if name == "follow_up" else "Input.Text",
            "id": field_id(form, name),
            "label": labels.get(name, texts.get(f"field.{name}")),
            **value(name),
        }
        if name == "what":
            element.update(
                isRequired=True,
                errorMessage=texts.get("field.what"),
                isMultiline=True,
                maxLength=500,
            )
        elif name != "follow_up":
            element["maxLength"] = 500 if name == "value" else 200
        body.append(element)
    return {
        "type": "Action.ShowCard",
        "title": texts.get(title_key),
        "card": card(body, [execute(texts.get("live.save"), verb, {**data, "form": form})]),
    }


def _responsible_choice(
    people: tuple[Participant, ...],
    texts: Texts,
    input_id: str,
    typed: str,
    agreement: Agreement | None,
) -> Element:
    """The person responsible, picked among the participants (the reminder goes to them)."""
    element: Element = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": texts.get("field.responsible"),
        "style": "compact",
        "choices": [{"title": plain(p.name) or p.user_id, "value": p.user_id} for p in people],
    }
    chosen = typed or (agreement.responsible_id if agreement else "")
    if chosen:
        element["value"] = chosen
    return element


def _finish_form(texts: Texts, data: dict[str, Any], typed: dict[str, str]) -> Element:
    """Closing asks what may be passed on, and to whom (confidentiality), and the next follow-up."""
    confidentiality: Element = {
        "type": "Input.Text",
        "id": field_id("finish", "confidentiality"),
        "label": texts.get("live.confidentiality"),
        "placeholder": texts.get("live.confidentiality_hint"),
        "isMultiline": True,
        "maxLength": 1000,
    }
    follow_up: Element = {
        "type": "Input.Date",
        "id": field_id("finish", "next_follow_up"),
        "label": texts.get("field.next_follow_up"),
    }
    for element in (confidentiality, follow_up):
        if typed.get(element["id"]):
            element["value"] = typed[element["id"]]
    body = [text(texts.get("live.finish_intro"), wrap=True), confidentiality, follow_up]
    return {
        "type": "Action.ShowCard",
        "title": texts.get("live.finish"),
        "card": card(
            body,
            [
                execute(
                    texts.get("live.finish_confirm"), verbs.LIVE_FINISH, data, style="destructive"
                )
            ],
        ),
    }


def _goto(
    items: tuple[AgendaItem, ...], position: int, texts: Texts, data: dict[str, Any]
) -> Element:
    choice = {
        "type": "Input.ChoiceSet",
        "id": "goto.to",
        "label": texts.get("live.goto"),
        "value": str(position),
        "choices": [
            {"title": f"{i.number}. {plain(i.text)[:80]}", "value": str(n)}
            for n, i in enumerate(items)
        ],
    }
    return {
        "type": "Action.ShowCard",
        "title": texts.get("live.goto"),
        "card": card([choice], [execute(texts.get("live.goto_button"), verbs.LIVE_GOTO, data)]),
    }
