"""The live conversation: start, move between questions, keywords, notes, agreements, finish.

Every press becomes one domain event carrying the invoke's activity id (a redelivered press is a
no-op); moves carry the position shown on the pressed card, so a press on an outdated card is
refused with the fresh card. The presser gets their own view back; everyone else's card is edited
after the save (``bot.live_updates``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext

from bot.conversations import resolve_actor
from bot.identity import actor_of, chat_of
from bot.payload import BadPayload, bool_field, id_field, int_field, text_field
from bot.replies import card_message
from cards.errors import refusal_message
from cards.live import AGREEMENT_INPUTS, field_id, live_card
from cards.status import status_card
from cards.texts import Texts
from dialogs import events as ev
from dialogs.access import member
from dialogs.conversation import Conversation
from dialogs.errors import DomainError, StaleCard, UnknownItem

if TYPE_CHECKING:
    from bot.handler import SamtaleguideBot


async def _run(
    bot: SamtaleguideBot,
    context: TurnContext,
    conversation_id: str,
    event: ev.Event,
    texts: Texts,
    done: str | None = None,
    typed: dict[str, Any] | None = None,
    editing: str | None = None,
) -> dict:
    """One live event; a refusal answers with the fresh card, the refusal on top and what the
    presser typed (``typed``) put back into the form."""
    services = bot.services
    try:
        conversation, effects = await bot.conversations.execute(
            conversation_id, event, services.clock()
        )
    except DomainError as refusal:
        latest = await bot.conversations.get(conversation_id)
        success = isinstance(refusal, StaleCard)
        return live_card(
            latest,
            services.concept,
            texts,
            viewer=event.actor,
            message=refusal_message(refusal, texts),
            success=success,
            values=typed,
            editing=editing,
        )
    services.spawn(bot.effects.carry_out(conversation, effects, texts))
    return live_card(
        conversation,
        services.concept,
        texts,
        viewer=event.actor,
        message=texts.get(done) if done else None,
        success=True,
    )


async def _actor(
    bot: SamtaleguideBot, context: TurnContext, conversation_id: str
) -> tuple[Conversation, str]:
    conversation = await bot.conversations.get(conversation_id)
    return conversation, resolve_actor(conversation, actor_of(context.activity))


async def start(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``live.start``: the leader opens the live conversation; the card is posted in the chat."""
    conversation_id = id_field(data, "conversation")
    _, actor = await _actor(bot, context, conversation_id)
    event = ev.StartLive(actor, request_id=context.activity.id)
    try:
        conversation, effects = await bot.conversations.execute(
            conversation_id, event, bot.services.clock()
        )
    except DomainError as refusal:
        latest = await bot.conversations.get(conversation_id)
        return status_card(latest, texts, message=refusal_message(refusal, texts), success=False)
    bot.services.spawn(bot.effects.carry_out(conversation, effects, texts))
    return status_card(conversation, texts, message=texts.get("live.started"))


async def start_command(bot: SamtaleguideBot, context: TurnContext, texts: Texts, _: str) -> None:
    """Text ``start``: start this chat's conversation."""
    conversation = await bot.conversations.current_for_chat(
        chat_of(context.activity).conversation_id
    )
    if conversation is None:
        await context.send_activity(texts.get("status.none"))
        return
    card = await start(bot, context, {"conversation": conversation.id}, texts)
    await context.send_activity(card_message(card))


async def move(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts, step: int
) -> dict:
    conversation_id = id_field(data, "conversation")
    shown = int_field(data, "position")
    if shown is None:
        raise BadPayload("position missing")
    _, actor = await _actor(bot, context, conversation_id)
    event = ev.Move(actor, to=shown + step, expected=shown, request_id=context.activity.id)
    return await _run(bot, context, conversation_id, event, texts)


