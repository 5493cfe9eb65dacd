"""The live conversation card that everyone in the meeting or group chat works on together.

``live_card`` shows the kind and participants, the current perspective (colour mark, Adfærd
first) and question in the leader's wording, progress, everyone's keywords (each can be marked as
brought into play), at the first question the last plan's agreements ("opfølgning fra sidst",
``cards.previous``), the current perspective's notes and the agreements so far, with forms to add
notes and agreements (the form of a new agreement is left out while the viewer edits one, so a
card never carries two forms of the concept's fields). With ``viewer=None`` it is the shared
card put in the chat; with a viewer it is that person's view (navigation only for the leader and
co-facilitator; people who do not take part get ``outsider_card``, which says only who does). What people wrote goes in last and is measured (``cards.budget``): the last
plan's agreements (at most 8), the newest notes of the perspective (at most 5) and the newest
agreements (at most 8) share the room the rest of the card leaves under ``CARD_BUDGET``, and what
does not fit is counted, with "Vis alle aftaler" (``cards.agreements``) and "Vis alle aftaler fra
sidst" to see it all; the plan has every note and agreement. An agreement is edited in a form
opened on the presser's own view (``agreement.open``). So the card stays under Teams' limit at
every documented limit (60 people, 300 notes, 200 agreements, every text at its length).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from cards import verbs
from cards.budget import CARD_BUDGET, added, fitting, size
from cards.common import (
    NOTICE_BELOW,
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
from cards.copies import live_data
from cards.fields import agreement_facts, agreement_inputs, field_id
from cards.people import names, perspective_title, short
from cards.previous import previous_section
from cards.texts import Texts
from dialogs.agenda import AgendaItem, agenda
from dialogs.concept import Concept
from dialogs.conversation import Agreement, Conversation, Note, Participant, covered_key
from dialogs.text import visible

MAX_SHOWN_AGREEMENTS = 8  # the newest; "Vis alle aftaler" shows the rest (agreements_card)
MAX_SHOWN_NOTES = 5
# Bytes the last plan's agreements and the notes take at most (about 7 and 5 at their field
# limits); the agreements get the rest.
PREVIOUS_ROOM = 8_000
NOTES_ROOM = 12_000
MAX_REFRESH_USERS = 60  # Teams refreshes a card for at most 60 listed users
NEW_FORM = "new"  # the form of a new agreement; an agreement's edit form is named by its id
PERSPECTIVE = "perspective"  # each form's perspective choice: field_id(form, PERSPECTIVE)

NOTE_PERSPECTIVE = field_id("note", PERSPECTIVE)
NOTE_TEXT = field_id("note", "text")
FINISH_CONFIDENTIALITY = field_id("finish", "confidentiality")
FINISH_NEXT_FOLLOW_UP = field_id("finish", "next_follow_up")
GOTO_INPUT = field_id("goto", "to")


def live_card(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    *,
    viewer: str | None = None,
    message: str | None = None,
    success: bool = False,
    values: dict[str, Any] | None = None,
    editing: str | None = None,
    ask_no_goals: bool = False,
) -> Card:
    """``values`` (what the presser typed into a refused form) are put back into that form;
    ``editing`` opens that agreement's edit form on the presser's own view; ``ask_no_goals``
    (finishing a MUS or LUS without agreements was refused) offers, right below the refusal,
    to finish with "Ingen udviklingsmål i år". The shared card (``viewer=None``) in a chat
    where others read along, and the view of anyone who does not take part (or has left),
    carry no content: ``outsider_card``."""
    person = conversation.participant(viewer) if viewer else None
    if (viewer is None and conversation.onlookers) or (
        viewer is not None and (person is None or person.left)
    ):
        return outsider_card(conversation, texts, shared=viewer is None)
    typed = {
        k: visible(v)
        for k, v in (values or {}).items()
        if isinstance(k, str) and isinstance(v, str)
    }
    items = agenda(conversation, concept)
    position = min(conversation.live.position, len(items) - 1)
    current = items[position]
    perspective = concept.perspective(current.perspective_id)
    closed = conversation.phase == "closed"
    participant_view = not closed
    leads = not closed and (viewer is None or (person is not None and person.leads))
    data = live_data(conversation)

    body: list[Element] = []
    if message:
        body.append(notice(message, error=not success))
    title = "live.closed_title" if closed else "live.title"
    body += [
        heading(texts.get(title, kind=conversation.kind)),
        text(names(conversation, texts), isSubtle=True, spacing="None"),
    ]
    if conversation.live.last_change:
        body.append(_last_change(conversation, texts))
    if not closed:
        body += [
            subheading(perspective_title(perspective)),
            text(_progress(items, current, texts), isSubtle=True, spacing="None"),
            text(plain(current.text), size="Large", weight="Bolder"),
        ]
    previous_at = len(body)  # "opfølgning fra sidst", at the first question
    body += _keywords(conversation, texts, data, participant_view)
    notes = [n for n in conversation.notes if n.perspective_id == perspective.id]
    facts_of = _facts_of(conversation, concept, texts)
    if not closed:
        body.append(subheading(texts.get("live.notes", perspective=perspective.name)))
    lists_at = len(body)  # the notes, then the agreements
    edit_form = (
        _edit_form(conversation, concept, texts, data, editing, typed)
        if participant_view and viewer is not None and editing
        else []
    )
    body += edit_form

    actions: list[Element] = []
    if leads:
        if position > 0:
            actions.append(
                execute(
                    texts.get("live.previous"),
                    verbs.LIVE_PREVIOUS,
                    {**data, verbs.DATA_POSITION: position},
                )
            )
        if position < len(items) - 1:
            actions.append(
                execute(
                    texts.get("live.next"),
                    verbs.LIVE_NEXT,
                    {**data, verbs.DATA_POSITION: position},
                    style="positive",
                )
            )
        if conversation.setup.variant == "puslespil":
            actions.append(_goto(items, position, texts, data))
    if participant_view:
        actions.append(_note_form(conversation, concept, texts, data, perspective.id, typed))
    if participant_view and not edit_form:  # while one is edited, adding waits (card size)
        inputs = _agreement_form(conversation, concept, texts, NEW_FORM, perspective.id, typed)
        save = execute(
            texts.get("live.save"), verbs.AGREEMENT_ADD, {**data, verbs.DATA_FORM: NEW_FORM}
        )
        actions.append(
            {
                "type": "Action.ShowCard",
                "title": texts.get("live.add_agreement"),
                "card": card(inputs, [save]),
            }
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
    if message:  # again beside the buttons, where the person pressed
        body.append(notice(message, error=not success, element_id=NOTICE_BELOW))
    if ask_no_goals and leads:
        body.append(_no_goals(texts, data, typed))
    result = card(body, actions, **extra)
    # What people wrote goes in last, measured, sharing the room the rest leaves: the last
    # plan's agreements (at the first question) a third of it, the newest notes half of what
    # is left, the newest agreements the rest; each no more than it needs.
    room = CARD_BUDGET - size(result)
    previous: list[Element] = []
    if position == 0 and not closed:
        previous = previous_section(
            conversation, concept, texts, budget=min(room // 3, PREVIOUS_ROOM)
        )
        room -= added(previous)
    lists = _notes(notes, texts, min(room // 2, NOTES_ROOM)) if not closed else []
    room -= added(lists)
    lists += _agreements(conversation, texts, data, participant_view, room, facts_of)
    body[lists_at:lists_at] = lists
    body[previous_at:previous_at] = previous
    return result


def outsider_card(conversation: Conversation, texts: Texts, *, shared: bool) -> Card:
    """What people who do not take part see: that the conversation is under way and who takes
    part, never notes, keywords or agreements. As the shared card in a chat with onlookers it
    asks Teams to refresh it for the participants only (``refresh.userIds``, at most 60), who
    then each see their own full view; "Vis mit samtalekort" does the same by hand."""
    data = live_data(conversation)
    closed = conversation.phase == "closed"
    title = "live.closed_title" if closed else "outsider.title"
    taking_part = [p for p in conversation.participants if not p.left]
    body: list[Element] = [
        heading(texts.get(title, kind=conversation.kind)),
        text(texts.get("outsider.with", names=names(conversation, texts))),
        text(texts.get("outsider.only"), isSubtle=True),
    ]
    if not shared:
        body.insert(0, notice(texts.get("outsider.not_yours")))
    extra: dict[str, Any] = {}
    actions: list[Element] = []
    if not closed:
        actions.append(execute(texts.get("outsider.mine"), verbs.LIVE_REFRESH, data))
        if shared:
            extra["refresh"] = {
                "action": {"type": "Action.Execute", "verb": verbs.LIVE_REFRESH, "data": data},
                "userIds": [p.user_id for p in taking_part][:MAX_REFRESH_USERS],
            }
    return card(body, actions, **extra)


def _last_change(conversation: Conversation, texts: Texts) -> Element:
    """ "Seneste: Lene tilføjede en aftale (kl. 10:32)" – the shared card shows every change land."""
    live = conversation.live
    actor = conversation.participant(live.last_actor)
    name = short(actor.name) if actor else texts.get("live.someone")
    at = datetime.fromisoformat(live.last_at).strftime("%H:%M") if live.last_at else ""
    what = texts.get(f"live.change.{live.last_change}", name=name)
    return text(texts.get("live.last_change", change=what, at=at), isSubtle=True, spacing="Small")


def _progress(items: tuple[AgendaItem, ...], current: AgendaItem, texts: Texts) -> str:
    nine = [i for i in items if not i.extra]
    if current.extra:
        extras = [i for i in items if i.extra]
        return texts.get("live.progress_extra", n=extras.index(current) + 1, total=len(extras))
    return texts.get("live.progress", n=nine.index(current) + 1, total=len(nine))


def _keywords(
    conversation: Conversation, texts: Texts, data: dict[str, Any], active: bool
) -> list[Element]:
    """Who chose what (✅ when it has come up), and one button per distinct chosen keyword: when
    a keyword comes up, it has come up for everyone who chose it (at most 33 buttons)."""
    covered = set(conversation.live.covered)
    chosen = [p for p in conversation.participants if p.keywords]
    if not chosen:
        return []

    def mark(p: Participant, keyword: str) -> str:
        return f"✅ {keyword}" if covered_key(p.user_id, keyword) in covered else keyword

    lines = [(short(p.name), ", ".join(mark(p, k) for k in p.keywords)) for p in chosen]
    title = texts.get("live.keywords" if active else "live.keywords_plain")
    out: list[Element] = [subheading(title), facts(lines)]
    if active:
        distinct = dict.fromkeys(k for p in chosen for k in p.keywords)
        buttons = []
        for keyword in distinct:
            owners = [p for p in chosen if keyword in p.keywords]
            done = all(covered_key(p.user_id, keyword) in covered for p in owners)
            title = f"✅ {keyword}" if done else keyword
            buttons.append(
                execute(
                    title,
                    verbs.KEYWORD_MARK,
                    {**data, verbs.DATA_KEYWORD: keyword, verbs.DATA_COVERED: not done},
                )
            )
        out.append({"type": "ActionSet", "actions": buttons})
    return out


def _facts_of(
    conversation: Conversation, concept: Concept, texts: Texts
) -> Callable[[Agreement], Element]:
    return lambda agreement: agreement_facts(conversation, concept, agreement, texts)


def _agreements(
    conversation: Conversation,
    texts: Texts,
    data: dict[str, Any],
    active: bool,
    budget: int,
    facts_of: Callable[[Agreement], Element],
) -> list[Element]:
    """The newest agreements (at most ``MAX_SHOWN_AGREEMENTS``, and only as many as fit in
    ``budget`` bytes, measured), newest last, each with "Redigér" and "Fjern" for participants;
    the rest are counted, with a button to see them all (``cards.agreements``); all are in the
    plan."""
    out: list[Element] = [subheading(texts.get("live.agreements"))]
    if not conversation.agreements:
        return [*out, text(texts.get("live.no_agreements"), isSubtle=True)]
    newest = conversation.agreements[-MAX_SHOWN_AGREEMENTS:]
    budget -= added(out) + 600  # room for the "… and N more" line and its button
    shown = fitting(
        (agreement_item(a, texts, data, active, facts_of) for a in reversed(newest)), budget
    )
    hidden = len(conversation.agreements) - len(shown)
    if hidden > 0:
        out.append(text(texts.get("live.more_agreements", count=hidden), isSubtle=True))
    if hidden > 0 and conversation.phase != "closed":  # once closed, the plan has them all
        show_all = execute(
            texts.get("live.all_agreements"), verbs.AGREEMENTS_SHOW, {**data, verbs.DATA_FROM: 0}
        )
        out.append({"type": "ActionSet", "actions": [show_all]})
    return out + shown[::-1]


def agreement_item(
    agreement: Agreement,
    texts: Texts,
    data: dict[str, Any],
    active: bool,
    facts_of: Callable[[Agreement], Element],
) -> Element:
    """One agreement as a block (its fields as ``facts_of`` shows them), with "Redigér" and
    "Fjern" when ``active``."""
    items: list[Element] = [facts_of(agreement)]
    if active:
        target = {**data, verbs.DATA_AGREEMENT: agreement.id}
        items.append(
            {
                "type": "ActionSet",
                "actions": [
                    execute(texts.get("live.edit"), verbs.AGREEMENT_OPEN, target),
                    execute(texts.get("live.remove"), verbs.AGREEMENT_REMOVE, target),
                ],
            }
        )
    return {"type": "Container", "style": "emphasis", "items": items, "spacing": "Small"}


def _notes(notes: list[Note], texts: Texts, budget: int) -> list[Element]:
    """The newest notes of the perspective (at most ``MAX_SHOWN_NOTES``, and only as many as fit
    in ``budget`` bytes, measured), newest last; the earlier ones are counted (the plan has
    them all)."""
    if not notes:
        return [text(texts.get("live.no_notes"), isSubtle=True)]
    widest = text(texts.get("live.more_notes", count=len(notes)), isSubtle=True)
    newest = reversed(notes[-MAX_SHOWN_NOTES:])
    shown = fitting(
        (text(plain(n.text), spacing="Small") for n in newest), budget - added([widest])
    )
    earlier = len(notes) - len(shown)
    more = [text(texts.get("live.more_notes", count=earlier), isSubtle=True)] if earlier else []
    return more + shown[::-1]


def _edit_form(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    data: dict[str, Any],
    agreement_id: str,
    typed: dict[str, str],
) -> list[Element]:
    agreement = next((a for a in conversation.agreements if a.id == agreement_id), None)
    if agreement is None:
        return []
    inputs = _agreement_form(
        conversation, concept, texts, agreement.id, agreement.perspective_id, typed, agreement
    )
    target = {**data, verbs.DATA_AGREEMENT: agreement.id, verbs.DATA_FORM: agreement.id}
    save = execute(texts.get("live.save"), verbs.AGREEMENT_EDIT, target, style="positive")
    return [
        {
            "type": "Container",
            "id": "edit",
            "style": "accent",
            "items": [
                subheading(texts.get("live.edit_title")),
                *inputs,
                {"type": "ActionSet", "actions": [save]},
            ],
        }
    ]


def _perspective_choice(
    conversation: Conversation, concept: Concept, texts: Texts, input_id: str, selected: str
) -> Element:
    perspectives = concept.perspectives_for(conversation.kind)
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": texts.get("field.perspective"),
        "value": selected,
        "choices": [{"title": p.name, "value": p.id} for p in perspectives],
    }


def _note_form(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    data: dict[str, Any],
    perspective_id: str,
    typed: dict[str, str],
) -> Element:
    note: Element = {
        "type": "Input.Text",
        "id": NOTE_TEXT,
        "label": texts.get("field.note"),
        "isMultiline": True,
        "maxLength": 2000,
        "isRequired": True,
        "errorMessage": texts.get("field.note"),
    }
    if typed.get(NOTE_TEXT):
        note["value"] = typed[NOTE_TEXT]
    body = [
        _perspective_choice(conversation, concept, texts, NOTE_PERSPECTIVE, perspective_id),
        note,
    ]
    return {
        "type": "Action.ShowCard",
        "title": texts.get("live.add_note"),
        "card": card(body, [execute(texts.get("live.save"), verbs.NOTE_ADD, data)]),
    }


def _agreement_form(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    form: str,
    perspective_id: str,
    typed: dict[str, str],
    agreement: Agreement | None = None,
) -> list[Element]:
    """The perspective, then the concept's fields (``cards.fields``)."""
    choice_id = field_id(form, PERSPECTIVE)
    selected = typed.get(choice_id) or perspective_id
    return [
        _perspective_choice(conversation, concept, texts, choice_id, selected),
        *agreement_inputs(conversation, concept, texts, form, agreement, typed),
    ]


