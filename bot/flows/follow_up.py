"""Follow-up after the conversation: mark an agreement's follow-up done, or move its date.

The same buttons are on the reminder (answered with the reminder's card) and on "Mine aftaler"
(``view`` = ``my.agreements``: answered with that card again, at the part pressed). A move form
among several on a card names its own date input (``form``: ``cards.follow_up.due_input``).
"""

from __future__ import annotations

from bot.flows.context import Context, Press
from bot.flows.year import agreements_view
from bot.payload import id_field, text_field
from cards import verbs
from cards.common import Card
from cards.errors import message_card, refusal_message
from cards.follow_up import DUE_INPUT, due_input, follow_up_card
from dialogs import events as ev
from dialogs.conversation import Conversation
from dialogs.errors import DomainError, UnknownItem


def _agreement_id(press: Press) -> str:
    return id_field(press.data, verbs.DATA_AGREEMENT)


async def _apply(ctx: Context, press: Press, done: bool) -> Card:
    agreement_id = _agreement_id(press)

    def event(actor: str) -> ev.Event:
        if done:
            return ev.CompleteFollowUp(
                actor, agreement_id=agreement_id, request_id=press.request_id
            )
        form = press.data.get(verbs.DATA_FORM)
        due = text_field(
            press.data, due_input(id_field(press.data, verbs.DATA_FORM)) if form else DUE_INPUT
        )
        return ev.MoveFollowUp(
            actor, agreement_id=agreement_id, due=due, request_id=press.request_id
        )

    changed = await ctx.conversations.change(
        id_field(press.data, verbs.DATA_CONVERSATION), press.person, event, ctx.clock()
    )
    message = press.texts.get("followup.is_done" if done else "followup.moved")
    if _in_my_agreements(press):
        return await agreements_view(
            ctx, press, start=press.start, fresh=changed.conversation, message=message
        )
    return _card(ctx, changed.conversation, agreement_id, press, message)


def _in_my_agreements(press: Press) -> bool:
    return press.data.get(verbs.DATA_VIEW) == verbs.MY_AGREEMENTS and not press.chat.is_group


def _card(
    ctx: Context,
    conversation: Conversation,
    agreement_id: str,
    press: Press,
    message: str,
    ok: bool = True,
) -> Card:
    agreement = next((a for a in conversation.agreements if a.id == agreement_id), None)
    if agreement is None:
        raise UnknownItem("no such agreement", item="agreement")
    return follow_up_card(
        conversation, ctx.concept, agreement, press.texts, message=message, success=ok
    )


async def mark_done(ctx: Context, press: Press) -> Card:
    """``followup.done``."""
    return await _apply(ctx, press, done=True)


async def move(ctx: Context, press: Press) -> Card:
    """``followup.move``: a new follow-up date (not in the past)."""
    return await _apply(ctx, press, done=False)


async def refused(
    ctx: Context, press: Press, latest: Conversation | None, refusal: DomainError
) -> Card:
    message = refusal_message(refusal, press.texts)
    agreement_id = press.data.get(verbs.DATA_AGREEMENT)
    if _in_my_agreements(press):
        return await agreements_view(
            ctx, press, start=press.start, fresh=latest, message=message, success=False
        )
    if latest is None or not isinstance(agreement_id, str):
        return message_card(message)
    if all(a.id != agreement_id for a in latest.agreements) or all(
        f.agreement_id != agreement_id for f in latest.follow_ups
    ):
        return message_card(message)
    return _card(ctx, latest, agreement_id, press, message, ok=False)
