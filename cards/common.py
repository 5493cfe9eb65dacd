"""Small helpers shared by the card builders: elements, actions and safe rendering of user text."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cards.texts import Texts

Card = dict[str, Any]
Element = dict[str, Any]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|>~<])")
_LIST_START = re.compile(r"^(\s*)(\d+)\.(\s)", re.MULTILINE)
_DASH_START = re.compile(r"^(\s*)-(\s)", re.MULTILINE)


_ANY_MARKUP = re.compile(r"[\\`*_{}\[\]()#+!|>~<]|^\s*(?:\d+\.|-)\s", re.MULTILINE)


def plain(text: str) -> str:
    """Escape Markdown so user text renders as typed and can never inject links or layout."""
    if _ANY_MARKUP.search(text) is None:  # most text has nothing to escape
        return text
    escaped = _MARKDOWN.sub(r"\\\1", text)
    escaped = _LIST_START.sub(r"\1\2\\.\3", escaped)
    return _DASH_START.sub(r"\1\\-\2", escaped)


_ORDINAL = re.compile(r"^(\d+)\. ")


def safe_date(value: str) -> str:
    """``15. december 2026`` would render as a numbered list item in a card: escape the dot."""
    return _ORDINAL.sub(r"\1\\. ", value)


def written_date(texts: Texts, day: str) -> str:
    """An ISO date (``2027-01-15``) written out in the person's language, safe for a card;
    ``ValueError`` for text that is not one."""
    return safe_date(texts.date(date.fromisoformat(day)))


def cut(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters with "…" at the end when longer (not escaped)."""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def card(body: list[Element], actions: list[Element] | None = None, **extra: Any) -> Card:
    result: Card = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if actions:
        result["actions"] = actions
    result.update(extra)
    return result


def text(value: str, **props: Any) -> Element:
    return {"type": "TextBlock", "text": value, "wrap": True, **props}


def heading(value: str) -> Element:
    return text(value, size="Large", weight="Bolder", style="heading")


def subheading(value: str) -> Element:
    return text(value, size="Medium", weight="Bolder", style="heading")


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]}


def execute(title: str, verb: str, data: dict[str, Any] | None = None, **props: Any) -> Element:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data or {}, **props}


def open_url(title: str, url: str) -> Element:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


NOTICE_BELOW = "notice-below"  # the notice repeated beside the buttons, where the person pressed


def notice(message: str, *, error: bool = True, element_id: str = "notice") -> Element:
    """A visible banner on a card: a refusal or a confirmation (on top, and on cards with a form
    also right above the buttons, where the person pressed)."""
    return {
        "type": "Container",
        "style": "attention" if error else "good",
        "items": [text(message, weight="Bolder")],
        "id": element_id,
    }
