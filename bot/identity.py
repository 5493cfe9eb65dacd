"""Who is acting, and in which chat: read from the activity Teams sent, never from card data."""

from __future__ import annotations

from botbuilder.schema import Activity

from dialogs.conversation import ChatRef, Person

GROUP_TYPES = {"groupChat", "channel"}


def actor_of(activity: Activity) -> Person:
    sender = activity.from_property
    if sender is None or not sender.id:
        raise ValueError("activity without a sender")
    return Person(
        user_id=sender.id,
        name=sender.name or "",
        aad_object_id=getattr(sender, "aad_object_id", None) or "",
    )


def tenant_of(activity: Activity) -> str:
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None) if conversation else None
    if tenant:
        return str(tenant)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    found = (data.get("tenant") or {}).get("id", "")
    return str(found) if found else ""


def chat_of(activity: Activity) -> ChatRef:
    conversation = activity.conversation
    if conversation is None or not conversation.id or not activity.service_url:
        raise ValueError("activity without a conversation")
    return ChatRef(
        conversation_id=conversation.id,
        service_url=activity.service_url,
        channel_id=activity.channel_id or "msteams",
        tenant_id=tenant_of(activity),
        is_group=bool(conversation.is_group)
        or (conversation.conversation_type or "") in GROUP_TYPES,
        bot_id=activity.recipient.id if activity.recipient and activity.recipient.id else "",
    )
