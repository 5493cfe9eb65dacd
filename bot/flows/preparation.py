"""Preparation: choosing keywords with private notes (and opening them again to change them),
showing the preparation card again, the status card, reminders and sharing."""

from __future__ import annotations

from bot.conversations import resolve_actor
from bot.flows.context import Context, Press, apply_press, read_as_member
from bot.payload import choices_field, id_field, text_field, toggles_field
from cards import verbs
from cards.common import Card
from cards.errors import message_card, refusal_message
from cards.live import live_card
from cards.plan import plan_ready_card
from cards.preparation import (
    INPUT_KEYWORDS,
    KEYWORD_INPUT_PREFIX,
    KEYWORD_OFF,
    KEYWORD_ON,
    note_input,
    preparation_card,
)
from cards.status import status_card
from dialogs.access import member
from dialogs.concept import MAX_KEYWORDS
from dialogs.conversation import Conversation
from dialogs.effects import SendReminders
from dialogs.errors import ConversationClosed, DomainError, WrongPhase
from dialogs.events import ChooseKeywords, RemindUnprepared, ShareKeywords


def _conversation_id(press: Press) -> str:
    return id_field(press.data, verbs.DATA_CONVERSATION)


def chosen_keywords(data: dict[str, object]) -> tuple[str, ...]:
    """The keywords a preparation card sent: its toggles (``keyword.<name>``), plus the
    comma-joined ``keywords`` of cards sent before the toggles. Counting them and checking them
    against the concept is the domain's job."""
    toggled = toggles_field(
        data, KEYWORD_INPUT_PREFIX, on=KEYWORD_ON, off=KEYWORD_OFF, limit=MAX_KEYWORDS
    )
    return choices_field(data, INPUT_KEYWORDS, limit=40) + toggled


async def choose_keywords(ctx: Context, press: Press) -> Card:
    """``prep.keywords``: exactly three keywords of the concept, and private notes. Answers with
    the card folded to the summary, the confirmation on top and beside "Ret"."""
    keywords = chosen_keywords(press.data)
    notes = {
        p.id: text
        for p in ctx.concept.perspectives
        if (text := text_field(press.data, note_input(p.id)))
    }
    changed = await apply_press(
        ctx,
        press,
        _conversation_id(press),
        lambda actor: ChooseKeywords(
            actor,
            keywords=keywords,
            notes=notes,
            name=press.person.name,
            request_id=press.request_id,
        ),
    )
    texts = press.texts
    saved = texts.get("prep.saved") if ctx.concept.uses_keywords else texts.get("prep.saved_ready")
    return preparation_card(
        changed.conversation, ctx.concept, texts, changed.actor, message=saved, success=True
    )


async def choose_refused(
    ctx: Context, press: Press, latest: Conversation | None, refusal: DomainError
) -> Card:
    message = refusal_message(refusal, press.texts)
    if latest is None:
        return message_card(message)
    actor = resolve_actor(latest, press.person)
    return preparation_card(
        latest, ctx.concept, press.texts, actor, message=message, values=press.data
    )


async def edit(ctx: Context, press: Press) -> Card:
    """``prep.edit`` ("Ret" on the summary): the presser's own form again, filled in with their
    keywords and notes; in their 1:1 chat only, and only while the conversation is in
    preparation (afterwards the locked card, with the refusal)."""
    conversation, actor = await read_as_member(ctx, press)
    texts = press.texts
    if press.chat.is_group:
        return message_card(texts.get("prep.personal_only"))
    if conversation.phase != "preparation":
        refusal = (
            ConversationClosed("closed")
            if conversation.phase == "closed"
            else WrongPhase("not in preparation")
        )
        message = refusal_message(refusal, texts)
        return preparation_card(conversation, ctx.concept, texts, actor, message=message)
    return preparation_card(conversation, ctx.concept, texts, actor, editing=True)


async def show(ctx: Context, press: Press) -> Card:
    """``prep.show`` ("Tilbage til forberedelsen" on the last plan's agreements): the presser's
    own preparation card as it is now, in their 1:1 chat only (where it belongs)."""
    conversation, actor = await read_as_member(ctx, press)
    if press.chat.is_group:
        return message_card(press.texts.get("prep.own_chat"))
    return preparation_card(conversation, ctx.concept, press.texts, actor)


async def remind(ctx: Context, press: Press) -> Card:
    """``prep.remind``: the leader reminds everyone who has not chosen yet."""
    changed = await apply_press(
        ctx,
        press,
        _conversation_id(press),
        lambda actor: RemindUnprepared(actor, request_id=press.request_id),
    )
    pending = sum(len(e.user_ids) for e in changed.effects if isinstance(e, SendReminders))
    texts = press.texts
    message = texts.get("status.reminded", count=pending) if pending else texts.get("status.nobody")
    return await _status(ctx, press, changed.conversation, message)


async def share(ctx: Context, press: Press) -> Card:
    """``prep.share``: the leader posts everyone's keywords in the chat now."""
    changed = await apply_press(
        ctx,
        press,
        _conversation_id(press),
        lambda actor: ShareKeywords(actor, request_id=press.request_id),
    )
    return await _status(ctx, press, changed.conversation)


async def show_status(ctx: Context, press: Press) -> Card:
    """``prep.status``: the fresh status card, for participants of the conversation."""
    conversation, _ = await read_as_member(ctx, press)
    return await _status(ctx, press, conversation)


async def status_refused(
    ctx: Context, press: Press, latest: Conversation | None, refusal: DomainError
) -> Card:
    message = refusal_message(refusal, press.texts)
    if latest is None:
        return message_card(message)
    return await _status(ctx, press, latest, message, success=False)


async def _status(
    ctx: Context,
    press: Press,
    conversation: Conversation,
    message: str | None = None,
    *,
    success: bool = True,
) -> Card:
    delivery = await ctx.deliveries.get(conversation.id)
    return status_card(
        conversation,
        ctx.concept,
        press.texts,
        message=message,
        success=success,
        unreachable=delivery.unreachable,
        live_lost=delivery.live_lost,
    )


async def status_command(ctx: Context, press: Press, _: str) -> list[Card] | str | None:
    """Text ``status``: in a group chat, the status card of its current conversation (posted, and
    kept current as people prepare); in a 1:1 chat, the person's own conversations under way:
    the status card of those they lead, their preparation card (or live view) of the others."""
    if press.chat.is_group:
        conversation = await ctx.conversations.current_for_chat(press.chat.conversation_id)
        if conversation is None:
            return press.texts.get("status.none")
        if conversation.phase == "closed":  # the plan-ready card again (it may have been lost)
            stored = await ctx.plans.latest(conversation)
            version = stored[0].version if stored else None
            return [plan_ready_card(conversation, press.texts, version=version)]
        await ctx.outbox.show_status(
            conversation, press.chat, await _status(ctx, press, conversation)
        )
        return None
    cards = []
    for conversation in await ctx.conversations.under_way_for(press.person):
        actor = resolve_actor(conversation, press.person)
        if member(conversation, actor).leads:
            cards.append(await _status(ctx, press, conversation))
        elif conversation.phase == "live":
            cards.append(live_card(conversation, ctx.concept, press.texts, viewer=actor))
        else:
            cards.append(preparation_card(conversation, ctx.concept, press.texts, actor))
    return cards or press.texts.get("status.none_personal")
