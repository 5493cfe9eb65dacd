"""Cleaning and bounding of user-typed text before it enters the aggregate.

``clean`` normalises to NFC, removes control characters (keeping newlines and tabs in multi-line
fields), characters XML 1.0 forbids, bidirectional controls (the embeddings, overrides and
isolates U+202A–U+202E and U+2066–U+2069, and the marks U+200E, U+200F and U+061C: they can make
text read differently from how it is stored) and noncharacters, trims, and then refuses (never
truncates) text that is missing or longer than its documented limit.

``clean_name`` is the same cleaning for names that come from Teams (display names): nobody typed
them into a card and nobody can shorten them, so a name is cut to its limit (256, Entra ID's
longest display name) instead of refused.
"""

from __future__ import annotations

import re
import unicodedata

from dialogs.errors import InvalidField

LIMITS: dict[str, int] = {
    "workplace": 120,
    "wording": 500,
    "extra_question": 500,
    "focus_points": 1000,
    "prep_note": 2000,
    "note": 2000,
    "what": 500,
    "when": 200,
    "who": 200,
    "responsible": 200,
    "value": 500,
    "name": 256,  # Entra ID's longest display name; names are cut, never refused (clean_name)
    "confidentiality": 1000,
    "shared_with": 200,
    "comment": 500,
}

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
_BLANK_LINES = re.compile(r"\n{3,}")


def _allowed(ch: str, multiline: bool) -> bool:
    if ch in "\n\t":
        return multiline
    if ch in _BIDI:
        return False
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cs", "Co"):
        return False
    code = ord(ch)
    return not (0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE)


def _cleaned(value: str, multiline: bool) -> str:
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = "".join(ch for ch in text if _allowed(ch, multiline))
    return _BLANK_LINES.sub("\n\n", text).strip()


def visible(value: str) -> str:
    """``value`` without the characters ``clean`` removes (bidirectional controls, control
    characters, noncharacters), but neither trimmed nor bounded: what a person typed, put back
    into a form after a refusal."""
    return "".join(ch for ch in value if _allowed(ch, True))


def clean_name(value: object) -> str:
    """A name from Teams, cleaned as ``clean`` does (one line) and cut to ``LIMITS["name"]``
    characters; ``""`` for anything that is not text. Never raises."""
    if not isinstance(value, str):
        return ""
    return _cleaned(value, False)[: LIMITS["name"]].rstrip()


def clean(
    value: object,
    field: str,
    *,
    required: bool = False,
    multiline: bool = False,
    limit: int | None = None,
) -> str:
    """Return ``value`` cleaned, or raise ``InvalidField`` naming ``field``. ``limit`` (for a
    field the concept declares) replaces the field's entry in ``LIMITS``."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidField(f"{field} is not text", field=field, reason="type")
    text = _cleaned(value, multiline)
    if required and not text:
        raise InvalidField(f"{field} is required", field=field, reason="required")
    limit = LIMITS[field] if limit is None else limit
    if len(text) > limit:
        raise InvalidField(f"{field} is too long", field=field, reason="too_long", limit=limit)
    return text
