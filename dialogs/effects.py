"""Effects: what the bot must do in Teams after a transition's new state has been saved."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Effect:
    pass


@dataclass(frozen=True)
class SendPrompts(Effect):
    """Send the preparation card to these participants' 1:1 chats (refreshing it in place where
    it was delivered before)."""

    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class RefreshPrompts(Effect):
    """Update the preparation cards of these participants in place, where one was delivered
    (e.g. locked once the meeting starts); nobody gets a new message."""

    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class SendReminders(Effect):
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class PostKeywordSummary(Effect):
    """Tell everyone in the conversation's chat who chose which keywords."""


@dataclass(frozen=True)
class PostLiveCard(Effect):
    pass


@dataclass(frozen=True)
class UpdateLiveCard(Effect):
    pass


@dataclass(frozen=True)
class ConversationFinished(Effect):
    """The conversation closed: hand it on to the development plan."""


@dataclass(frozen=True)
class UpdateStatusCard(Effect):
    """The preparation status changed: edit the status card where it is shown."""


@dataclass(frozen=True)
class PlanApproved(Effect):
    """``user_id`` approved ``version``; ``everyone``: with that, everyone has. The plan's
    documents of that version show it on their first page from now on."""

    version: int
    user_id: str
    everyone: bool = False


@dataclass(frozen=True)
class SendComment(Effect):
    """Deliver a participant's comment on ``version`` of the plan to the leader's 1:1 chat."""

    user_id: str
    version: int
    text: str
