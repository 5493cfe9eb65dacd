"""Meeting start and end (Teams sends these to bots holding the RSC permission
``OnlineMeeting.ReadBasic.Chat``): at the start the meeting chat gets the conversation's status
card with "Start samtalen"; at the end, if the live conversation is still open, a reminder to
finish it so the development plan is made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botbuilder.core import TurnContext

from bot.identity import chat_of
from bot.replies import card_message
from cards.errors import message_card
from cards.status import status_card
from cards.texts import texts_for

if TYPE_CHECKING:
    from bot.handler import SamtaleguideBot


async def meeting_started(bot: SamtaleguideBot, context: TurnContext) -> None:
    texts = texts_for(context.activity.locale)
    conversation = await bot.conversations.current_for_chat(
        chat_of(context.activity).conversation_id
    )
    if conversation is None or conversation.phase != "preparation":
        return
    card = status_card(conversation, texts, message=texts.get("meeting.started"))
    await context.send_activity(card_message(card))


async def meeting_ended(bot: SamtaleguideBot, context: TurnContext) -> None:
    texts = texts_for(context.activity.locale)
    conversation = await bot.conversations.current_for_chat(
        chat_of(context.activity).conversation_id
    )
    if conversation is None or conversation.phase != "live":
        return
    await context.send_activity(card_message(message_card(texts.get("meeting.ended"), error=False)))
