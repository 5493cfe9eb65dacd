"""Reaching a conversation's people: its home chat and each participant's 1:1 chat.

``Messaging`` knows where to find them from the delivery record (``bot.deliveries``): the chat the
conversation was set up in, and the 1:1 chats it opened (remembered, so a chat is opened once).
Sending never raises for a failed delivery: it logs the status and answers ``None``, because one
person's unreachable chat must never stop the others' messages.
"""

from __future__ import annotations

import logging
from typing import Any

from microsoft_agents.activity import Activity

from bot.deliveries import Deliveries, Message, with_personal_chat
from bot.identity import ChatRef
from bot.replies import card_message
from bot.teams import DeliveryFailed, Teams

log = logging.getLogger("samtaleguide.messaging")


class Messaging:
    def __init__(self, teams: Teams, deliveries: Deliveries) -> None:
        self.teams = teams
        self.deliveries = deliveries

    async def post_home(self, conversation_id: str, card: dict[str, Any]) -> Message | None:
        """Post ``card`` in the chat the conversation was set up in."""
        home = (await self.deliveries.get(conversation_id)).home
        if home is None:
            return None
        return await self.post(home, card)

    async def post(self, chat: ChatRef, card: dict[str, Any]) -> Message | None:
        try:
            return Message(chat, await self.teams.send(chat, card_message(card)))
        except DeliveryFailed as error:
            log.warning("could not post a card (%s)", error.status)
            return None

    async def personal_chat(self, conversation_id: str, user_id: str) -> ChatRef | None:
        """The participant's 1:1 chat with the bot: the one used before, or a new one (opened
        from the home chat and remembered). Raises ``DeliveryFailed`` when Teams refuses."""
        delivery = await self.deliveries.get(conversation_id)
        known = delivery.personal.get(user_id)
        if known is not None:
            return known
        if delivery.home is None:
            return None
        chat = await self.teams.open_personal_chat(delivery.home, user_id)
        await self.deliveries.change(conversation_id, with_personal_chat(user_id, chat))
        return chat

    async def send_personal(
        self, conversation_id: str, user_id: str, card: dict[str, Any]
    ) -> Message | None:
        """Send ``card`` to the participant's own 1:1 chat."""
        return await self.send_personal_message(conversation_id, user_id, card_message(card))

    async def send_personal_message(
        self, conversation_id: str, user_id: str, activity: Activity
    ) -> Message | None:
        """Send ``activity`` to the participant's own 1:1 chat."""
        try:
            chat = await self.personal_chat(conversation_id, user_id)
            if chat is None:
                return None
            return Message(chat, await self.teams.send(chat, activity))
        except DeliveryFailed as error:
            log.warning("could not reach a 1:1 chat (%s)", error.status)
            return None
