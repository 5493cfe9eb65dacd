"""The live conversation: start, move between questions, keywords, notes, agreements, finish.

Every press on the live card is a ``LivePress``: it names the conversation in the card data, the
presser is resolved from Teams (never from the card) on the state the event applies to, and one
domain event carrying the invoke's activity id (a redelivered press is a no-op) runs through the
one change path. Moves carry the position shown on the pressed card, so a press on an outdated
card is refused with the fresh card; every press carries the copy of the live card it came from
(``cards.copies``), so a press on a replaced copy changes nothing, and reading one shows that it
is outdated. The presser gets their own view back; everyone else's card is edited after the save
(``bot.live_updates``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.conversations import Refused, resolve_actor
from bot.flows.chats import home_audience
from bot.flows.context import Context, Press, Route, apply_press, read_as_member
from bot.payload import BadPayload, bool_field, id_field, int_field, text_field
from cards import verbs
from cards.agreements import agreements_card
from cards.common import Card
from cards.copies import stale_copy_card
from cards.errors import message_card, refusal_message
from cards.fields import field_id
from cards.live import (
    FINISH_CONFIDENTIALITY,
    FINISH_NEXT_FOLLOW_UP,
    GOTO_INPUT,
    NEW_FORM,
    NOTE_PERSPECTIVE,
    NOTE_TEXT,
    PERSPECTIVE,
    live_card,
)
from cards.status import status_card
from dialogs import events as ev
from dialogs.access import member
from dialogs.conversation import Conversation, Person
from dialogs.errors import DomainError, NoGoals, NotPrivate, StaleCopy, UnknownItem, Unprepared

Data = dict[str, Any]
# (presser's participant id, card data, invoke activity id) -> the domain event
Build = Callable[[str, Data, str], ev.Event]


@dataclass(frozen=True)
class LivePress:
    build: Build
    done: str | None = None  # the text key confirming success to the presser
    keeps_typed: bool = False  # on a refusal, put what was typed back into the form
    editing_key: str | None = None  # the data key of an agreement whose edit form stays open
    checks_audience: bool = False  # the event carries who reads the conversation's chat now

    async def run(self, ctx: Context, press: Press) -> Card:
        conversation_id = id_field(press.data, verbs.DATA_CONVERSATION)
        audience = await _audience(ctx, conversation_id) if self.checks_audience else None

        copy = int_field(press.data, verbs.DATA_COPY)

        def event(actor: str) -> ev.Event:
            built = replace(self.build(actor, press.data, press.request_id), copy=copy)
            return replace(built, audience=audience) if isinstance(built, ev.Finish) else built

        changed = await apply_press(ctx, press, conversation_id, event)
        message = press.texts.get(self.done) if self.done else None
        return live_card(
            changed.conversation,
            ctx.concept,
            press.texts,
            viewer=changed.actor,
            message=message,
            success=True,
        )

    async def refused(
        self, ctx: Context, press: Press, latest: Conversation | None, refusal: DomainError
    ) -> Card:
        message = refusal_message(refusal, press.texts)
        if isinstance(refusal, NotPrivate):
            message += " " + press.texts.get("private.finish")
        if latest is None:
            return message_card(message)
        if isinstance(refusal, StaleCopy):
            return stale_copy_card(latest, press.texts)
        editing = press.data.get(self.editing_key) if self.editing_key else None
        return live_card(
            latest,
            ctx.concept,
            press.texts,
            viewer=resolve_actor(latest, press.person),
            message=message,
            success=False,
            values=press.data if self.keeps_typed else None,
            editing=editing if isinstance(editing, str) else None,
            ask_no_goals=isinstance(refusal, NoGoals),
        )

    def route(self) -> Route:
        return Route(self.run, self.refused)


async def _audience(ctx: Context, conversation_id: str) -> tuple[Person, ...] | None:
    """Who reads the conversation's chat now (starting and finishing check it)."""
    conversation = await ctx.conversations.get(conversation_id)
    return await home_audience(ctx, conversation_id, conversation.kind)


