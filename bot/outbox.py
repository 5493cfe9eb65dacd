"""Carrying out a transition's effects in Teams, after the new state has been saved.

``Outbox.after(conversation, effects, texts)`` runs outside the user's turn (``Tasks.spawn``).
Preparation prompts fan out with bounded concurrency; each delivery is recorded in the bot's
delivery record at once (``bot.deliveries``), so a later run refreshes that card in place instead
of sending a second prompt. People Teams will not let us reach (403) are recorded as unreachable
and named to the leader on the status card in the conversation's chat, while everyone else still
gets their prompt. A finished conversation goes on to the development plan; an approval of the
plan, and a comment on it, to the plan's delivery (``bot.plan_delivery``).

The live card is kept current by coalesced edits (``bot.live_updates``) from the states this
process saved, checked against the store once a burst is over. Posting it is one of those
steps, so a post and the edits never overlap: the instance that applied a change asking for a
new copy (``PostLiveCard``: the start, "Vis samtalekortet igen", or the bot's own re-post) posts
it, sent ``once`` (a send Teams may have delivered is never repeated blindly):

- posted: its messages are recorded (``with_live``), and the messages of earlier copies are
  edited to say they are outdated;
- the outcome is unknown (Teams may have delivered it and then failed): a stray copy may exist,
  so the bot asks for a new copy itself (``ShowLiveCard(by_bot=True)``), which outdates the
  stray one, and posts that (``AUTO_REPOSTS`` times at most);
- failed: recorded (``with_live_lost``), and the leader is told, on the status cards and in
  their own 1:1 chat, with how to post it again; the messages of an earlier copy, if any, go on
  being edited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.conversations import Conversations
from bot.deliveries import (
    Deliveries,
    Delivery,
    Message,
    with_live,
    with_live_lost,
    with_prompt,
    with_status,
    with_unreachable,
)
from bot.identity import ChatRef
from bot.live_updates import SPACING, CardUpdates
from bot.messaging import Messaging
from bot.replies import card_message, text_message
from bot.tasks import Tasks
from bot.teams import DeliveryFailed, OutcomeUnknown, Unreachable
from cards.copies import stale_copy_card
from cards.live import live_card
from cards.preparation import preparation_card
from cards.status import keywords_card, status_card
from cards.texts import Texts, texts_for
from dialogs import effects as fx
from dialogs.concept import Concept
from dialogs.conversation import Conversation
from dialogs.events import ShowLiveCard

log = logging.getLogger("samtaleguide.outbox")
FANOUT = 4  # prompts in flight per conversation (the tenant's pacing limits the rate anyway)
AUTO_REPOSTS = 2  # new copies the bot posts itself after posts of unknown outcome, in a row
SYSTEM = "samtaleguide"


class PlanWork(Protocol):
    """What becomes of the development plan (``bot.plan_delivery.PlanDelivery``)."""

    async def deliver(self, conversation: Conversation, texts: Texts) -> object: ...

    async def approved(
        self, conversation: Conversation, effect: fx.PlanApproved, texts: Texts
    ) -> None: ...

    async def comment(
        self, conversation: Conversation, effect: fx.SendComment, texts: Texts
    ) -> None: ...


class Outbox:
    def __init__(
        self,
        *,
        concept: Concept,
        conversations: Conversations,
        deliveries: Deliveries,
        messaging: Messaging,
        tasks: Tasks,
        plans: PlanWork,
        clock: Callable[[], datetime],
        fanout: int = FANOUT,
        live_card_interval: float = SPACING,
    ) -> None:
        self.concept = concept
        self.conversations = conversations
        self.deliveries = deliveries
        self.messaging = messaging
        self.tasks = tasks
        self.plans = plans
        self.clock = clock
        self.fanout = fanout
        self.updates: CardUpdates[Conversation] = CardUpdates(
            self._show_live_card,
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
        # The language of the latest press, per card and burst (each settle forgets its own).
        self._live_texts: dict[str, Texts] = {}
        self._status_texts: dict[str, Texts] = {}
        self._live_shown: dict[str, tuple[int, tuple[Message, ...]]] = {}  # per burst
        self._post_wanted: dict[str, int] = {}  # copies this process is to post
        self._unknown_posts: dict[str, int] = {}  # posts of unknown outcome in a row

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
                wanted = max(conversation.live.copy, self._post_wanted.get(conversation.id, 0))
                self._post_wanted[conversation.id] = wanted
                self._live_texts[conversation.id] = texts
                await self.updates.request(conversation.id, conversation)
            elif isinstance(effect, fx.UpdateLiveCard):
                self._live_texts[conversation.id] = texts
                await self.updates.request(conversation.id, conversation)
            elif isinstance(effect, fx.UpdateStatusCard):
                self._status_texts[conversation.id] = texts
                await self.status_updates.request(conversation.id, conversation)
            elif isinstance(effect, fx.ConversationFinished):
                await self.plans.deliver(conversation, texts)
            elif isinstance(effect, fx.PlanApproved):
                await self.plans.approved(conversation, effect, texts)
            elif isinstance(effect, fx.SendComment):
                await self.plans.comment(conversation, effect, texts)

    async def share_keywords(self, conversation: Conversation, texts: Texts) -> None:
        """Everyone's keywords, for everyone taking part: in the chat when only they read it,
        else on each one's own preparation card (which then shows them)."""
        if conversation.onlookers:
            everyone = tuple(p.user_id for p in conversation.participants)
            await self.prompt(conversation, everyone, texts, refresh_only=True)
        else:
            await self.messaging.post_home(conversation.id, keywords_card(conversation, texts))

    # --- the live card ---------------------------------------------------------------------

    async def _show_live_card(self, conversation_id: str, conversation: Conversation) -> None:
        """Show ``conversation`` on the live card: post it, when this process is to post a newer
        copy than the one shown; else edit every message that shows it."""
        shown = self._live_shown.get(conversation_id)
        if shown is None:  # once per burst: where the card is does not change within one
            delivery = await self.deliveries.get(conversation_id)
            shown = (delivery.live_copy, delivery.live)
            self._live_shown[conversation_id] = shown
        copy, messages = shown
        texts = self._live_texts.get(conversation_id) or texts_for(None)
        card = live_card(conversation, self.concept, texts)
        if self._post_wanted.get(conversation_id, 0) > copy:
            await self._post_live_card(conversation, card, messages, texts)
            return
        if conversation.live.copy > copy:  # another instance posts the new copy: not ours
            self._live_shown.pop(conversation_id, None)
            return
        for message in messages:
            await self.messaging.teams.update(message.chat, message.activity_id, card_message(card))

    async def _post_live_card(
        self,
        conversation: Conversation,
        card: dict[str, object],
        earlier: tuple[Message, ...],
        texts: Texts,
    ) -> None:
        """Post copy ``conversation.live.copy`` of the live card; see the module."""
        cid, copy = conversation.id, conversation.live.copy
        self._post_wanted.pop(cid, None)
        posted, unknown, failed = [], False, False
        for chat in await self._live_chats(conversation):
            try:
                activity_id = await self.messaging.teams.send(chat, card_message(card), once=True)
                posted.append(Message(chat, activity_id))
            except OutcomeUnknown:
                unknown = True
            except DeliveryFailed as error:
                log.warning("live card not posted (%s)", error.status)
                failed = True
        if unknown and self._unknown_posts.get(cid, 0) < AUTO_REPOSTS:
            self._unknown_posts[cid] = self._unknown_posts.get(cid, 0) + 1
            log.warning("live card post of unknown outcome: posting a new copy")
            await self._outdate(tuple(posted), conversation, texts)
            await self._new_copy_by_bot(cid, copy)
            return
        self._unknown_posts.pop(cid, None)
        if posted and not (unknown or failed):
            self._live_shown[cid] = (copy, tuple(posted))
            await self.deliveries.change(cid, with_live(tuple(posted), copy))
            await self._outdate(earlier, conversation, texts)
        else:
            self._live_shown[cid] = (copy, (*earlier, *posted))
            if posted:  # shown in some chats only: they count, and the rest are told
                await self.deliveries.change(cid, with_live((*earlier, *posted), copy))
            await self.deliveries.change(cid, with_live_lost(copy))
            await self._tell_leader_live_lost(conversation, texts)
        self._status_texts[cid] = texts
        await self.status_updates.request(cid, conversation)

    async def _live_chats(self, conversation: Conversation) -> list[ChatRef]:
        """Where the live card goes: the chat it was set up in, or, for a MUS or LUS set up in
        the leader's 1:1 chat, each participant's 1:1 chat (the same card, edited in step)."""
        delivery = await self.deliveries.get(conversation.id)
        if delivery.home is not None and delivery.home.is_group:
            return [delivery.home]
        chats = []
        for p in conversation.participants:
            try:
                chat = await self.messaging.personal_chat(conversation.id, p.user_id)
            except DeliveryFailed as error:
                log.warning("no 1:1 chat for the live card (%s)", error.status)
                continue
            if chat is not None:
                chats.append(chat)
        return chats

    async def _new_copy_by_bot(self, conversation_id: str, copy: int) -> None:
        event = ShowLiveCard(SYSTEM, by_bot=True, request_id=f"copy-after-{copy}")
        try:
            changed = await self.conversations.change_as(conversation_id, event, self.clock())
        except Exception as error:  # it is finished meanwhile, or the store is down: logged
            log.warning("no new copy of the live card: %s", type(error).__name__)
            return
        # This runs inside the card's own update task: ask it for the post, do not wait for it.
        conversation = changed.conversation
        self._post_wanted[conversation_id] = conversation.live.copy
        self.updates.request(conversation_id, conversation)
        self._status_texts[conversation_id] = self._live_texts.get(conversation_id) or texts_for(
            None
        )
        self.status_updates.request(conversation_id, conversation)

    async def _outdate(
        self, messages: tuple[Message, ...], conversation: Conversation, texts: Texts
    ) -> None:
        """Edit the messages of replaced copies to say so (best effort: their buttons are
        refused anyway)."""
        card = card_message(stale_copy_card(conversation, texts))
        for message in messages:
            try:
                await self.messaging.teams.update(message.chat, message.activity_id, card)
            except DeliveryFailed as error:
                log.info("old live card not marked outdated (%s)", error.status)

    async def _tell_leader_live_lost(self, conversation: Conversation, texts: Texts) -> None:
        message = text_message(texts.get("live.lost", kind=conversation.kind))
        for person in conversation.participants:
            if person.leads:
                await self.messaging.send_personal_message(conversation.id, person.user_id, message)

    async def _settle_live_card(self, conversation_id: str, shown: Conversation) -> None:
        """After a burst: edit once more if another instance saved something newer."""
        self._live_shown.pop(conversation_id, None)
        stored = await self.conversations.get(conversation_id)
        if stored.version > shown.version:
            await self._show_live_card(conversation_id, stored)
            self._live_shown.pop(conversation_id, None)
        self._live_texts.pop(conversation_id, None)

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
        card = status_card(conversation, self.concept, texts)
        try:
            await self.messaging.teams.update(message.chat, message.activity_id, card_message(card))
        except DeliveryFailed as error:  # the pressed card cannot be edited: post it anew
            log.warning("status card not shown by an edit (%s); posting it", error.status)
            await self.show_status(conversation, message.chat, card)
            return
        await self.deliveries.change(conversation.id, with_status(message))

    async def _edit_status_cards(self, conversation_id: str, conversation: Conversation) -> None:
        delivery = await self.deliveries.get(conversation_id)
        texts = self._status_texts.get(conversation_id) or texts_for(None)
        card = status_card(
            conversation,
            self.concept,
            texts,
            unreachable=delivery.unreachable,
            live_lost=delivery.live_lost,
        )
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
        self._status_texts.pop(conversation_id, None)

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
            latest,
            self.concept,
            texts,
            message=message,
            success=False,
            unreachable=delivery.unreachable,
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
                kind = conversation.kind
                reminder = text_message(
                    texts.get("prep.reminder", kind=kind)
                    if self.concept.uses_keywords
                    else texts.get("prep.reminder_ready", kind=kind)
                )
                await self.messaging.teams.send(earlier.chat, reminder)
            except DeliveryFailed as error:
                log.warning("reminder not delivered (%s)", error.status)
        if never_reached:
            await self.prompt(conversation, never_reached, texts)
