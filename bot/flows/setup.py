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
from bot.deliveries import with_home
from bot.flows.context import Context, Press
from bot.payload import BadPayload, bool_field, choices_field, id_field, int_field, text_field
from cards import setup as inputs
from cards import verbs
from cards.common import Card
from cards.errors import message_card
from cards.setup import setup_card
from cards.status import status_card
from dialogs.access import leader
from dialogs.concept import Concept
from dialogs.conversation import Conversation, Person
from dialogs.errors import InvalidField, WrongPhase
from dialogs.events import SaveSetup
from dialogs.transitions import new_conversation
from storage.keys import place_of

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KINDS = ("GRUS", "MUS", "LUS")


def kind_of(value: Any) -> str:
    kind = str(value or "").upper()
    if kind not in KINDS:
        raise BadPayload("unknown kind")
    return kind


async def _roster(ctx: Context, press: Press) -> list[Person]:
    return await ctx.teams.members(press.chat) if press.chat.is_group else []


async def open_setup(ctx: Context, press: Press) -> Card:
    """``setup.open``: a fresh setup card, or the stored setup for the leader to edit."""
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
    return setup_card(
        ctx.concept,
        press.texts,
        kind=kind,
        roster=await _roster(ctx, press),
        conversation=conversation,
        people_picker=not press.chat.is_group,
        message=message,
        values=values,
    )


async def new_command(ctx: Context, press: Press, kind: str) -> Card:
    """Text ``ny GRUS`` / ``ny MUS`` / ``ny LUS``: the setup card."""
    return await _setup_card(ctx, press, kind, None)


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
    wording = {q.id: text_field(data, inputs.wording_input(q.id)) for q in concept.questions}
    extras = []
    for n in range(1, inputs.EXTRA_SLOTS + 1):
        pid, tid = inputs.extra_inputs(n)
        if question := text_field(data, tid):
            extras.append((text_field(data, pid) or concept.perspectives[0].id, question))
    co = text_field(data, inputs.INPUT_COFACILITATOR)
    return SaveSetup(
        actor,
        kind=kind_of(text_field(data, inputs.INPUT_KIND) or data.get(verbs.DATA_KIND)),
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
    people = {p.user_id: p for p in await _roster(ctx, press)}
    now = ctx.clock()
    if existing_id:
        changed = await ctx.conversations.change(
            existing_id,
            press.person,
            lambda actor: _event(press, actor, people, ctx.concept),
            now,
        )
        message = texts.get("setup.saved_edit")
    else:
        event = _event(press, press.person.user_id, people, ctx.concept)
        others = frozenset(p.user_id for p in event.participants) - {press.person.user_id}
        previous = await ctx.conversations.previous_for(
            press.chat.conversation_id, event.kind, others
        )
        conversation_id = new_id(press.chat.conversation_id, press.request_id)
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
    ctx.outbox.after(changed.conversation, changed.effects, texts)
    return status_card(changed.conversation, texts, message=message)


async def refused(ctx: Context, press: Press, latest: Conversation | None, message: str) -> Card:
    """A refused setup: the setup card again, with what the leader typed kept."""
    kind = (
        latest.kind
        if latest
        else kind_of(press.data.get(inputs.INPUT_KIND) or press.data.get(verbs.DATA_KIND))
    )
    return await _setup_card(ctx, press, kind, latest, message=message, values=press.data)
