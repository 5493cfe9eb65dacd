"""Shared bits about the conversation that several cards show: kind, perspective marks, names."""

from __future__ import annotations

from datetime import datetime

from cards.common import cut, plain, safe_date
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


SHORT_NAME = 40
MANY_PEOPLE = 12


def short(name: str) -> str:
    """A name as cards show it: escaped, and cut at 40 characters (the plan has it in full)."""
    return plain(cut(name, SHORT_NAME))


def names(conversation: Conversation, texts: Texts | None = None) -> str:
    """Everyone's names, or for a big group just how many they are."""
    if texts is not None and len(conversation.participants) > MANY_PEOPLE:
        return texts.get("live.people", count=len(conversation.participants))
    return ", ".join(short(p.name) for p in conversation.participants)


def when(conversation: Conversation, texts: Texts) -> str:
    if not conversation.setup.starts_at:
        return texts.get("prep.not_scheduled")
    return safe_date(texts.moment(datetime.fromisoformat(conversation.setup.starts_at)))


def form(conversation: Conversation, texts: Texts) -> str:
    value = texts.get(f"variant.{conversation.setup.variant}")
    if conversation.setup.walk_and_talk:
        value += f", {texts.get('prep.walk')}"
    return value
