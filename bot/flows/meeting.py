"""Meeting start and end (Teams sends these to bots holding the RSC permission
``OnlineMeeting.ReadBasic.Chat``): at the start the meeting chat gets the conversation's status
card with "Start samtalen"; at the end, if the live conversation is still open, a reminder to
finish it so the development plan is made."""

from __future__ import annotations

from bot.flows.context import Context, Press
from cards.common import Card
from cards.errors import message_card
from cards.status import status_card


async def meeting_started(ctx: Context, press: Press) -> Card | None:
    """The status card (kept current as people prepare), with the meeting's news."""
    conversation = await ctx.conversations.current_for_chat(press.chat.conversation_id)
    if conversation is None or conversation.phase != "preparation":
        return None
    card = status_card(
        conversation, ctx.concept, press.texts, message=press.texts.get("meeting.started")
    )
    await ctx.outbox.show_status(conversation, press.chat, card)
    return None


async def meeting_ended(ctx: Context, press: Press) -> Card | None:
    conversation = await ctx.conversations.current_for_chat(press.chat.conversation_id)
    if conversation is None or conversation.phase != "live":
        return None
    return message_card(press.texts.get("meeting.ended"), error=False)
