""" "Opfølgning fra sidst" in full: ``previous.show`` pages through the last plan's agreements
(``cards.previous.previous_card``), for the people who take part in the new conversation only,
like every read (anyone else is refused and sees nothing of it)."""

from __future__ import annotations

from bot.flows.context import Context, Press, read_as_member
from cards.common import Card
from cards.previous import previous_card


async def show(ctx: Context, press: Press) -> Card:
    """``previous.show``: the last plan's agreements from ``from`` (0-based)."""
    conversation, _ = await read_as_member(ctx, press)
    return previous_card(conversation, ctx.concept, press.texts, start=press.start)
