"""The Teams activity handler: greets, answers text commands and routes card presses by verb.

Text commands and card verbs are looked up in tables (``COMMANDS`` here, ``Routes.verbs``); the
handlers they point to live in ``bot/flows``. A card press always gets an HTTP 200 with a card:
the fresh card, or the same card with a refusal on top; never a 5xx, never a stack trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import ChannelAccount

from bot.conversations import Conversations
from bot.effects import Effects
from bot.flows import command_table, meeting, verb_table
from bot.identity import chat_of
from bot.payload import BadPayload, parse_action
from bot.plan_delivery import PlanDelivery
from bot.reminders import FollowUpReminders
from bot.replies import card_invoke_response, card_message, status_response
from bot.services import Services
from cards.common import plain
from cards.errors import message_card, refusal_message
from cards.help import help_card
from cards.texts import Texts, texts_for
from dialogs.errors import DomainError

log = logging.getLogger("samtaleguide.bot")

CommandHandler = Callable[[TurnContext, Texts, str], Awaitable[None]]
VerbHandler = Callable[[TurnContext, dict, Texts], Awaitable[dict]]

_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.!?]+$")


def normalise(text: str) -> str:
    return _TRAILING.sub("", _SPACES.sub(" ", text.strip().lower()))


class SamtaleguideBot(TeamsActivityHandler):
    def __init__(self, services: Services) -> None:
        self.services = services
        self.conversations = Conversations(services.store, services.concept)
        self.effects = Effects(services, self.conversations)
        self.reminders = FollowUpReminders(self.conversations, self.effects)
        self.plans = PlanDelivery(self.effects, services.documents, services.link_ttl)
        self.effects.plans = self.plans
        self.commands: dict[str, tuple[CommandHandler, str]] = command_table(self)
        self.verbs: dict[str, VerbHandler] = verb_table(self)

    # --- messages ------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        texts = texts_for(activity.locale)
        raw = TurnContext.remove_recipient_mention(activity) if activity.entities else activity.text
        command = normalise(raw or "")
        handler, argument = self.commands.get(command, (None, ""))
        if handler is None:
            await turn_context.send_activity(texts.get("unknown.text"))
            return
        await handler(turn_context, texts, argument)

    async def send_help(self, turn_context: TurnContext, texts: Texts, _: str = "") -> None:
        await turn_context.send_activity(card_message(help_card(texts)))

    # --- installation --------------------------------------------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added: list[ChannelAccount] = activity.members_added or []
        if bot_id and any(member.id == bot_id for member in added):
            await self.greet(turn_context)

    async def greet(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        texts = texts_for(activity.locale)
        name = (activity.from_property.name if activity.from_property else "") or ""
        if chat_of(activity).is_group:
            greeting = texts.get("greeting.group")
        elif name.strip():
            greeting = texts.get("greeting.personal", name=plain(name.split()[0]))
        else:
            greeting = texts.get("greeting.personal_anonymous")
        await turn_context.send_activity(card_message(help_card(texts), text=greeting))

    # --- meetings (RSC OnlineMeeting.ReadBasic.Chat) ------------------------------------

    async def on_teams_meeting_start_event(self, _: object, turn_context: TurnContext) -> None:
        await meeting.meeting_started(self, turn_context)

    async def on_teams_meeting_end_event(self, _: object, turn_context: TurnContext) -> None:
        await meeting.meeting_ended(self, turn_context)

    # --- card presses --------------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != "adaptiveCard/action":
            return status_response(HTTPStatus.BAD_REQUEST)
        texts = texts_for(turn_context.activity.locale)
        try:
            action = parse_action(turn_context.activity.value)
        except BadPayload:
            return card_invoke_response(message_card(texts.get("error.bad_request")))
        handler = self.verbs.get(action.verb)
        if handler is None:
            return card_invoke_response(message_card(texts.get("error.unknown_verb")))
        try:
            card = await handler(turn_context, action.data, texts)
        except BadPayload:
            card = message_card(texts.get("error.bad_request"))
        except DomainError as refusal:
            card = message_card(refusal_message(refusal, texts))
        return card_invoke_response(card)
