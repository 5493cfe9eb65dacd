"""The live conversation: start, move between questions, keywords, notes, agreements, finish.

Every press on the live card is a ``LivePress``: it finds the conversation named in the card data,
resolves the presser from Teams (never from the card), builds one domain event carrying the
invoke's activity id (a redelivered press is a no-op) and runs it. Moves carry the position shown
on the pressed card, so a press on an outdated card is refused with the fresh card. The presser
gets their own view back; everyone else's card is edited after the save (``bot.live_updates``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from dialogs.errors import DomainError, StaleCard, UnknownItem

if TYPE_CHECKING:
    from bot.handler import SamtaleguideBot

Data = dict[str, Any]
# (presser's participant id, card data, invoke activity id) -> the domain event
Build = Callable[[str, Data, str | None], ev.Event]


@dataclass(frozen=True)
class LivePress:
    build: Build
    done: str | None = None  # the text key confirming success to the presser
    keeps_typed: bool = False  # on a refusal, put what was typed back into the form
    editing_key: str | None = None  # the data key of an agreement whose edit form stays open

    async def __call__(
        self, bot: SamtaleguideBot, context: TurnContext, data: Data, texts: Texts
    ) -> dict:
        conversation_id = id_field(data, "conversation")
        person = actor_of(context.activity)
        request_id = context.activity.id
        services = bot.services
        try:
            saved, effects, actor = await bot.conversations.execute_as(
                conversation_id,
                person,
                lambda actor: self.build(actor, data, request_id),
                services.clock(),
            )
        except DomainError as refusal:
            latest = await bot.conversations.get(conversation_id)
            actor = resolve_actor(latest, person)
            return live_card(
                latest,
                services.concept,
                texts,
                viewer=actor,
                message=refusal_message(refusal, texts),
                success=isinstance(refusal, StaleCard),
                values=data if self.keeps_typed else None,
                editing=str(data.get(self.editing_key)) if self.editing_key else None,
            )
        services.spawn(bot.effects.carry_out(saved, effects, texts))
        message = texts.get(self.done) if self.done else None
        return live_card(
            saved, services.concept, texts, viewer=actor, message=message, success=True
        )


def _move(step: int) -> Build:
    def build(actor: str, data: Data, request_id: str | None) -> ev.Event:
        shown = int_field(data, "position")
        if shown is None:
            raise BadPayload("position missing")
        return ev.Move(actor, to=shown + step, expected=shown, request_id=request_id)

    return build


def _goto(actor: str, data: Data, request_id: str | None) -> ev.Event:
    to = int_field(data, "goto.to")
    if to is None:
        raise BadPayload("target missing")
    return ev.Move(actor, to=to, jump=True, request_id=request_id)


def _mark(actor: str, data: Data, request_id: str | None) -> ev.Event:
    return ev.MarkKeyword(
        actor,
        owner_id=text_field(data, "owner"),
        keyword=id_field(data, "keyword"),
        covered=bool_field(data, "covered"),
        request_id=request_id,
    )


def _note(actor: str, data: Data, request_id: str | None) -> ev.Event:
    return ev.AddNote(
        actor,
        perspective_id=text_field(data, field_id("note", "perspective")),
        text=text_field(data, field_id("note", "text")),
        request_id=request_id,
    )


def _fields(data: Data, form: str) -> ev.AgreementFields:
    values = {name: text_field(data, field_id(form, name)) for name in AGREEMENT_INPUTS}
    return ev.AgreementFields(
        perspective_id=text_field(data, field_id(form, "perspective")), **values
    )


def _add(actor: str, data: Data, request_id: str | None) -> ev.Event:
    return ev.AddAgreement(actor, fields=_fields(data, "new"), request_id=request_id)


def _edit(actor: str, data: Data, request_id: str | None) -> ev.Event:
    agreement_id = id_field(data, "agreement")
    fields = _fields(data, agreement_id)
    return ev.EditAgreement(actor, agreement_id=agreement_id, fields=fields, request_id=request_id)


def _remove(actor: str, data: Data, request_id: str | None) -> ev.Event:
    return ev.RemoveAgreement(
        actor, agreement_id=id_field(data, "agreement"), request_id=request_id
    )


def _finish(actor: str, data: Data, request_id: str | None) -> ev.Event:
    return ev.Finish(
        actor,
        confidentiality=text_field(data, field_id("finish", "confidentiality")),
        next_follow_up=text_field(data, field_id("finish", "next_follow_up")),
        request_id=request_id,
    )


next_question = LivePress(_move(+1))
previous_question = LivePress(_move(-1))
goto = LivePress(_goto)
mark_keyword = LivePress(_mark)
add_note = LivePress(_note, "live.added_note", keeps_typed=True)
add_agreement = LivePress(_add, "live.added_agreement", keeps_typed=True)
edit_agreement = LivePress(
    _edit, "live.updated_agreement", keeps_typed=True, editing_key="agreement"
)
remove_agreement = LivePress(_remove, "live.removed_agreement")
finish = LivePress(_finish, "live.finished", keeps_typed=True)


async def start(bot: SamtaleguideBot, context: TurnContext, data: Data, texts: Texts) -> dict:
    """``live.start``: the leader opens the live conversation; the card is posted in the chat."""
    conversation_id = id_field(data, "conversation")
    conversation = await bot.conversations.get(conversation_id)
    actor = resolve_actor(conversation, actor_of(context.activity))
    event = ev.StartLive(actor, request_id=context.activity.id)
    try:
        saved, effects = await bot.conversations.execute(
            conversation_id, event, bot.services.clock()
        )
    except DomainError as refusal:
        latest = await bot.conversations.get(conversation_id)
        return status_card(latest, texts, message=refusal_message(refusal, texts), success=False)
    bot.services.spawn(bot.effects.carry_out(saved, effects, texts))
    return status_card(saved, texts, message=texts.get("live.started"))


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


async def open_agreement(
    bot: SamtaleguideBot, context: TurnContext, data: Data, texts: Texts
) -> dict:
    """``agreement.open``: the presser's own view with that agreement's edit form open."""
    conversation = await bot.conversations.get(id_field(data, "conversation"))
    actor = resolve_actor(conversation, actor_of(context.activity))
    member(conversation, actor)
    agreement_id = id_field(data, "agreement")
    if all(a.id != agreement_id for a in conversation.agreements):
        raise UnknownItem("no such agreement", item="agreement")
    return live_card(conversation, bot.services.concept, texts, viewer=actor, editing=agreement_id)


async def refresh(bot: SamtaleguideBot, context: TurnContext, data: Data, texts: Texts) -> dict:
    """``live.refresh``: this viewer's current view (read-only for people who do not take part)."""
    conversation = await bot.conversations.get(id_field(data, "conversation"))
    actor = resolve_actor(conversation, actor_of(context.activity))
    if conversation.phase not in ("live", "closed"):
        return status_card(conversation, texts)
    return live_card(conversation, bot.services.concept, texts, viewer=actor)
