"""The development plan on demand: ``plan.generate`` (a new version) and ``plan.link`` (fresh
links for the presser, only in their own 1:1 chat)."""

from __future__ import annotations

from bot.conversations import resolve_actor
from bot.flows.context import Context, Press
from bot.payload import id_field
from cards import verbs
from cards.common import Card
from cards.errors import message_card
from cards.plan import plan_links_card
from dialogs.access import facilitator, member
from dialogs.errors import WrongPhase


async def generate(ctx: Context, press: Press) -> Card:
    """``plan.generate``: the leader or co-facilitator makes a new version after closing."""
    conversation = await ctx.conversations.get(id_field(press.data, verbs.DATA_CONVERSATION))
    facilitator(conversation, resolve_actor(conversation, press.person))
    if conversation.phase != "closed":
        raise WrongPhase("not closed yet")
    ctx.outbox.tasks.spawn(ctx.plans.deliver(conversation, press.texts))
    return message_card(press.texts.get("plan.generating"), error=False)


async def link(ctx: Context, press: Press) -> Card:
    """``plan.link``: new short-lived links to the newest plan, in a personal chat only."""
    conversation = await ctx.conversations.get(id_field(press.data, verbs.DATA_CONVERSATION))
    member(conversation, resolve_actor(conversation, press.person))
    if press.chat.is_group:
        return message_card(press.texts.get("plan.personal_only"))
    stored = await ctx.plans.latest(conversation)
    if not stored:
        return message_card(press.texts.get("plan.none"))
    links = await ctx.plans.links(stored)
    return plan_links_card(
        conversation,
        press.texts,
        version=stored[0].version,
        links=links,
        minutes=ctx.plans.minutes,
    )