def _move(step: int) -> Build:
    def build(actor: str, data: Data, request_id: str) -> ev.Event:
        shown = int_field(data, verbs.DATA_POSITION)
        if shown is None:
            raise BadPayload("position missing")
        return ev.Move(actor, to=shown + step, expected=shown, request_id=request_id)

    return build


def _goto(actor: str, data: Data, request_id: str) -> ev.Event:
    to = int_field(data, GOTO_INPUT)
    if to is None:
        raise BadPayload("target missing")
    return ev.Move(actor, to=to, jump=True, request_id=request_id)


def _mark(actor: str, data: Data, request_id: str) -> ev.Event:
    return ev.MarkKeyword(
        actor,
        owner_id=text_field(data, verbs.DATA_OWNER),
        keyword=id_field(data, verbs.DATA_KEYWORD),
        covered=bool_field(data, verbs.DATA_COVERED),
        request_id=request_id,
    )


def _note(actor: str, data: Data, request_id: str) -> ev.Event:
    return ev.AddNote(
        actor,
        perspective_id=text_field(data, NOTE_PERSPECTIVE),
        text=text_field(data, NOTE_TEXT),
        request_id=request_id,
    )


MAX_FIELDS = 20  # inputs of one agreement form (a concept declares at most 12 fields)


def _fields(data: Data, form: str) -> ev.AgreementFields:
    """Every input of the form, by the concept's field id (``{form}.{id}``): which fields the
    kind has is the domain's to say."""
    prefix = field_id(form, "")
    names = [key[len(prefix) :] for key in data if key.startswith(prefix)]
    names = [name for name in names if name and name != PERSPECTIVE]
    if len(names) > MAX_FIELDS:
        raise BadPayload("too many agreement fields")
    values = {name: text_field(data, field_id(form, name)) for name in names}
    return ev.AgreementFields.from_values(text_field(data, field_id(form, PERSPECTIVE)), values)


def _add(actor: str, data: Data, request_id: str) -> ev.Event:
    return ev.AddAgreement(actor, fields=_fields(data, NEW_FORM), request_id=request_id)


def _edit(actor: str, data: Data, request_id: str) -> ev.Event:
    agreement_id = id_field(data, verbs.DATA_AGREEMENT)
    fields = _fields(data, agreement_id)
    return ev.EditAgreement(actor, agreement_id=agreement_id, fields=fields, request_id=request_id)


def _remove(actor: str, data: Data, request_id: str) -> ev.Event:
    return ev.RemoveAgreement(
        actor, agreement_id=id_field(data, verbs.DATA_AGREEMENT), request_id=request_id
    )


def _finish(actor: str, data: Data, request_id: str) -> ev.Event:
    return ev.Finish(
        actor,
        confidentiality=text_field(data, FINISH_CONFIDENTIALITY),
        next_follow_up=text_field(data, FINISH_NEXT_FOLLOW_UP),
        no_goals=bool_field(data, verbs.DATA_NO_GOALS),
        request_id=request_id,
    )


next_question = LivePress(_move(+1))
previous_question = LivePress(_move(-1))
goto = LivePress(_goto)
mark_keyword = LivePress(_mark)
add_note = LivePress(_note, "live.added_note", keeps_typed=True)
add_agreement = LivePress(_add, "live.added_agreement", keeps_typed=True)
edit_agreement = LivePress(
    _edit, "live.updated_agreement", keeps_typed=True, editing_key=verbs.DATA_AGREEMENT
)
remove_agreement = LivePress(_remove, "live.removed_agreement")
finish = LivePress(_finish, "live.finished", keeps_typed=True, checks_audience=True)


