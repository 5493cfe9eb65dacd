"""Preparation: choosing keywords with private notes, the status card, reminders and sharing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext

from bot.conversations import resolve_actor
from bot.identity import actor_of, chat_of
from bot.payload import choices_field, id_field, text_field
from bot.replies import card_message
from cards.errors import refusal_message
from cards.preparation import INPUT_KEYWORDS, note_input, preparation_card
from cards.status import status_card
from cards.texts import Texts
from dialogs.errors import DomainError, NotParticipant
from dialogs.events import ChooseKeywords, RemindUnprepared, ShareKeywords

if TYPE_CHECKING:
    from bot.handler import SamtaleguideBot


async def choose_keywords(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``prep.keywords``: exactly three keywords of the concept, and private notes."""
    conversation_id = id_field(data, "conversation")
    conversation = await bot.conversations.get(conversation_id)
    person = actor_of(context.activity)
    actor = resolve_actor(conversation, person)
    keywords = choices_field(data, INPUT_KEYWORDS, limit=40)
    notes = {p.id: text_field(data, note_input(p.id)) for p in bot.services.concept.perspectives}
    event = ChooseKeywords(
        actor, keywords=keywords, notes=notes, name=person.name, request_id=context.activity.id
    )
    try:
        conversation, effects = await bot.conversations.execute(
            conversation_id, event, bot.services.clock()
        )
    except DomainError as refusal:
        latest = await bot.conversations.get(conversation_id)
        if latest.participant(actor) is None:
            raise
        return preparation_card(
            latest,
            bot.services.concept,
            texts,
            actor,
            message=refusal_message(refusal, texts),
            values=data,
        )
    bot.services.spawn(bot.effects.carry_out(conversation, effects, texts))
    chosen = ", ".join(conversation.participant(actor).keywords)  # type: ignore[union-attr]
    return preparation_card(
        conversation,
        bot.services.concept,
        texts,
        actor,
        message=texts.get("prep.saved", keywords=chosen),
        success=True,
    )


async def remind(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``prep.remind``: the leader reminds everyone who has not chosen yet."""
    conversation_id = id_field(data, "conversation")
    conversation = await bot.conversations.get(conversation_id)
    actor = resolve_actor(conversation, actor_of(context.activity))
    event = RemindUnprepared(actor, request_id=context.activity.id)
    conversation, effects = await bot.conversations.execute(
        conversation_id, event, bot.services.clock()
    )
    bot.services.spawn(bot.effects.carry_out(conversation, effects, texts))
    pending = sum(len(getattr(e, "user_ids", ())) for e in effects)
    message = texts.get("status.reminded", count=pending) if pending else texts.get("status.nobody")
    return status_card(conversation, texts, message=message)


async def share(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``prep.share``: the leader posts everyone's keywords in the chat now."""
    conversation_id = id_field(data, "conversation")
    conversation = await bot.conversations.get(conversation_id)
    actor = resolve_actor(conversation, actor_of(context.activity))
    event = ShareKeywords(actor, request_id=context.activity.id)
    conversation, effects = await bot.conversations.execute(
        conversation_id, event, bot.services.clock()
    )
    bot.services.spawn(bot.effects.carry_out(conversation, effects, texts))
    return status_card(conversation, texts)


async def show_status(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``prep.status``: the fresh status card, for participants of the conversation."""
    conversation = await bot.conversations.get(id_field(data, "conversation"))
    if conversation.participant(resolve_actor(conversation, actor_of(context.activity))) is None:
        raise NotParticipant("not a participant")
    return status_card(conversation, texts)


async def status_command(bot: SamtaleguideBot, context: TurnContext, texts: Texts, _: str) -> None:
    """Text ``status``: the status card of this chat's current conversation."""
    conversation = await bot.conversations.current_for_chat(
        chat_of(context.activity).conversation_id
    )
    if conversation is None:
        await context.send_activity(texts.get("status.none"))
        return
    await context.send_activity(card_message(status_card(conversation, texts)))
