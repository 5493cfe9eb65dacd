"""The development plan on demand: ``plan.generate`` (a new version) and ``plan.link`` (fresh
links for the presser, only in their own 1:1 chat)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext

from bot.conversations import resolve_actor
from bot.identity import actor_of, chat_of
from bot.payload import id_field
from cards.errors import message_card
from cards.plan import plan_links_card
from cards.texts import Texts
from dialogs.access import facilitator, member
from dialogs.errors import WrongPhase

if TYPE_CHECKING:
    from bot.handler import SamtaleguideBot


async def generate(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``plan.generate``: the leader or co-facilitator makes a new version after closing."""
    conversation = await bot.conversations.get(id_field(data, "conversation"))
    facilitator(conversation, resolve_actor(conversation, actor_of(context.activity)))
    if conversation.phase != "closed":
        raise WrongPhase("not closed yet")
    bot.services.spawn(bot.plans.deliver(conversation, texts))
    return message_card(texts.get("plan.generating"), error=False)


async def link(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``plan.link``: new short-lived links to the newest plan, in a personal chat only."""
    conversation = await bot.conversations.get(id_field(data, "conversation"))
    member(conversation, resolve_actor(conversation, actor_of(context.activity)))
    if chat_of(context.activity).is_group:
        return message_card(texts.get("plan.personal_only"))
    stored = await bot.plans.latest(conversation)
    if not stored:
        return message_card(texts.get("plan.none"))
    links = await bot.plans.links(stored)
    return plan_links_card(
        conversation, texts, version=stored[0].version, links=links, minutes=bot.plans.minutes
    )
