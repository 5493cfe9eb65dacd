"""The development plan on demand: ``plan.generate`` (a new version), ``plan.link`` (fresh links
for the presser, only in their own 1:1 chat), ``plan.approve`` ("Godkend planen") and
``plan.comment`` ("Jeg har en kommentar": a short text the leader gets in their 1:1 chat).

Approving and commenting are of the version on the pressed card (``verbs.DATA_VERSION``); a card
of an older version is answered with the newest version's card. Each answers, where the person
pressed, with their plan card as it is now: their own copy's links, their approval, the buttons
they still have.
"""

from __future__ import annotations

from bot.conversations import resolve_actor
from bot.flows.context import Context, Press, apply_press, read_as_member
from bot.payload import BadPayload, id_field, int_field, text_field
from cards import verbs
from cards.common import Card
from cards.errors import message_card, refusal_message
from cards.people import short
from cards.plan import COMMENT_INPUT, plan_links_card
from dialogs import events as ev
from dialogs.access import facilitator
from dialogs.conversation import Conversation
from dialogs.errors import DomainError, WrongPhase


async def generate(ctx: Context, press: Press) -> Card:
    """``plan.generate``: the leader or co-facilitator makes a new version after closing."""
    conversation = await ctx.conversations.get(id_field(press.data, verbs.DATA_CONVERSATION))
    facilitator(conversation, resolve_actor(conversation, press.person))
    if conversation.phase != "closed":
        raise WrongPhase("not closed yet")
    ctx.outbox.tasks.spawn(ctx.plans.deliver(conversation, press.texts))
    return message_card(press.texts.get("plan.generating"), error=False)


async def _card(
    ctx: Context,
    press: Press,
    conversation: Conversation,
    actor: str,
    message: str | None = None,
    *,
    success: bool = True,
) -> Card:
    """The presser's own plan card: fresh links to their copy of the newest version."""
    stored = await ctx.plans.copy_for(conversation, actor)
    if not stored:
        return message_card(message or press.texts.get("plan.none"), error=not success)
    version = conversation.plan_version or stored[0].version
    return plan_links_card(
        conversation,
        press.texts,
        version=version,
        links=await ctx.plans.links(stored, version),
        minutes=ctx.plans.minutes,
        viewer=actor,
        message=message,
        success=success,
    )


async def link(ctx: Context, press: Press) -> Card:
    """``plan.link``: new short-lived links to the newest plan, in a personal chat only."""
    conversation, actor = await read_as_member(ctx, press)
    if press.chat.is_group:
        return message_card(press.texts.get("plan.personal_only"))
    return await _card(ctx, press, conversation, actor)


def _version(press: Press) -> int:
    version = int_field(press.data, verbs.DATA_VERSION)
    if version is None or version < 1:
        raise BadPayload("no plan version")
    return version


async def approve(ctx: Context, press: Press) -> Card:
    """``plan.approve``: the presser approves the version on their card."""
    conversation_id = id_field(press.data, verbs.DATA_CONVERSATION)
    version = _version(press)
    if press.chat.is_group:
        return message_card(press.texts.get("plan.personal_only"))
    changed = await apply_press(
        ctx,
        press,
        conversation_id,
        lambda actor: ev.ApprovePlan(actor, version=version, request_id=press.request_id),
    )
    thanks = press.texts.get("plan.approved_thanks")
    return await _card(ctx, press, changed.conversation, changed.actor, thanks)


async def comment(ctx: Context, press: Press) -> Card:
    """``plan.comment``: a short comment on the version on the card, for the leader."""
    conversation_id = id_field(press.data, verbs.DATA_CONVERSATION)
    version = _version(press)
    text = text_field(press.data, COMMENT_INPUT)
    if press.chat.is_group:
        return message_card(press.texts.get("plan.personal_only"))
    changed = await apply_press(
        ctx,
        press,
        conversation_id,
        lambda actor: ev.CommentOnPlan(
            actor, version=version, text=text, request_id=press.request_id
        ),
    )
    leader = short(changed.conversation.leader.name)
    sent = press.texts.get("plan.comment_sent", leader=leader)
    return await _card(ctx, press, changed.conversation, changed.actor, sent)


async def refused(
    ctx: Context, press: Press, latest: Conversation | None, refusal: DomainError
) -> Card:
    """A refused approval or comment (an older version's card, a comment too long): the
    presser's card of the newest version, with why."""
    message = refusal_message(refusal, press.texts)
    if latest is None:
        return message_card(message)
    actor = resolve_actor(latest, press.person)
    return await _card(ctx, press, latest, actor, message, success=False)