async def next_question(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    return await move(bot, context, data, texts, +1)


async def previous_question(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    return await move(bot, context, data, texts, -1)


async def goto(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    conversation_id = id_field(data, "conversation")
    to = int_field(data, "goto.to")
    if to is None:
        raise BadPayload("target missing")
    _, actor = await _actor(bot, context, conversation_id)
    return await _run(
        bot,
        context,
        conversation_id,
        ev.Move(actor, to=to, jump=True, request_id=context.activity.id),
        texts,
    )


async def mark_keyword(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    conversation_id = id_field(data, "conversation")
    _, actor = await _actor(bot, context, conversation_id)
    event = ev.MarkKeyword(
        actor,
        owner_id=text_field(data, "owner"),
        keyword=id_field(data, "keyword"),
        covered=bool_field(data, "covered"),
        request_id=context.activity.id,
    )
    return await _run(bot, context, conversation_id, event, texts)


async def add_note(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    conversation_id = id_field(data, "conversation")
    _, actor = await _actor(bot, context, conversation_id)
    event = ev.AddNote(
        actor,
        perspective_id=text_field(data, field_id("note", "perspective")),
        text=text_field(data, field_id("note", "text")),
        request_id=context.activity.id,
    )
    return await _run(bot, context, conversation_id, event, texts, "live.added_note", typed=data)


def _agreement_fields(data: dict[str, Any], form: str) -> ev.AgreementFields:
    values = {name: text_field(data, field_id(form, name)) for name in AGREEMENT_INPUTS}
    return ev.AgreementFields(
        perspective_id=text_field(data, field_id(form, "perspective")), **values
    )


async def add_agreement(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    conversation_id = id_field(data, "conversation")
    _, actor = await _actor(bot, context, conversation_id)
    event = ev.AddAgreement(
        actor, fields=_agreement_fields(data, "new"), request_id=context.activity.id
    )
    return await _run(
        bot, context, conversation_id, event, texts, "live.added_agreement", typed=data
    )


async def edit_agreement(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    conversation_id = id_field(data, "conversation")
    agreement_id = id_field(data, "agreement")
    _, actor = await _actor(bot, context, conversation_id)
    event = ev.EditAgreement(
        actor,
        agreement_id=agreement_id,
        fields=_agreement_fields(data, agreement_id),
        request_id=context.activity.id,
    )
    return await _run(
        bot,
        context,
        conversation_id,
        event,
        texts,
        "live.updated_agreement",
        typed=data,
        editing=agreement_id,
    )


async def open_agreement(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``agreement.open``: the presser's own view with that agreement's edit form open."""
    conversation, actor = await _actor(bot, context, id_field(data, "conversation"))
    member(conversation, actor)
    agreement_id = id_field(data, "agreement")
    if all(a.id != agreement_id for a in conversation.agreements):
        raise UnknownItem("no such agreement", item="agreement")
    return live_card(conversation, bot.services.concept, texts, viewer=actor, editing=agreement_id)


async def remove_agreement(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    conversation_id = id_field(data, "conversation")
    _, actor = await _actor(bot, context, conversation_id)
    event = ev.RemoveAgreement(
        actor, agreement_id=id_field(data, "agreement"), request_id=context.activity.id
    )
    return await _run(bot, context, conversation_id, event, texts, "live.removed_agreement")


async def finish(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    conversation_id = id_field(data, "conversation")
    _, actor = await _actor(bot, context, conversation_id)
    event = ev.Finish(
        actor,
        confidentiality=text_field(data, field_id("finish", "confidentiality")),
        next_follow_up=text_field(data, field_id("finish", "next_follow_up")),
        request_id=context.activity.id,
    )
    return await _run(bot, context, conversation_id, event, texts, "live.finished", typed=data)


async def refresh(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``live.refresh``: this viewer's current view (read-only for people who do not take part)."""
    conversation, actor = await _actor(bot, context, id_field(data, "conversation"))
    if conversation.phase not in ("live", "closed"):
        return status_card(conversation, texts)
    return live_card(conversation, bot.services.concept, texts, viewer=actor)
