"""Follow-up after the conversation: mark an agreement's follow-up done, or move its date."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext

from bot.conversations import resolve_actor
from bot.identity import actor_of
from bot.payload import id_field, text_field
from cards.errors import refusal_message
from cards.follow_up import follow_up_card
from cards.texts import Texts
from dialogs import events as ev
from dialogs.errors import DomainError, UnknownItem

if TYPE_CHECKING:
    from bot.handler import SamtaleguideBot


async def _apply(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts, done: bool
) -> dict:
    conversation_id = id_field(data, "conversation")
    agreement_id = id_field(data, "agreement")
    conversation = await bot.conversations.get(conversation_id)
    actor = resolve_actor(conversation, actor_of(context.activity))
    agreement = next((a for a in conversation.agreements if a.id == agreement_id), None)
    if agreement is None:
        raise UnknownItem("no such agreement", item="agreement")
    event: ev.Event
    if done:
        event = ev.CompleteFollowUp(
            actor, agreement_id=agreement_id, request_id=context.activity.id
        )
    else:
        due = text_field(data, "followup.due")
        event = ev.MoveFollowUp(
            actor, agreement_id=agreement_id, due=due, request_id=context.activity.id
        )
    try:
        conversation, _ = await bot.conversations.execute(
            conversation_id, event, bot.services.clock()
        )
    except DomainError as refusal:
        if conversation.participant(actor) is None:
            raise
        return follow_up_card(
            conversation, agreement, texts, message=refusal_message(refusal, texts), success=False
        )
    message = texts.get("followup.is_done" if done else "followup.moved")
    return follow_up_card(conversation, agreement, texts, message=message)


async def mark_done(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``followup.done``."""
    return await _apply(bot, context, data, texts, done=True)


async def move(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``followup.move``: a new follow-up date (not in the past)."""
    return await _apply(bot, context, data, texts, done=False)
