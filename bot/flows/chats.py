"""Who can read a chat: what a MUS's privacy and a GRUS's onlookers are checked against.

``audience_of(ctx, chat)`` is the chat's people (bots aside) from Teams' roster, read fresh, or
None for a 1:1 chat with the bot, which only that one person reads. ``home_audience`` is the same
for the chat a conversation was set up in (its home), wherever the press came from; when Teams
will not tell (the roster cannot be read), a GRUS goes on as it was (None: nothing changes) and a
MUS or LUS is refused with ``AudienceUnknown`` ("try again"), since its privacy cannot be checked.
"""

from __future__ import annotations

import logging

from bot.flows.context import Context
from bot.identity import ChatRef, is_bot
from bot.teams import DeliveryFailed
from dialogs.conversation import Person
from dialogs.errors import DomainError
from dialogs.transitions import PRIVATE_KINDS

log = logging.getLogger("samtaleguide.chats")


async def audience_of(ctx: Context, chat: ChatRef) -> tuple[Person, ...] | None:
    if not chat.is_group:
        return None
    return tuple(p for p in await ctx.teams.members(chat) if not is_bot(p.user_id))


class AudienceUnknown(DomainError):
    code = "audience_unknown"


async def home_audience(ctx: Context, conversation_id: str, kind: str) -> tuple[Person, ...] | None:
    home = (await ctx.deliveries.get(conversation_id)).home
    if home is None:
        return None
    try:
        return await audience_of(ctx, home)
    except DeliveryFailed as error:
        log.warning("roster not read (%s)", error.status)
        if kind in PRIVATE_KINDS:
            raise AudienceUnknown("the chat's members are unknown") from None
        return None