def _no_goals(texts: Texts, data: dict[str, Any], typed: dict[str, str]) -> Element:
    """ "Ingen udviklingsmål i år": finish anyway, with what was typed into the finish form."""
    finish = {
        **data,
        verbs.DATA_NO_GOALS: True,
        FINISH_CONFIDENTIALITY: typed.get(FINISH_CONFIDENTIALITY, ""),
        FINISH_NEXT_FOLLOW_UP: typed.get(FINISH_NEXT_FOLLOW_UP, ""),
    }
    button = execute(
        texts.get("live.no_goals_confirm"), verbs.LIVE_FINISH, finish, style="destructive"
    )
    return {
        "type": "Container",
        "id": "no-goals",
        "items": [
            text(texts.get("live.no_goals_hint"), isSubtle=True),
            {"type": "ActionSet", "actions": [button]},
        ],
    }


def _finish_form(texts: Texts, data: dict[str, Any], typed: dict[str, str]) -> Element:
    """Closing asks what may be passed on, and to whom (confidentiality), and the next follow-up."""
    confidentiality: Element = {
        "type": "Input.Text",
        "id": FINISH_CONFIDENTIALITY,
        "label": texts.get("live.confidentiality"),
        "placeholder": texts.get("live.confidentiality_hint"),
        "isMultiline": True,
        "maxLength": 1000,
    }
    follow_up: Element = {
        "type": "Input.Date",
        "id": FINISH_NEXT_FOLLOW_UP,
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
        "id": GOTO_INPUT,
        "label": texts.get("live.goto"),
        "value": str(position),
        "choices": [
            {"title": f"{i.number}. {i.text[:80]}", "value": str(n)}  # titles are not Markdown
            for n, i in enumerate(items)
        ],
    }
    return {
        "type": "Action.ShowCard",
        "title": texts.get("live.goto"),
        "card": card([choice], [execute(texts.get("live.goto_button"), verbs.LIVE_GOTO, data)]),
    }
