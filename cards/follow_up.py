"""The follow-up reminder a responsible person and the leader get in their 1:1 chat: the
agreement with every field the concept declares that holds something (its follow-up date as it
stands now, moved or not), and buttons to mark it done or move the date."""

from __future__ import annotations

from dataclasses import replace

from cards import verbs
from cards.common import Card, Element, card, execute, heading, notice, text
from cards.fields import agreement_facts, title
from cards.texts import Texts
from dialogs.concept import FOLLOW_UP, Concept
from dialogs.conversation import Agreement, Conversation

DUE_INPUT = "followup.due"


def due_input(form: str) -> str:
    """The date input of one move form among several on a card ("Mine aftaler"), named by the
    ``form`` its button sends; the reminder's single form uses ``DUE_INPUT`` itself."""
    return f"{DUE_INPUT}.{form}"


def follow_up_card(
    conversation: Conversation,
    concept: Concept,
    agreement: Agreement,
    texts: Texts,
    *,
    message: str | None = None,
    success: bool = True,
) -> Card:
    follow_up = next(f for f in conversation.follow_ups if f.agreement_id == agreement.id)
    body: list[Element] = []
    if message:
        body.append(notice(message, error=not success))
    due_now = replace(agreement, follow_up=follow_up.due)
    body += [
        heading(texts.get("followup.title", kind=conversation.kind)),
        text(texts.get("followup.intro")),
        agreement_facts(conversation, concept, due_now, texts),
    ]
    data = {verbs.DATA_CONVERSATION: conversation.id, verbs.DATA_AGREEMENT: agreement.id}
    if follow_up.done_at:
        body.append(text(texts.get("followup.is_done"), weight="Bolder"))
        return card(body)
    move = {
        "type": "Action.ShowCard",
        "title": texts.get("followup.move"),
        "card": card(
            [{"type": "Input.Date", "id": DUE_INPUT, "label": title(concept, FOLLOW_UP, texts)}],
            [execute(texts.get("live.save"), verbs.FOLLOWUP_MOVE, data)],
        ),
    }
    return card(body, [execute(texts.get("followup.done"), verbs.FOLLOWUP_DONE, data), move])
