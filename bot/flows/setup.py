"""Setting a conversation up: the setup card, the roster, saving and editing until it starts.

A GRUS is set up in the group or meeting chat, whose roster (all pages) offers the participants;
a MUS or LUS may also be set up from the leader's 1:1 chat, with Teams' people picker. Saving
creates the conversation and its setup in one write (create-only, under an id made from the
press, so a redelivered press changes nothing), then fans the preparation prompts out.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.conversations import new_id, resolve_actor
from bot.deliveries import Message, with_home
from bot.flows.chats import audience_of
from bot.flows.context import Context, Press
from bot.payload import BadPayload, bool_field, choices_field, id_field, int_field, text_field
from bot.replies import card_message
from cards import setup as inputs
from cards import verbs
from cards.common import Card, plain
from cards.errors import message_card, refusal_message
from cards.setup import private_only_card, setup_card
from cards.status import status_card
from dialogs.access import leader
from dialogs.concept import Concept
from dialogs.conversation import Conversation, Person
from dialogs.errors import DomainError, InvalidField, NotPrivate, WrongPhase
from dialogs.events import SaveSetup
from dialogs.transitions import MAX_NAMED, PRIVATE_KINDS, new_conversation
from storage.keys import place_of

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KINDS = ("GRUS", "MUS", "LUS")


def kind_of(value: Any) -> str:
    kind = str(value or "").upper()
    if kind not in KINDS:
        raise BadPayload("unknown kind")
    return kind


async def _roster(ctx: Context, press: Press) -> list[Person]:
    """The people in the chat (bots aside); none in a 1:1 chat, where only the leader reads."""
    return list(await audience_of(ctx, press.chat) or ())


def _private_only(press: Press, kind: str, message: str) -> Card:
    return private_only_card(press.texts, kind, message)


async def open_setup(ctx: Context, press: Press) -> Card:
    """``setup.open``: a fresh setup card, or the stored setup for the leader to edit. A MUS or
    LUS is not even offered where others read along (the chat has more than the two of them)."""
    kind = kind_of(press.data.get(verbs.DATA_KIND) or "GRUS")
    if not press.data.get(verbs.DATA_CONVERSATION):
        return await _setup_card(ctx, press, kind, None)
    conversation = await ctx.conversations.get(id_field(press.data, verbs.DATA_CONVERSATION))
    leader(conversation, resolve_actor(conversation, press.person))
    if conversation.phase not in ("setup", "preparation"):
        raise WrongPhase("too late to edit")
    return await _setup_card(ctx, press, conversation.kind, conversation)


async def _setup_card(
    ctx: Context,
    press: Press,
    kind: str,
    conversation: Conversation | None,
    *,
    message: str | None = None,
    values: dict[str, Any] | None = None,
) -> Card:
    if not press.chat.is_group and kind == "GRUS":
        return message_card(press.texts.get("setup.where_grus"))
    roster = await _roster(ctx, press)
    if kind in PRIVATE_KINDS and len(roster) > 2:
        return _private_only(press, kind, press.texts.get("private.here", kind=kind))
    return setup_card(
        ctx.concept,
        press.texts,
        kind=kind,
        roster=roster,
        conversation=conversation,
        people_picker=not press.chat.is_group,
        message=message,
        values=values,
    )


async def new_command(ctx: Context, press: Press, kind: str) -> Card:
    """Text ``ny GRUS`` / ``ny MUS`` / ``ny LUS``: the setup card."""
    return await _setup_card(ctx, press, kind, None)


async def set_up_privately(ctx: Context, press: Press) -> Card:
    """``setup.private``: the setup card of a MUS or LUS, sent to the presser's own 1:1 chat with
    the bot (where they pick the employee with the people picker); nothing is created yet."""
    kind = kind_of(press.data.get(verbs.DATA_KIND))
    if kind not in PRIVATE_KINDS:
        raise BadPayload("only a MUS or LUS is set up privately")
    chat = await ctx.teams.open_personal_chat(press.chat, press.person.user_id)
    card = setup_card(ctx.concept, press.texts, kind=kind, roster=[], people_picker=True)
    await ctx.teams.send(chat, card_message(card))
    return message_card(press.texts.get("private.sent"), error=False)


def _event(press: Press, actor: str, people: dict[str, Person], concept: Concept) -> SaveSetup:
    data, picker = press.data, not press.chat.is_group
    ids = choices_field(data, inputs.INPUT_PARTICIPANTS, limit=100)
    chosen: list[Person] = []
    for user_id in ids:
        if user_id in people:
            chosen.append(people[user_id])
        elif picker and _GUID.match(user_id):
            chosen.append(Person(user_id, "", aad_object_id=user_id))
        else:
            raise InvalidField("not in this chat", field="participants", reason="choice")
    date = text_field(data, inputs.INPUT_DATE)
    time = text_field(data, inputs.INPUT_TIME) or "09:00"
    kind = kind_of(text_field(data, inputs.INPUT_KIND) or data.get(verbs.DATA_KIND))
    wording = {q.id: text_field(data, inputs.wording_input(q.id)) for q in concept.questions}
    # An extra question without a perspective goes under the kind's first one.
    first = (concept.perspectives_for(kind) or concept.perspectives)[0].id
    extras = []
    for n in range(1, inputs.EXTRA_SLOTS + 1):
        pid, tid = inputs.extra_inputs(n)
        if question := text_field(data, tid):
            extras.append((text_field(data, pid) or first, question))
    co = text_field(data, inputs.INPUT_COFACILITATOR)
    return SaveSetup(
        actor,
        kind=kind,
        participants=tuple(chosen),
        starts_at=f"{date}T{time}" if date else None,
        duration_minutes=int_field(data, inputs.INPUT_DURATION),
        variant=text_field(data, inputs.INPUT_VARIANT) or "skema",
        walk_and_talk=bool_field(data, inputs.INPUT_WALK),
        workplace=text_field(data, inputs.INPUT_WORKPLACE),
        wording={k: v for k, v in wording.items() if v},
        extra_questions=tuple(extras),
        focus_points=text_field(data, inputs.INPUT_FOCUS),
        co_facilitator=co or None,
        request_id=press.request_id,
    )


async def save_setup(ctx: Context, press: Press) -> Card:
    """``setup.save``: validate, store (one write), answer with the status card, then prompt."""
    texts = press.texts
    existing_id = str(press.data.get(verbs.DATA_CONVERSATION) or "")
    audience = await audience_of(ctx, press.chat)
    people = {p.user_id: p for p in audience or ()}
    now = ctx.clock()
    if existing_id:
        changed = await ctx.conversations.change(
            existing_id,
            press.person,
            lambda actor: replace(_event(press, actor, people, ctx.concept), audience=audience),
            now,
        )
        message = texts.get("setup.saved_edit")
    else:
        event = replace(_event(press, press.person.user_id, people, ctx.concept), audience=audience)
        others = frozenset(p.user_id for p in event.participants) - {press.person.user_id}
        previous = await ctx.conversations.previous_for(
            press.chat.conversation_id, event.kind, others
        )
        conversation_id = new_id(press.chat.conversation_id, press.request_id)
        prompted = len({p.user_id for p in event.participants} | {press.person.user_id})
        await ctx.limits.spend(press.person.user_id, conversation_id, prompted, now)
        # Where it was set up, before anyone is prompted from there (idempotent).
        await ctx.deliveries.change(conversation_id, with_home(press.chat, press.person.user_id))

        def fresh() -> Conversation:
            return new_conversation(
                conversation_id=conversation_id,
                concept=ctx.concept,
                kind=event.kind,
                leader=press.person,
                place=place_of(press.chat.conversation_id),
                now=now,
            )

        changed = await ctx.conversations.change(
            conversation_id,
            press.person,
            lambda actor: replace(event, actor=actor, previous=previous),
            now,
            create=fresh,
        )
        message = texts.get("setup.saved")
    conversation = changed.conversation
    ctx.outbox.after(conversation, changed.effects, texts)
    outsiders = [p.name for p in audience or () if p.user_id in conversation.onlookers]
    if outsiders:
        shown = ", ".join(plain(name) for name in outsiders[:MAX_NAMED])
        more = f" (+{len(outsiders) - MAX_NAMED})" if len(outsiders) > MAX_NAMED else ""
        message += " " + texts.get("setup.not_taking_part", names=shown + more)
    if press.message_id and press.chat.is_group:
        pressed = Message(press.chat, press.message_id)
        ctx.outbox.tasks.spawn(ctx.outbox.keep_status(conversation, pressed, texts))
    return status_card(conversation, ctx.concept, texts, message=message)


async def refused(
    ctx: Context, press: Press, latest: Conversation | None, refusal: DomainError
) -> Card:
    """A refused setup: the setup card again, with what the leader typed kept; a MUS or LUS
    refused because others read along: why, and the way to set it up privately."""
    kind = (
        latest.kind
        if latest
        else kind_of(press.data.get(inputs.INPUT_KIND) or press.data.get(verbs.DATA_KIND))
    )
    message = refusal_message(refusal, press.texts)
    if isinstance(refusal, NotPrivate):
        return _private_only(press, kind, message)
    return await _setup_card(ctx, press, kind, latest, message=message, values=press.data)
