"""Preparation: choosing keywords with private notes, the status card, reminders and sharing."""

from __future__ import annotations

from bot.conversations import resolve_actor
from bot.flows.context import Context, Press
from bot.payload import choices_field, id_field, text_field
from cards import verbs
from cards.common import Card
from cards.errors import message_card, refusal_message
from cards.live import live_card
from cards.preparation import INPUT_KEYWORDS, note_input, preparation_card
from cards.status import status_card
from dialogs.access import member
from dialogs.conversation import Conversation
from dialogs.effects import SendReminders
from dialogs.errors import DomainError
from dialogs.events import ChooseKeywords, RemindUnprepared, ShareKeywords


def _conversation_id(press: Press) -> str:
    return id_field(press.data, verbs.DATA_CONVERSATION)


async def choose_keywords(ctx: Context, press: Press) -> Card:
    """``prep.keywords``: exactly three keywords of the concept, and private notes."""
    keywords = choices_field(press.data, INPUT_KEYWORDS, limit=40)
    notes = {p.id: text_field(press.data, note_input(p.id)) for p in ctx.concept.perspectives}
    changed = await ctx.conversations.change(
        _conversation_id(press),
        press.person,
        lambda actor: ChooseKeywords(
            actor,
            keywords=keywords,
            notes=notes,
            name=press.person.name,
            request_id=press.request_id,
        ),
        ctx.clock(),
    )
    ctx.outbox.after(changed.conversation, changed.effects, press.texts)
    chosen = member(changed.conversation, changed.actor).keywords
    return preparation_card(
        changed.conversation,
        ctx.concept,
        press.texts,
        changed.actor,
        message=press.texts.get("prep.saved", keywords=", ".join(chosen)),
        success=True,
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


async def remind(ctx: Context, press: Press) -> Card:
    """``prep.remind``: the leader reminds everyone who has not chosen yet."""
    changed = await ctx.conversations.change(
        _conversation_id(press),
        press.person,
        lambda actor: RemindUnprepared(actor, request_id=press.request_id),
        ctx.clock(),
    )
    ctx.outbox.after(changed.conversation, changed.effects, press.texts)
    pending = sum(len(e.user_ids) for e in changed.effects if isinstance(e, SendReminders))
    texts = press.texts
    message = texts.get("status.reminded", count=pending) if pending else texts.get("status.nobody")
    return await _status(ctx, press, changed.conversation, message)


async def share(ctx: Context, press: Press) -> Card:
    """``prep.share``: the leader posts everyone's keywords in the chat now."""
    changed = await ctx.conversations.change(
        _conversation_id(press),
        press.person,
        lambda actor: ShareKeywords(actor, request_id=press.request_id),
        ctx.clock(),
    )
    ctx.outbox.after(changed.conversation, changed.effects, press.texts)
    return await _status(ctx, press, changed.conversation)


async def show_status(ctx: Context, press: Press) -> Card:
    """``prep.status``: the fresh status card, for participants of the conversation."""
    conversation = await ctx.conversations.get(_conversation_id(press))
    member(conversation, resolve_actor(conversation, press.person))
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
        press.texts,
        message=message,
        success=success,
        unreachable=delivery.unreachable,
    )


async def status_command(ctx: Context, press: Press, _: str) -> list[Card] | str | None:
    """Text ``status``: in a group chat, the status card of its current conversation (posted, and
    kept current as people prepare); in a 1:1 chat, the person's own conversations under way:
    the status card of those they lead, their preparation card (or live view) of the others."""
    if press.chat.is_group:
        conversation = await ctx.conversations.current_for_chat(press.chat.conversation_id)
        if conversation is None:
            return press.texts.get("status.none")
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
