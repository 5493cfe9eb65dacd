"""Who is acting, and in which chat: read from the activity Teams sent, never from card data.

``ChatRef`` is where the bot can reach a chat again (a group, meeting or 1:1 chat): a Teams
address, so it lives here in ``bot/`` and in the bot's delivery records, never in the domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from microsoft_agents.activity import Activity

from dialogs.conversation import Person

GROUP_TYPES = {"groupChat", "channel"}
MAX_ID = 512  # Teams ids are far shorter; longer ones are refused, never stored


@dataclass(frozen=True)
class ChatRef:
    """Where the bot can reach a chat again (a group, meeting or 1:1 chat)."""

    conversation_id: str
    service_url: str
    channel_id: str = "msteams"
    tenant_id: str = ""
    is_group: bool = False
    bot_id: str = ""


class NotAnActivity(ValueError):
    """The activity lacks what every activity we act on has (a sender, a conversation)."""


def _bounded(value: str | None, what: str) -> str:
    text = value or ""
    if len(text) > MAX_ID:
        raise NotAnActivity(f"{what} too long")
    return text


def is_bot(user_id: str) -> bool:
    """Teams' ids of bots start with ``28:`` (people's with ``29:``, or ``8:orgid:``)."""
    return user_id.startswith("28:")


def actor_of(activity: Activity) -> Person:
    sender = activity.from_property
    if sender is None or not sender.id:
        raise NotAnActivity("activity without a sender")
    return Person(
        user_id=_bounded(sender.id, "sender id"),
        name=sender.name or "",
        aad_object_id=_bounded(sender.aad_object_id, "sender object id"),
    )


def tenant_ids(activity: Activity) -> set[str]:
    """Every tenant id the activity names: ``conversation.tenantId`` and
    ``channelData.tenant.id`` (empty values left out)."""
    found = set()
    conversation = activity.conversation
    if conversation is not None and conversation.tenant_id:
        found.add(str(conversation.tenant_id))
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant")
    if isinstance(tenant, dict) and tenant.get("id"):
        found.add(str(tenant["id"]))
    return found


def tenant_of(activity: Activity) -> str:
    """The activity's tenant (``""`` when it names none); see ``tenant_ids``."""
    ids = tenant_ids(activity)
    return next(iter(ids)) if len(ids) == 1 else ""


def chat_of(activity: Activity) -> ChatRef:
    conversation = activity.conversation
    if conversation is None or not conversation.id or not activity.service_url:
        raise NotAnActivity("activity without a conversation")
    return ChatRef(
        conversation_id=_bounded(conversation.id, "conversation id"),
        service_url=_bounded(activity.service_url, "service url"),
        channel_id=str(activity.channel_id or "msteams"),
        tenant_id=tenant_of(activity),
        is_group=bool(conversation.is_group)
        or (conversation.conversation_type or "") in GROUP_TYPES,
        bot_id=_bounded(activity.recipient.id if activity.recipient else "", "bot id"),
    )
