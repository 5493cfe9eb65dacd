"""Carrying out a transition's effects in Teams, after the new state has been saved.

Runs outside the user's turn (``Services.spawn``). Preparation prompts fan out with bounded
concurrency; each delivery is recorded on the conversation (``RecordPrompt``) at once, so a later
run refreshes that card in place instead of sending a second prompt. People Teams will not let us
reach (403) are recorded as unreachable and named to the leader on the status card in the
conversation's chat, while everyone else still gets their prompt.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.conversations import Conversations
from bot.live_updates import CardUpdates
from bot.replies import card_message, text_message
from bot.services import Services
from bot.teams import DeliveryFailed, Unreachable
from cards.live import live_card
from cards.preparation import preparation_card
from cards.status import keywords_card, status_card
from cards.texts import Texts, texts_for
from dialogs import effects as fx
from dialogs import events as ev
from dialogs.conversation import ChatRef, Conversation
from dialogs.errors import DomainError
from storage.errors import StorageError

if TYPE_CHECKING:
    from bot.plan_delivery import PlanDelivery

log = logging.getLogger("samtaleguide.effects")
RECORD_ATTEMPTS = 12
RECORD_FIRST_DELAY = 0.5
RECORD_MAX_DELAY = 60.0
SYSTEM = "samtaleguide"


class Effects:
    def __init__(self, services: Services, conversations: Conversations) -> None:
        self.services = services
        self.conversations = conversations
        self.updates = CardUpdates(self._edit_live_card)
        self._texts: dict[str, Texts] = {}
        self.plans: PlanDelivery | None = None  # set by the bot once built (it needs us)

    async def carry_out(
        self, conversation: Conversation, effects: tuple[fx.Effect, ...], texts: Texts
    ) -> None:
        for effect in effects:
            if isinstance(effect, fx.SendPrompts | fx.RefreshPrompts):
                await self.prompt(conversation, effect.user_ids, texts)
            elif isinstance(effect, fx.SendReminders):
                await self.remind(conversation, effect.user_ids, texts)
            elif isinstance(effect, fx.PostKeywordSummary):
                await self.post_to_chat(conversation, keywords_card(conversation, texts))
            elif isinstance(effect, fx.PostLiveCard):
                await self.post_live_card(conversation, texts)
            elif isinstance(effect, fx.UpdateLiveCard):
                self._texts[conversation.id] = texts
                await self.updates.request(conversation.id)
            elif isinstance(effect, fx.ConversationFinished) and self.plans is not None:
                await self.plans.deliver(conversation, texts)

    async def post_live_card(self, conversation: Conversation, texts: Texts) -> None:
        """Post the shared live card in the conversation's chat and remember its message."""
        if conversation.chat is None:
            return
        card = live_card(conversation, self.services.concept, texts)
        try:
            activity_id = await self.services.teams.send(conversation.chat, card_message(card))
        except DeliveryFailed as error:
            log.warning("could not post the live card (%s)", error.status)
            return
        event = ev.RecordLiveCard(SYSTEM, chat=conversation.chat, activity_id=activity_id)
        await self.record(conversation.id, event)

    async def _edit_live_card(self, conversation_id: str) -> None:
        conversation = await self.conversations.get(conversation_id)
        live = conversation.live
        if live.card_chat is None or live.card_activity_id is None:
            return
        texts = self._texts.get(conversation_id) or texts_for(None)
        card = live_card(conversation, self.services.concept, texts)
        await self.services.teams.update(live.card_chat, live.card_activity_id, card_message(card))

    async def record(self, conversation_id: str, event: ev.Event) -> None:
        """Save what the bot itself did (a delivered prompt, the live card's message id).

        These saves block nobody but must not be lost – a lost record means a second prompt or a
        live card that is never edited again – so a storage outage is waited out with backoff
        (about five minutes in all) before giving up with a log line."""
        delay = RECORD_FIRST_DELAY
        for attempt in range(RECORD_ATTEMPTS):
            try:
                await self.conversations.execute(conversation_id, event, self.services.clock())
                return
            except DomainError:
                return  # the conversation moved on (e.g. finished); nothing to record
            except StorageError as error:
                if attempt == RECORD_ATTEMPTS - 1:
                    log.error("could not record a delivery: %s", type(error).__name__)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECORD_MAX_DELAY)

    async def personal_chat(self, conversation: Conversation, user_id: str) -> ChatRef | None:
        """The participant's 1:1 chat with the bot: the one their prompt went to, or a new one."""
        participant = conversation.participant(user_id)
        if participant is not None and participant.prompt_chat is not None:
            return participant.prompt_chat
        if conversation.chat is None:
            return None
        return await self.services.teams.open_personal_chat(conversation.chat, user_id)

    async def post_to_chat(self, conversation: Conversation, card: dict) -> None:
        if conversation.chat is None:
            return
        try:
            await self.services.teams.send(conversation.chat, card_message(card))
        except DeliveryFailed as error:
            log.warning("could not post in the conversation's chat (%s)", error.status)

    async def prompt(
        self, conversation: Conversation, user_ids: tuple[str, ...], texts: Texts
    ) -> None:
        limit = asyncio.Semaphore(self.services.fanout)

        async def one(user_id: str) -> bool:
            async with limit:
                return await self._prompt_one(conversation, user_id, texts)

        reached = await asyncio.gather(*(one(uid) for uid in user_ids), return_exceptions=True)
        for outcome in reached:  # one person's failure never stops the others' prompts
            if isinstance(outcome, BaseException):
                log.error("preparation prompt failed: %s", type(outcome).__name__)
        if not all(outcome is True for outcome in reached):
            latest = await self.conversations.get(conversation.id)
            await self.post_to_chat(
                latest,
                status_card(latest, texts, message=texts.get("unreachable.title"), success=False),
            )

    async def _prompt_one(self, conversation: Conversation, user_id: str, texts: Texts) -> bool:
        participant = conversation.participant(user_id)
        if participant is None or conversation.chat is None:
            return True
        teams = self.services.teams
        card = preparation_card(conversation, self.services.concept, texts, user_id)
        try:
            if participant.prompt_chat and participant.prompt_activity_id:
                await teams.update(
                    participant.prompt_chat, participant.prompt_activity_id, card_message(card)
                )
                return True
            chat = await teams.open_personal_chat(conversation.chat, user_id)
            activity_id = await teams.send(chat, card_message(card))
        except Unreachable:
            await self.record(
                conversation.id, ev.RecordUnreachable(SYSTEM, user_id=user_id, reason="blocked")
            )
            return False
        except DeliveryFailed as error:
            log.warning("preparation prompt not delivered (%s)", error.status)
            await self.record(
                conversation.id, ev.RecordUnreachable(SYSTEM, user_id=user_id, reason="failed")
            )
            return False
        delivered = ev.RecordPrompt(SYSTEM, user_id=user_id, chat=chat, activity_id=activity_id)
        await self.record(conversation.id, delivered)
        return True

    async def remind(
        self, conversation: Conversation, user_ids: tuple[str, ...], texts: Texts
    ) -> None:
        never_reached = tuple(
            uid for uid in user_ids if (p := conversation.participant(uid)) and not p.prompt_chat
        )
        for uid in user_ids:
            participant = conversation.participant(uid)
            if participant is None or participant.prompt_chat is None:
                continue
            try:
                reminder = text_message(texts.get("prep.reminder", kind=conversation.kind))
                await self.services.teams.send(participant.prompt_chat, reminder)
            except DeliveryFailed as error:
                log.warning("reminder not delivered (%s)", error.status)
        if never_reached:
            await self.prompt(conversation, never_reached, texts)
