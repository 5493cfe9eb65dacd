"""The Teams activity handler: greets, answers text commands and routes card presses by verb.

Text commands and card verbs are looked up in tables (``bot.flows.commands`` and
``bot.flows.routes``). A card press always gets an HTTP 200 with a card: the fresh card, or the
card the person pressed with a refusal on top (declared once per route), or a plain message;
never a 5xx, never a stack trace. Replies to messages and events are posted through the outbound
Teams client (paced and retried like every other message).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    InvokeResponse,
    TurnContextProtocol,
)
from microsoft_agents.hosting.core import ActivityHandler, ChannelAdapter

from bot.conversations import Refused
from bot.flows import help_for
from bot.flows.context import Command, Context, Press, Route
from bot.flows.meeting import meeting_ended, meeting_started
from bot.flows.members import members_changed
from bot.identity import actor_of, chat_of, display_name, person_of
from bot.payload import BadPayload, parse_action
from bot.replies import card_invoke_response, card_message, status_response, text_message
from cards import verbs
from cards.common import Card, plain
from cards.errors import message_card, refusal_message
from cards.texts import Texts, texts_for
from dialogs.errors import DomainError

log = logging.getLogger("samtaleguide.bot")

MEETING_START = "application/vnd.microsoft.meetingStart"
MAX_ID = 256  # ids kept from a client (request ids, message ids) are bounded
MAX_NAME = 100
MEETING_END = "application/vnd.microsoft.meetingEnd"
_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s.!?]+$")


def retry_of(data: dict) -> str | None:
    """The first press's id on a "Prøv igen" button (``verbs.DATA_RETRY_OF``), if well-formed:
    the retried press runs under it, so it is applied at most once."""
    value = data.get(verbs.DATA_RETRY_OF)
    if isinstance(value, str) and 0 < len(value) <= MAX_ID and value.isascii():
        return value if value.isprintable() else None
    return None


def request_id_of(activity: Activity, data: dict) -> str:
    """The id a press is applied under: the first press's on "Prøv igen", else the activity's."""
    return retry_of(data) or (activity.id or "")[:MAX_ID]


def normalise(text: str) -> str:
    return _TRAILING.sub("", _SPACES.sub(" ", text.strip().lower()))


class SamtaleguideBot(ActivityHandler):
    def __init__(
        self,
        context: Context,
        routes: dict[str, Route],
        commands: dict[str, Command],
        *,
        locale_override: str = "",
    ) -> None:
        self.context = context
        self.routes = routes
        self.commands = commands
        self.locale_override = locale_override

    def _texts(self, activity: Activity) -> Texts:
        return texts_for(self.locale_override or activity.locale)

    def _press(self, activity: Activity, data: dict | None = None) -> Press:
        bot_name = (activity.recipient.name if activity.recipient else "") or "Samtaleguide"
        return Press(
            person=actor_of(activity),
            chat=chat_of(activity),
            request_id=request_id_of(activity, data or {}),
            texts=self._texts(activity),
            data=data or {},
            message_id=(activity.reply_to_id or "")[:MAX_ID],
            bot_name=display_name(bot_name)[:MAX_NAME] or "Samtaleguide",
        )

    async def _reply(
        self, press: Press, reply: Card | list[Card] | str | None, text: str | None = None
    ) -> None:
        if reply is None:
            return
        if isinstance(reply, list):
            for one in reply:
                await self._reply(press, one)
            return
        message = text_message(reply) if isinstance(reply, str) else card_message(reply, text)
        await self.context.teams.send(press.chat, message)

    # --- messages ------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContextProtocol) -> None:
        activity = turn_context.activity
        raw = activity.remove_recipient_mention() if activity.entities else activity.text
        command = normalise(raw or "")
        press = self._press(activity)
        handler = self.commands.get(command)
        if handler is None:
            await self._reply(press, press.texts.get("unknown.text"))
            return
        try:
            reply = await handler(self.context, press, command)
        except DomainError as refusal:
            reply = message_card(refusal_message(refusal, press.texts))
        except Refused as refused:
            reply = message_card(refusal_message(refused.refusal, press.texts))
        await self._reply(press, reply)

    # --- installation --------------------------------------------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContextProtocol) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        added = [m for m in activity.members_added or [] if m.id and m.id != bot_id]
        removed = [m for m in activity.members_removed or [] if m.id and m.id != bot_id]
        if bot_id and any(member.id == bot_id for member in activity.members_added or []):
            await self.greet(activity)
        if added or removed:
            people = tuple(person_of(m) for m in added)
            await members_changed(
                self.context, self._press(activity), people, tuple(m.id for m in removed)
            )

    async def greet(self, activity: Activity) -> None:
        press = self._press(activity)
        texts = press.texts
        name = press.person.name
        if press.chat.is_group:
            greeting = texts.get("greeting.group", bot=plain(press.bot_name))
        elif name.strip():
            greeting = texts.get("greeting.personal", name=plain(name.split()[0]))
        else:
            greeting = texts.get("greeting.personal_anonymous")
        await self._reply(press, help_for(self.context, press), greeting)

    # --- meetings (RSC OnlineMeeting.ReadBasic.Chat) ------------------------------------

    async def on_event_activity(self, turn_context: TurnContextProtocol) -> None:
        activity = turn_context.activity
        if activity.name == MEETING_START:
            press = self._press(activity)
            await self._reply(press, await meeting_started(self.context, press))
        elif activity.name == MEETING_END:
            press = self._press(activity)
            await self._reply(press, await meeting_ended(self.context, press))

    # --- card presses --------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContextProtocol) -> None:
        """Invokes are answered here: the answer is handed to the adapter as its invoke response
        directly. (``ActivityHandler`` would send it as an activity, which deep-copies the whole
        card first: 2–3 ms of CPU for a live card, more than the rest of a press.)"""
        activity = turn_context.activity
        if activity is None or activity.type != ActivityTypes.invoke:
            await super().on_turn(turn_context)
            return
        response = await self.on_invoke_activity(turn_context)
        turn_context.turn_state[ChannelAdapter.INVOKE_RESPONSE_KEY] = Activity(
            type=ActivityTypes.invoke_response, value=response
        )

    async def on_invoke_activity(self, turn_context: TurnContextProtocol) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            return status_response(HTTPStatus.BAD_REQUEST)
        texts = self._texts(activity)
        try:
            action = parse_action(activity.value)
        except BadPayload as bad:
            return card_invoke_response(message_card(texts.get(bad.text)))
        route = self.routes.get(action.verb)
        if route is None:
            return card_invoke_response(message_card(texts.get("error.unknown_verb")))
        press = self._press(activity, action.data)
        return card_invoke_response(await self.press(route, press))

    async def press(self, route: Route, press: Press) -> Card:
        """Run a route; a refusal is shown as the route declares (to participants only)."""
        try:
            return await route.run(self.context, press)
        except BadPayload as bad:
            return message_card(press.texts.get(bad.text))
        except Refused as refused:
            latest = refused.latest
            current = latest.participant(refused.actor) if latest is not None else None
            shows_content = latest is None or (current is not None and not current.left)
            if route.refused is None or not shows_content:
                return message_card(refusal_message(refused.refusal, press.texts))
            return await route.refused(self.context, press, latest, refused.refusal)
        except DomainError as refusal:
            if route.refused is None:
                return message_card(refusal_message(refusal, press.texts))
            return await route.refused(self.context, press, None, refusal)
