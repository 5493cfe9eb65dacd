"""Strict parsing of ``adaptiveCard/action`` invoke values and card input data.

Everything here distrusts its input: wrong types, missing fields, oversize values and unknown
shapes raise ``BadPayload``, which the bot answers with a clear card (``BadPayload.text``) and no
state change.

Numbers are written with the digits 0–9 only. Python's ``str.isdigit()`` is true for "²", "³",
"٣" and "３" too, and ``int()`` takes some of those and refuses others, so a number field holding
them is refused (``NotANumber``), and so is any card value made of nothing but such digits: no
card input sends them, and code that checks ``isdigit()`` before ``int()`` would fail on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_VERB = 64
MAX_ID = 128
_NUMBER = re.compile(r"-?[0-9]{1,9}")


class BadPayload(ValueError):
    """The card sent something that is not a well-formed action for us."""

    text = "error.bad_request"  # the refusal shown on the card (a key of cards/texts)


class NotANumber(BadPayload):
    """A number that is not written with the digits 0–9 (or is too long, or not a number)."""

    text = "error.not_a_number"


@dataclass(frozen=True)
class CardAction:
    verb: str
    data: dict[str, Any]


def parse_action(value: Any) -> CardAction:
    if not isinstance(value, dict):
        raise BadPayload("value is not an object")
    action = value.get("action")
    if not isinstance(action, dict) or action.get("type") != "Action.Execute":
        raise BadPayload("not an Action.Execute")
    verb = action.get("verb")
    if not isinstance(verb, str) or not 0 < len(verb) <= MAX_VERB:
        raise BadPayload("bad verb")
    data = action.get("data") or {}
    if not isinstance(data, dict):
        raise BadPayload("data is not an object")
    if any(isinstance(v, str) and v.isdigit() and not v.isascii() for v in data.values()):
        raise NotANumber("a value of digits other than 0-9")
    return CardAction(verb=verb, data=data)


def text_field(data: dict[str, Any], name: str, *, default: str = "") -> str:
    """A text input: must be a string when present (length is checked by the domain)."""
    value = data.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadPayload(f"{name} is not text")
    return str(value)


def id_field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
        raise BadPayload(f"{name} is missing")
    return value


def int_field(data: dict[str, Any], name: str, *, default: int | None = None) -> int | None:
    value = data.get(name, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise NotANumber(f"{name} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return int(value)
    raise NotANumber(f"{name} is not a number of digits 0-9")


def bool_field(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if isinstance(value, bool):
        return value
    if value in ("true", "false", "", None):
        return value == "true"
    raise BadPayload(f"{name} is not a toggle")


def choices_field(data: dict[str, Any], name: str, *, limit: int = 100) -> tuple[str, ...]:
    """A multi-select ChoiceSet: one comma-joined string (or a list); empty parts are refused."""
    value = data.get(name, "")
    if value in ("", None):
        return ()
    parts: list[Any]
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list):
        parts = value
    else:
        raise BadPayload(f"{name} is not a choice")
    if len(parts) > limit or not all(isinstance(p, str) and p.strip() for p in parts):
        raise BadPayload(f"{name} has malformed choices")
    return tuple(p.strip() for p in parts)


def toggles_field(
    data: dict[str, Any], prefix: str, *, on: str = "true", off: str = "false", limit: int = 100
) -> tuple[str, ...]:
    """A group of ``Input.Toggle`` whose ids are ``prefix`` + a name: the names switched on.

    Each toggle must send exactly ``on`` or ``off`` (or a JSON boolean); anything else, more than
    ``limit`` toggles or an empty or overlong name is refused. Whether a name is a known one is
    for the domain to say."""
    names = [key for key in data if key.startswith(prefix)]
    if len(names) > limit:
        raise BadPayload(f"too many {prefix}* toggles")
    switched_on: list[str] = []
    for key in names:
        name = key[len(prefix) :]
        if not 0 < len(name) <= MAX_ID or name != name.strip():
            raise BadPayload(f"{prefix}* toggle with a malformed name")
        value = data[key]
        if value is True or value == on:
            switched_on.append(name)
        elif value is not False and value != off:
            raise BadPayload(f"{key} is not a toggle")
    return tuple(switched_on)
