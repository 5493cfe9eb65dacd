""" "Opfølgning fra sidst" in full: ``previous.show`` pages through the last plan's agreements
(``cards.previous.previous_card``), for the people who take part in the new conversation only,
like every read (anyone else is refused and sees nothing of it)."""

from __future__ import annotations

from bot.conversations import resolve_actor
from bot.flows.context import Context, Press
from bot.payload import id_field
from cards import verbs
from cards.common import Card
from cards.previous import previous_card
from dialogs.access import member


async def show(ctx: Context, press: Press) -> Card:
    """``previous.show``: the last plan's agreements from ``from`` (0-based)."""
    conversation = await ctx.conversations.get(id_field(press.data, verbs.DATA_CONVERSATION))
    member(conversation, resolve_actor(conversation, press.person))
    return previous_card(conversation, ctx.concept, press.texts, start=press.start)
