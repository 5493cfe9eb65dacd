"""People joining and leaving a chat (Teams tells the bot with ``conversationUpdate``): the open
conversations set up in that chat learn it, so who left may no longer read or add anything, and a
newcomer who does not take part only sees that a GRUS is under way."""

from __future__ import annotations

import logging

from bot.conversations import Refused
from bot.flows.context import Context, Press
from dialogs.conversation import Person
from dialogs.events import ChatMembersChanged

log = logging.getLogger("samtaleguide.members")
SYSTEM = "samtaleguide"


async def members_changed(
    ctx: Context, press: Press, added: tuple[Person, ...], removed: tuple[str, ...]
) -> None:
    for conversation in await ctx.conversations.at_place(press.chat.conversation_id):
        if conversation.phase == "closed":
            continue
        event = ChatMembersChanged(
            SYSTEM, added=added, removed=removed, request_id=f"{press.request_id}:members"
        )
        try:
            changed = await ctx.conversations.change_as(conversation.id, event, ctx.clock())
        except Refused as refused:
            log.info("membership change not applied: %s", refused.refusal.code)
            continue
        ctx.outbox.after(changed.conversation, changed.effects, press.texts)
