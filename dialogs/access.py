"""Who may act on a conversation: pure checks shared by the transitions and the bot's read-only
views (status, plan links). Each returns the acting participant or raises a typed refusal."""

from __future__ import annotations

from dialogs.conversation import Conversation, Participant
from dialogs.errors import NotParticipant, NotPermitted


def member(conversation: Conversation, actor: str) -> Participant:
    """Any current participant (leader, co-facilitator or participant; not one who has left the
    conversation's chat)."""
    person = conversation.participant(actor)
    if person is None or person.left:
        raise NotParticipant("not a participant")
    return person


def leader(conversation: Conversation, actor: str) -> Participant:
    person = member(conversation, actor)
    if person.role != "leader":
        raise NotPermitted("only the leader", needs="leader")
    return person


def facilitator(conversation: Conversation, actor: str) -> Participant:
    """The leader or the co-facilitator."""
    person = member(conversation, actor)
    if not person.leads:
        raise NotPermitted("only the leader or co-facilitator", needs="facilitator")
    return person
