"""Carrying out a transition's effects in Teams, after the new state has been saved.

``Outbox.after(conversation, effects, texts)`` runs outside the user's turn (``Tasks.spawn``).
Preparation prompts fan out with bounded concurrency; each delivery is recorded in the bot's
delivery record at once (``bot.deliveries``), so a later run refreshes that card in place instead
of sending a second prompt. People Teams will not let us reach (403) are recorded as unreachable
and named to the leader on the status card in the conversation's chat, while everyone else still
gets their prompt. The live card is posted in the home chat and then kept current by coalesced
edits (``bot.live_updates``) from the states this process saved, checked against the store once
a burst is over; a finished conversation goes on to the development plan.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.conversations import Conversations
from bot.deliveries import (
    Deliveries,
    Delivery,
    Message,
    with_live,
    with_prompt,
    with_unreachable,
)
from bot.live_updates import SPACING, CardUpdates
from bot.messaging import Messaging
from bot.replies import card_message, text_message
from bot.tasks import Tasks
from bot.teams import DeliveryFailed, Unreachable
from cards.live import live_card
from cards.preparation import preparation_card
from cards.status import keywords_card, status_card
from cards.texts import Texts, texts_for
from dialogs import effects as fx
from dialogs.concept import Concept
from dialogs.conversation import Conversation

log = logging.getLogger("samtaleguide.outbox")
FANOUT = 4  # prompts in flight per conversation (the tenant's pacing limits the rate anyway)

PlanDelivery = Callable[[Conversation, Texts], Awaitable[object]]


class Outbox:
    def __init__(
        self,
        *,
        concept: Concept,
        conversations: Conversations,
        deliveries: Deliveries,
        messaging: Messaging,
        tasks: Tasks,
        deliver_plan: PlanDelivery,
        fanout: int = FANOUT,
        live_card_interval: float = SPACING,
    ) -> None:
        self.concept = concept
        self.conversations = conversations
        self.deliveries = deliveries
        self.messaging = messaging
        self.tasks = tasks
        self.deliver_plan = deliver_plan
        self.fanout = fanout
        self.updates: CardUpdates[Conversation] = CardUpdates(
            self._edit_live_card,
            self._settle_live_card,
            version=lambda c: c.version,
            spacing=live_card_interval,
        )
        self._texts: dict[str, Texts] = {}
        self._live_messages: dict[str, tuple[Message, ...]] = {}

    def after(
        self, conversation: Conversation, effects: tuple[fx.Effect, ...], texts: Texts
    ) -> None:
        """Carry ``effects`` out in the background (the caller's turn answers meanwhile)."""
        if effects:
            self.tasks.spawn(self.carry_out(conversation, effects, texts))

    async def carry_out(
        self, conversation: Conversation, effects: tuple[fx.Effect, ...], texts: Texts
    ) -> None:
        for effect in effects:
            if isinstance(effect, fx.SendPrompts):
                await self.prompt(conversation, effect.user_ids, texts)
            elif isinstance(effect, fx.RefreshPrompts):
                await self.prompt(conversation, effect.user_ids, texts, refresh_only=True)
            elif isinstance(effect, fx.SendReminders):
                await self.remind(conversation, effect.user_ids, texts)
            elif isinstance(effect, fx.PostKeywordSummary):
                await self.messaging.post_home(conversation.id, keywords_card(conversation, texts))
            elif isinstance(effect, fx.PostLiveCard):
                await self.post_live_card(conversation, texts)
            elif isinstance(effect, fx.UpdateLiveCard):
                self._texts[conversation.id] = texts
                await self.updates.request(conversation.id, conversation)
            elif isinstance(effect, fx.ConversationFinished):
                await self.deliver_plan(conversation, texts)

    # --- the live card ---------------------------------------------------------------------

    async def post_live_card(self, conversation: Conversation, texts: Texts) -> None:
        """Post the shared live card in the conversation's chat and remember its message."""
        card = live_card(conversation, self.concept, texts)
        posted = await self.messaging.post_home(conversation.id, card)
        if posted is not None:
            await self.deliveries.change(conversation.id, with_live((posted,)))

    async def _edit_live_card(self, conversation_id: str, conversation: Conversation) -> None:
        """Edit every message of the live card to show ``conversation``."""
        live = self._live_messages.get(conversation_id)
        if live is None:  # once per burst: where the card is does not change within one
            live = (await self.deliveries.get(conversation_id)).live
            self._live_messages[conversation_id] = live
        texts = self._texts.get(conversation_id) or texts_for(None)
        card = live_card(conversation, self.concept, texts)
        for message in live:
            await self.messaging.teams.update(message.chat, message.activity_id, card_message(card))

    async def _settle_live_card(self, conversation_id: str, shown: Conversation) -> None:
        """After a burst: edit once more if another instance saved something newer."""
        self._live_messages.pop(conversation_id, None)
        stored = await self.conversations.get(conversation_id)
        if stored.version > shown.version:
            await self._edit_live_card(conversation_id, stored)
            self._live_messages.pop(conversation_id, None)
        self._texts.pop(conversation_id, None)

    # --- preparation -----------------------------------------------------------------------

    async def prompt(
        self,
        conversation: Conversation,
        user_ids: tuple[str, ...],
        texts: Texts,
        *,
        refresh_only: bool = False,
    ) -> None:
        if not user_ids:
            return
        limit = asyncio.Semaphore(self.fanout)
        delivery = await self.deliveries.get(conversation.id)

        async def one(user_id: str) -> bool:
            async with limit:
                return await self._prompt_one(conversation, delivery, user_id, texts, refresh_only)

        reached = await asyncio.gather(*(one(uid) for uid in user_ids), return_exceptions=True)
        for outcome in reached:  # one person's failure never stops the others' prompts
            if isinstance(outcome, BaseException):
                log.error("preparation prompt failed: %s", type(outcome).__name__)
        if not all(outcome is True for outcome in reached):
            await self.post_status(conversation.id, texts, texts.get("unreachable.title"))

    async def post_status(self, conversation_id: str, texts: Texts, message: str) -> None:
        """The status card in the home chat, naming who could not be reached."""
        latest = await self.conversations.get(conversation_id)
        delivery = await self.deliveries.get(conversation_id)
        card = status_card(
            latest, texts, message=message, success=False, unreachable=delivery.unreachable
        )
        await self.messaging.post_home(conversation_id, card)

    async def _prompt_one(
        self,
        conversation: Conversation,
        delivery: Delivery,
        user_id: str,
        texts: Texts,
        refresh_only: bool,
    ) -> bool:
        if conversation.participant(user_id) is None:
            return True
        card = preparation_card(conversation, self.concept, texts, user_id)
        earlier = delivery.prompt(user_id)
        if refresh_only and earlier is None:
            return True
        teams = self.messaging.teams
        try:
            if earlier is not None:
                await teams.update(earlier.chat, earlier.activity_id, card_message(card))
                return True
            chat = await self.messaging.personal_chat(conversation.id, user_id)
            if chat is None:
                return True
            activity_id = await teams.send(chat, card_message(card))
        except Unreachable:
            await self.deliveries.change(conversation.id, with_unreachable(user_id, "blocked"))
            return False
        except DeliveryFailed as error:
            log.warning("preparation prompt not delivered (%s)", error.status)
            await self.deliveries.change(conversation.id, with_unreachable(user_id, "failed"))
            return False
        await self.deliveries.change(conversation.id, with_prompt(user_id, chat, activity_id))
        return True

    async def remind(
        self, conversation: Conversation, user_ids: tuple[str, ...], texts: Texts
    ) -> None:
        delivery = await self.deliveries.get(conversation.id)
        never_reached = tuple(uid for uid in user_ids if delivery.prompt(uid) is None)
        for uid in user_ids:
            earlier = delivery.prompt(uid)
            if earlier is None:
                continue
            try:
                reminder = text_message(texts.get("prep.reminder", kind=conversation.kind))
                await self.messaging.teams.send(earlier.chat, reminder)
            except DeliveryFailed as error:
                log.warning("reminder not delivered (%s)", error.status)
        if never_reached:
            await self.prompt(conversation, never_reached, texts)