async def start(ctx: Context, press: Press) -> Card:
    """``live.start``: the leader opens the live conversation; the card is posted in the chat.
    Who reads the chat is checked now (a MUS or LUS only between the two of them), and with
    people unprepared it asks first (``force`` once the leader confirmed). Once it is live, the
    same press ("Vis samtalekortet igen", or ``start`` again) posts the card anew for a leader,
    and gives anyone else taking part their own view of it, where they pressed."""
    conversation_id = id_field(press.data, verbs.DATA_CONVERSATION)
    conversation = await ctx.conversations.get(conversation_id)
    again = conversation.phase == "live"
    if again:
        actor = resolve_actor(conversation, press.person)
        if not member(conversation, actor).leads:
            return live_card(conversation, ctx.concept, press.texts, viewer=actor)
    audience = await home_audience(ctx, conversation_id, conversation.kind)
    force = bool_field(press.data, verbs.DATA_FORCE)
    changed = await apply_press(
        ctx,
        press,
        conversation_id,
        lambda actor: ev.StartLive(
            actor, force=force, audience=audience, request_id=press.request_id
        ),
    )
    message = press.texts.get("live.shown_again" if again else "live.started")
    return status_card(changed.conversation, ctx.concept, press.texts, message=message)


async def start_refused(
    ctx: Context, press: Press, latest: Conversation | None, refusal: DomainError
) -> Card:
    """Starting refused: the status card says why. With people unprepared it asks whether to
    start anyway; where others read along a MUS or LUS, it says who and what to do."""
    message = refusal_message(refusal, press.texts)
    if latest is None:
        return message_card(message)
    if isinstance(refusal, NotPrivate):
        message += " " + press.texts.get("private.start")
    delivery = await ctx.deliveries.get(latest.id)
    return status_card(
        latest,
        ctx.concept,
        press.texts,
        message=message,
        success=False,
        unreachable=delivery.unreachable,
        live_lost=delivery.live_lost,
        ask_start=isinstance(refusal, Unprepared),
    )


async def start_command(ctx: Context, press: Press, _: str) -> Card | str:
    """Text ``start``: start this chat's conversation."""
    conversation = await ctx.conversations.current_for_chat(press.chat.conversation_id)
    if conversation is None:
        return press.texts.get("status.none")
    press = replace(press, data={verbs.DATA_CONVERSATION: conversation.id})
    try:
        return await start(ctx, press)
    except Refused as refused:
        return await start_refused(ctx, press, refused.latest, refused.refusal)


def _outdated(conversation: Conversation, press: Press) -> bool:
    """The press came from a live card copy that has been replaced."""
    copy = int_field(press.data, verbs.DATA_COPY)
    return copy is not None and copy != conversation.live.copy


async def open_agreement(ctx: Context, press: Press) -> Card:
    """``agreement.open``: the presser's own view with that agreement's edit form open."""
    conversation, actor = await read_as_member(ctx, press)
    if _outdated(conversation, press):
        return stale_copy_card(conversation, press.texts)
    agreement_id = id_field(press.data, verbs.DATA_AGREEMENT)
    if all(a.id != agreement_id for a in conversation.agreements):
        raise UnknownItem("no such agreement", item="agreement")
    return live_card(conversation, ctx.concept, press.texts, viewer=actor, editing=agreement_id)


async def show_agreements(ctx: Context, press: Press) -> Card:
    """``agreements.show``: every agreement, a part at a time (participants only)."""
    conversation, _ = await read_as_member(ctx, press)
    if _outdated(conversation, press):
        return stale_copy_card(conversation, press.texts)
    return agreements_card(conversation, ctx.concept, press.texts, start=press.start)


async def refresh(ctx: Context, press: Press) -> Card:
    """``live.refresh``: this viewer's current view. Before the conversation is live, the status
    card, for participants only (as ``prep.status``); once live, people who do not take part get
    the card that says only who does."""
    conversation = await ctx.conversations.get(id_field(press.data, verbs.DATA_CONVERSATION))
    actor = resolve_actor(conversation, press.person)
    if conversation.phase not in ("live", "closed"):
        member(conversation, actor)
        return status_card(conversation, ctx.concept, press.texts)
    if _outdated(conversation, press):
        return stale_copy_card(conversation, press.texts)
    return live_card(conversation, ctx.concept, press.texts, viewer=actor)
