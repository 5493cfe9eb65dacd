"""Setting a conversation up: the setup card, the roster, saving and editing until it starts.

A GRUS is set up in the group or meeting chat, whose roster (all pages) offers the participants;
a MUS or LUS may also be set up from the leader's 1:1 chat, with Teams' people picker. Saving
creates the conversation and its setup in one write, then fans the preparation prompts out.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.conversations import new_id, resolve_actor
from bot.identity import actor_of, chat_of
from bot.payload import BadPayload, bool_field, choices_field, int_field, text_field
from bot.replies import card_message
from cards import setup as setup_inputs
from cards.errors import message_card, refusal_message
from cards.setup import setup_card
from cards.status import status_card
from cards.texts import Texts
from dialogs.concept import Concept
from dialogs.conversation import Conversation, Person
from dialogs.errors import DomainError, InvalidField, NotPermitted, WrongPhase
from dialogs.events import SaveSetup
from dialogs.transitions import apply, new_conversation

if TYPE_CHECKING:
    from bot.handler import SamtaleguideBot

ROSTER_PAGE = 100
ROSTER_LIMIT = 1000
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KINDS = ("GRUS", "MUS", "LUS")


async def roster(context: TurnContext) -> list[Person]:
    """Everyone in the chat, page by page until Teams gives no continuation token."""
    people: list[Person] = []
    token: str | None = None
    while len(people) < ROSTER_LIMIT:
        page = await TeamsInfo.get_paged_members(context, token, ROSTER_PAGE)
        for member in page.members or []:
            people.append(Person(member.id, member.name or "", member.aad_object_id or ""))
        token = page.continuation_token
        if not token:
            break
    return people


def _kind(value: Any) -> str:
    kind = str(value or "").upper()
    if kind not in KINDS:
        raise BadPayload("unknown kind")
    return kind


async def open_setup(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``setup.open``: a fresh setup card, or the stored setup for the leader to edit."""
    kind = _kind(data.get("kind") or "GRUS")
    conversation_id = data.get("conversation")
    if conversation_id:
        conversation = await bot.conversations.get(str(conversation_id))
        actor = resolve_actor(conversation, actor_of(context.activity))
        if conversation.participant(actor) is None or conversation.leader.user_id != actor:
            raise NotPermitted("only the leader", needs="leader")
        if conversation.phase not in ("setup", "preparation"):
            raise WrongPhase("too late to edit")
        return await _setup_card(bot, context, texts, conversation.kind, conversation)
    return await _setup_card(bot, context, texts, kind, None)


async def _setup_card(
    bot: SamtaleguideBot,
    context: TurnContext,
    texts: Texts,
    kind: str,
    conversation: Conversation | None,
    *,
    message: str | None = None,
    values: dict[str, Any] | None = None,
) -> dict:
    chat = chat_of(context.activity)
    if not chat.is_group and kind == "GRUS":
        return message_card(texts.get("setup.where_grus"))
    people = await roster(context) if chat.is_group else []
    return setup_card(
        bot.services.concept,
        texts,
        kind=kind,
        roster=people,
        conversation=conversation,
        people_picker=not chat.is_group,
        message=message,
        values=values,
    )


async def new_command(bot: SamtaleguideBot, context: TurnContext, texts: Texts, kind: str) -> None:
    """Text ``ny GRUS`` / ``ny MUS`` / ``ny LUS``: post the setup card."""
    card = await _setup_card(bot, context, texts, kind, None)
    await context.send_activity(card_message(card))


def _event(
    data: dict[str, Any], actor: str, people: dict[str, Person], picker: bool, concept: Concept
) -> SaveSetup:
    ids = choices_field(data, setup_inputs.INPUT_PARTICIPANTS, limit=100)
    chosen: list[Person] = []
    for user_id in ids:
        if user_id in people:
            chosen.append(people[user_id])
        elif picker and _GUID.match(user_id):
            chosen.append(Person(user_id, "", aad_object_id=user_id))
        else:
            raise InvalidField("not in this chat", field="participants", reason="choice")
    date = text_field(data, setup_inputs.INPUT_DATE)
    time = text_field(data, setup_inputs.INPUT_TIME) or "09:00"
    wording = {q.id: text_field(data, setup_inputs.wording_input(q.id)) for q in concept.questions}
    extras = []
    for n in range(1, setup_inputs.EXTRA_SLOTS + 1):
        pid, tid = setup_inputs.extra_inputs(n)
        if question := text_field(data, tid):
            extras.append((text_field(data, pid) or concept.perspectives[0].id, question))
    co = text_field(data, setup_inputs.INPUT_COFACILITATOR)
    return SaveSetup(
        actor,
        kind=_kind(text_field(data, setup_inputs.INPUT_KIND) or data.get("kind")),
        participants=tuple(chosen),
        starts_at=f"{date}T{time}" if date else None,
        duration_minutes=int_field(data, setup_inputs.INPUT_DURATION),
        variant=text_field(data, setup_inputs.INPUT_VARIANT) or "skema",
        walk_and_talk=bool_field(data, setup_inputs.INPUT_WALK),
        workplace=text_field(data, setup_inputs.INPUT_WORKPLACE),
        wording={k: v for k, v in wording.items() if v},
        extra_questions=tuple(extras),
        focus_points=text_field(data, setup_inputs.INPUT_FOCUS),
        co_facilitator=co or None,
        request_id=None,
    )


async def save_setup(
    bot: SamtaleguideBot, context: TurnContext, data: dict[str, Any], texts: Texts
) -> dict:
    """``setup.save``: validate, store (one write), answer with the status card, then prompt."""
    services = bot.services
    activity = context.activity
    person = actor_of(activity)
    chat = chat_of(activity)
    conversation_id = str(data.get("conversation") or "")
    existing = await bot.conversations.get(conversation_id) if conversation_id else None
    kind = (
        existing.kind if existing else _kind(data.get(setup_inputs.INPUT_KIND) or data.get("kind"))
    )
    people = {p.user_id: p for p in await roster(context)} if chat.is_group else {}
    now = services.clock()
    try:
        if existing is None:
            event = _event(data, person.user_id, people, not chat.is_group, services.concept)
            others = frozenset(p.user_id for p in event.participants) - {person.user_id}
            previous = await bot.conversations.previous_for(
                chat.conversation_id, event.kind, others
            )
            event = replace(event, previous=previous)
            fresh = new_conversation(
                conversation_id=new_id(chat, now),
                concept=services.concept,
                kind=event.kind,
                leader=person,
                chat=chat,
                now=now,
            )
            conversation, effects = apply(fresh, event, services.concept, now)
            await bot.conversations.create(conversation)
            message = texts.get("setup.saved")
        else:
            actor = resolve_actor(existing, person)
            event = _event(data, actor, people, not chat.is_group, services.concept)
            conversation, effects = await bot.conversations.execute(existing.id, event, now)
            message = texts.get("setup.saved_edit")
    except DomainError as refusal:
        return await _setup_card(
            bot,
            context,
            texts,
            kind,
            existing,
            message=refusal_message(refusal, texts),
            values=data,
        )
    services.spawn(bot.effects.carry_out(conversation, effects, texts))
    return status_card(conversation, texts, message=message)
