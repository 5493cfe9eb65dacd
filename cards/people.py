"""Shared bits about the conversation that several cards show: kind, perspective marks, names."""

from __future__ import annotations

from datetime import datetime

from cards.common import plain
from cards.texts import Texts
from dialogs.concept import Perspective
from dialogs.conversation import Conversation

_COLOUR_MARKS = {
    "violet": "🟣",
    "blå": "🔵",
    "orange": "🟠",
    "grøn": "🟢",
    "gul": "🟡",
    "rød": "🔴",
}


def perspective_title(perspective: Perspective) -> str:
    """``🟣 Adfærd``: Adaptive Cards have no free colours, so the colour travels as a mark."""
    mark = _COLOUR_MARKS.get(perspective.colour_name, "⬤")
    return f"{mark} {perspective.name}"


def names(conversation: Conversation) -> str:
    return ", ".join(plain(p.name) for p in conversation.participants)


def when(conversation: Conversation, texts: Texts) -> str:
    if not conversation.setup.starts_at:
        return texts.get("prep.not_scheduled")
    return texts.moment(datetime.fromisoformat(conversation.setup.starts_at))


def form(conversation: Conversation, texts: Texts) -> str:
    value = texts.get(f"variant.{conversation.setup.variant}")
    if conversation.setup.walk_and_talk:
        value += f", {texts.get('prep.walk')}"
    return value
