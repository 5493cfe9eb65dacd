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
    with_status,
    with_unreachable,
)
from bot.identity import ChatRef
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
        self.status_updates: CardUpdates[Conversation] = CardUpdates(
            self._edit_status_cards,
            self._settle_status_cards,
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
                await self.share_keywords(conversation, texts)
            elif isinstance(effect, fx.PostLiveCard):
                await self.post_live_card(conversation, texts)
            elif isinstance(effect, fx.UpdateLiveCard):
                self._texts[conversation.id] = texts
                await self.updates.request(conversation.id, conversation)
            elif isinstance(effect, fx.UpdateStatusCard):
                self._texts[conversation.id] = texts
                await self.status_updates.request(conversation.id, conversation)
            elif isinstance(effect, fx.ConversationFinished):
                await self.deliver_plan(conversation, texts)

    async def share_keywords(self, conversation: Conversation, texts: Texts) -> None:
        """Everyone's keywords, for everyone taking part: in the chat when only they read it,
        else on each one's own preparation card (which then shows them)."""
        if conversation.onlookers:
            everyone = tuple(p.user_id for p in conversation.participants)
            await self.prompt(conversation, everyone, texts, refresh_only=True)
        else:
            await self.messaging.post_home(conversation.id, keywords_card(conversation, texts))

    # --- the live card ---------------------------------------------------------------------

    async def post_live_card(self, conversation: Conversation, texts: Texts) -> None:
        """Post the shared live card and remember its messages: in the chat it was set up in,
        or, for a MUS or LUS set up in the leader's 1:1 chat, in each participant's 1:1 chat
        (the same card, edited in step)."""
        card = live_card(conversation, self.concept, texts)
        delivery = await self.deliveries.get(conversation.id)
        if delivery.home is not None and not delivery.home.is_group:
            sent = [
                await self.messaging.send_personal(conversation.id, p.user_id, card)
                for p in conversation.participants
            ]
            posted = tuple(m for m in sent if m is not None)
        else:
            home = await self.messaging.post_home(conversation.id, card)
            posted = () if home is None else (home,)
        if posted:
            self._live_messages.pop(conversation.id, None)
            await self.deliveries.change(conversation.id, with_live(posted))

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

    # --- the status card -------------------------------------------------------------------

    async def show_status(
        self, conversation: Conversation, chat: ChatRef, card: dict[str, object]
    ) -> None:
        """Post a status card in ``chat`` and keep it current as people prepare."""
        posted = await self.messaging.post(chat, card)
        if posted is not None:
            await self.deliveries.change(conversation.id, with_status(posted))

    async def keep_status(self, conversation: Conversation, message: Message, texts: Texts) -> None:
        """The status card a press answered with, in ``message``: show it to everyone in the
        chat (Teams replaced it only for the presser), without the banner, and keep it current."""
        card = status_card(conversation, texts)
        try:
            await self.messaging.teams.update(message.chat, message.activity_id, card_message(card))
        except DeliveryFailed as error:
            log.warning("status card not shown to everyone (%s)", error.status)
            return
        await self.deliveries.change(conversation.id, with_status(message))

    async def _edit_status_cards(self, conversation_id: str, conversation: Conversation) -> None:
        delivery = await self.deliveries.get(conversation_id)
        texts = self._texts.get(conversation_id) or texts_for(None)
        card = status_card(conversation, texts, unreachable=delivery.unreachable)
        for message in delivery.status:
            try:
                await self.messaging.teams.update(
                    message.chat, message.activity_id, card_message(card)
                )
            except DeliveryFailed as error:
                log.warning("status card not edited (%s)", error.status)

    async def _settle_status_cards(self, conversation_id: str, shown: Conversation) -> None:
        stored = await self.conversations.get(conversation_id)
        if stored.version > shown.version:
            await self._edit_status_cards(conversation_id, stored)

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
        if delivery.home is not None:
            await self.show_status(latest, delivery.home, card)

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
