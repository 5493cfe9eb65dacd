"""The follow-up reminder a responsible person and the leader get in their 1:1 chat."""

from __future__ import annotations

from datetime import date

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
    safe_date,
    text,
)
from cards.texts import Texts
from dialogs.conversation import Agreement, Conversation

DUE_INPUT = "followup.due"


def due_input(form: str) -> str:
    """The date input of one move form among several on a card ("Mine aftaler"), named by the
    ``form`` its button sends; the reminder's single form uses ``DUE_INPUT`` itself."""
    return f"{DUE_INPUT}.{form}"


def follow_up_card(
    conversation: Conversation,
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
    body += [
        heading(texts.get("followup.title", kind=conversation.kind)),
        text(texts.get("followup.intro")),
        facts(
            [
                (texts.get("field.what"), plain(agreement.what)),
                (texts.get("field.responsible"), plain(agreement.responsible)),
                (
                    texts.get("field.follow_up"),
                    safe_date(texts.date(date.fromisoformat(follow_up.due))),
                ),
            ]
        ),
    ]
    data = {verbs.DATA_CONVERSATION: conversation.id, verbs.DATA_AGREEMENT: agreement.id}
    if follow_up.done_at:
        body.append(text(texts.get("followup.is_done"), weight="Bolder"))
        return card(body)
    move = {
        "type": "Action.ShowCard",
        "title": texts.get("followup.move"),
        "card": card(
            [{"type": "Input.Date", "id": DUE_INPUT, "label": texts.get("field.follow_up")}],
            [execute(texts.get("live.save"), verbs.FOLLOWUP_MOVE, data)],
        ),
    }
    return card(body, [execute(texts.get("followup.done"), verbs.FOLLOWUP_DONE, data), move])
