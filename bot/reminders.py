"""Follow-up reminders: on an agreement's follow-up day, its responsible person and the leader get
a reminder in their 1:1 chat, with buttons to mark it done or move the date. And the plan's
approval: a week after a version was written, if someone has neither approved nor commented on
it, the leader is reminded once (``ClaimApprovalReminder``), with who.

State lives on the conversations themselves, so reminders survive restarts. Each reminder is
claimed with a conditional save (``ClaimReminder`` under the conversation's ETag) before it is
sent: with several bot instances scanning at the same time, exactly one wins each claim and sends.
A reminder whose delivery fails after the claim is logged, not re-sent (at most once).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from bot.conversations import PREFIX, Conversations, Refused
from bot.messaging import Messaging
from cards.follow_up import follow_up_card
from cards.plan import approval_reminder_card
from cards.texts import texts_for
from dialogs import events as ev
from dialogs.conversation import Conversation

SYSTEM = "samtaleguide"


class FollowUpReminders:
    def __init__(
        self,
        conversations: Conversations,
        messaging: Messaging,
        clock: Callable[[], datetime],
    ) -> None:
        self.conversations = conversations
        self.messaging = messaging
        self.clock = clock

    async def run_once(self, today: date) -> int:
        """Claim and send every reminder due on or before ``today``; returns how many were sent."""
        sent = 0
        day = today.isoformat()
        for key in await self.conversations.store.keys(PREFIX):
            conversation, _ = await self.conversations.store.load(key)
            if conversation is None or conversation.phase != "closed":
                continue
            for follow_up in conversation.follow_ups:
                if follow_up.done_at or follow_up.reminded_on or follow_up.due > day:
                    continue
                sent += await self._claim_and_send(conversation.id, follow_up.agreement_id, day)
            if conversation.approval_reminder_due(today):  # the claim checks it again, atomically
                sent += await self._remind_approval(conversation, day)
        return sent

    async def _remind_approval(self, conversation: Conversation, day: str) -> int:
        event = ev.ClaimApprovalReminder(SYSTEM, version=conversation.plan_version, day=day)
        try:
            claimed = await self.conversations.change_as(conversation.id, event, self.clock())
        except Refused:
            return 0  # claimed elsewhere, answered, or a newer version meanwhile
        latest = claimed.conversation
        card = approval_reminder_card(latest, texts_for(None))
        await self.messaging.send_personal(latest.id, latest.leader.user_id, card)
        return 1

    async def _claim_and_send(self, conversation_id: str, agreement_id: str, day: str) -> int:
        event = ev.ClaimReminder(SYSTEM, agreement_id=agreement_id, day=day)
        try:
            claimed = await self.conversations.change_as(conversation_id, event, self.clock())
        except Refused:
            return 0  # another instance claimed it first, or it was done or moved meanwhile
        await self._send(claimed.conversation, agreement_id)
        return 1

    async def _send(self, conversation: Conversation, agreement_id: str) -> None:
        agreement = next(a for a in conversation.agreements if a.id == agreement_id)
        texts = texts_for(None)
        recipients = dict.fromkeys(
            uid for uid in (agreement.responsible_id, conversation.leader.user_id) if uid
        )
        card = follow_up_card(conversation, self.conversations.concept, agreement, texts)
        for user_id in recipients:
            await self.messaging.send_personal(conversation.id, user_id, card)
