"""What a flow gets: the press (who, where, which request, in which language, with what data)
and a small context of the services it may use. Built once in ``app.create_app``; flows never
see the SDK's ``TurnContext`` or the bot object.

A ``Route`` pairs a flow with how a refusal of its event is shown: ``refused(ctx, press, latest,
refusal)`` renders the card the person pressed again, from the state the event was refused
against (``None`` when there is none: a conversation not made yet, or a refusal raised by the
flow itself rather than by the change), with the refusal on top and what they typed kept. It is called only for people who take part in that conversation; everyone else, and a
route without one, gets a plain message card.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.conversations import Changed, Conversations, resolve_actor
from bot.deliveries import Deliveries
from bot.figures import Figures
from bot.identity import ChatRef
from bot.limits import SetupBudget
from bot.outbox import Outbox
from bot.payload import id_field, int_field
from bot.plan_delivery import PlanDelivery
from bot.teams import Teams
from bot.year_index import YearIndex
from cards import verbs
from cards.common import Card
from cards.texts import Texts
from dialogs.access import member
from dialogs.concept import Concept
from dialogs.conversation import Conversation, Person
from dialogs.errors import DomainError
from dialogs.events import Event


@dataclass(frozen=True)
class Press:
    """One card press or text command, as Teams sent it (identity from the activity only)."""

    person: Person
    chat: ChatRef
    request_id: str
    texts: Texts
    data: dict[str, Any]
    message_id: str = ""  # the message whose card was pressed (to edit it for everyone)
    bot_name: str = "Samtaleguide"  # the bot's name as this chat shows it

    @property
    def start(self) -> int:
        """Where a paged card is to start (``from`` in the data, 0-based; 0 when absent)."""
        return max(int_field(self.data, verbs.DATA_FROM, default=0) or 0, 0)


@dataclass(frozen=True)
class Context:
    concept: Concept
    conversations: Conversations
    deliveries: Deliveries
    outbox: Outbox
    plans: PlanDelivery
    teams: Teams
    clock: Callable[[], datetime]
    limits: SetupBudget
    index: YearIndex
    figures: Figures


Flow = Callable[[Context, Press], Awaitable[Card]]
RefusalView = Callable[[Context, Press, Conversation | None, DomainError], Awaitable[Card]]
Command = Callable[[Context, Press, str], Awaitable[Card | list[Card] | str | None]]


@dataclass(frozen=True)
class Route:
    run: Flow
    refused: RefusalView | None = None


async def read_as_member(ctx: Context, press: Press) -> tuple[Conversation, str]:
    """The conversation the press names (``conversation`` in its data) and the presser's
    participant id on it; refused (``dialogs.access.member``) for anyone who does not take part
    in it now, so nobody else reads its content."""
    conversation = await ctx.conversations.get(id_field(press.data, verbs.DATA_CONVERSATION))
    actor = resolve_actor(conversation, press.person)
    member(conversation, actor)
    return conversation, actor


async def apply_press(
    ctx: Context, press: Press, conversation_id: str, make_event: Callable[[str], Event]
) -> Changed:
    """The press's event (``make_event(actor)``) applied to the conversation through the one
    change path, and its effects carried out after the turn has answered."""
    changed = await ctx.conversations.change(conversation_id, press.person, make_event, ctx.clock())
    ctx.outbox.after(changed.conversation, changed.effects, press.texts)
    return changed
