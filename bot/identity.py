"""Who is acting, and in which chat: read from the activity Teams sent, never from card data.

``ChatRef`` is where the bot can reach a chat again (a group, meeting or 1:1 chat): a Teams
address, so it lives here in ``bot/`` and in the bot's delivery records, never in the domain.

Ids the bot may keep (the activity's and its reply-to id, the service URL, the channel, the
conversation, sender, recipient and member ids, the tenant ids) are at most ``MAX_ID``
characters: ``oversized_ids`` names the first that is longer, and the endpoint refuses such an
activity (400) before anything runs. Names are never refused: ``display_name`` cleans a name
Teams gives (no control or bidirectional characters) and cuts it to Entra's 256 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import Activity, ChannelAccount

from dialogs.conversation import Person
from dialogs.text import clean_name

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


def display_name(raw: str | None) -> str:
    """A name as Teams gives it (a person's display name), fit to keep and show: cleaned like
    typed text and cut to 256 characters (Entra's limit), never refused."""
    return clean_name(raw or "")


def person_of(account: ChannelAccount) -> Person:
    """A chat member as an activity names them (sender, members added)."""
    return Person(
        user_id=_bounded(account.id, "member id"),
        name=display_name(account.name),
        aad_object_id=_bounded(account.aad_object_id, "member object id"),
    )


def _account_ids(what: str, account: ChannelAccount | None) -> list[tuple[str, Any]]:
    if account is None:
        return []
    return [(f"{what} id", account.id), (f"{what} object id", account.aad_object_id)]


def oversized_ids(activity: Activity) -> str | None:
    """What the first id over ``MAX_ID`` characters is (``None`` when all fit)."""
    conversation = activity.conversation
    fields: list[tuple[str, Any]] = [
        ("activity id", activity.id),
        ("reply-to id", activity.reply_to_id),
        ("service url", activity.service_url),
        ("channel id", activity.channel_id),
        ("conversation id", conversation.id if conversation else None),
        ("conversation tenant id", conversation.tenant_id if conversation else None),
        *_account_ids("sender", activity.from_property),
        *_account_ids("recipient", activity.recipient),
    ]
    for member in (*(activity.members_added or ()), *(activity.members_removed or ())):
        fields += _account_ids("member", member)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant")
    if isinstance(tenant, dict):
        fields.append(("channel data tenant id", tenant.get("id")))
    for what, value in fields:
        if value is not None and len(str(value)) > MAX_ID:
            return what
    return None


def is_bot(user_id: str) -> bool:
    """Teams' ids of bots start with ``28:`` (people's with ``29:``, or ``8:orgid:``)."""
    return user_id.startswith("28:")


def actor_of(activity: Activity) -> Person:
    sender = activity.from_property
    if sender is None or not sender.id:
        raise NotAnActivity("activity without a sender")
    return person_of(sender)


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
