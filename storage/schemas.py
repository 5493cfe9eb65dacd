"""The stored conversation's codec, with the migration of every earlier schema version.

Schema versions of ``dialogs.conversation.Conversation``:

1. The first stored form. It also held where the bot reached people: ``chat`` (the chat it was
   set up in), each participant's ``prompt_chat``, ``prompt_activity_id`` and ``unreachable``,
   and the live card's ``card_chat`` and ``card_activity_id``.
2. Teams addresses and message ids moved to the bot's own delivery record
   (``bot/deliveries.py``); the conversation keeps only ``place``, an opaque key of the chat it
   was set up in. Migrating from 1 derives ``place`` from ``chat`` and drops the Teams fields;
   the bot then no longer knows the messages it sent before (a new live card or prompt is sent
   where one is needed; see ``docs/decisions.md``).
3. Agreements follow the concept's field list (issue 13): an agreement's ``when``, ``who`` and
   ``value`` moved into ``details`` (the concept's other fields, by id; empty ones are left
   out), next to the new ``member_id`` and ``shared_with``; the conversation gained
   ``no_goals``, ``comments``, ``plan_written_at`` and ``approval_reminded`` (with defaults).
   Migrating from 2 moves the three texts of every agreement, the conversation's own and those
   of the "opfølgning fra sidst" snapshot.
"""

from __future__ import annotations

from typing import Any

from dialogs.conversation import SCHEMA_VERSION, Conversation
from storage.keys import place_of
from storage.serialization import Codec


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    chat = raw.pop("chat", None)
    chat_id = chat.get("conversation_id") if isinstance(chat, dict) else None
    raw["place"] = place_of(chat_id) if isinstance(chat_id, str) and chat_id else ""
    for participant in raw.get("participants") or ():
        if isinstance(participant, dict):
            for name in ("prompt_chat", "prompt_activity_id", "unreachable"):
                participant.pop(name, None)
    live = raw.get("live")
    if isinstance(live, dict):
        live.pop("card_chat", None)
        live.pop("card_activity_id", None)
    return raw


_MOVED_TO_DETAILS = ("when", "who", "value")


def _agreement_v2_to_v3(agreement: Any) -> None:
    if not isinstance(agreement, dict):
        return
    details = agreement.get("details")
    details = dict(details) if isinstance(details, dict) else {}
    for name in _MOVED_TO_DETAILS:
        value = agreement.pop(name, None)
        if isinstance(value, str) and value:
            details[name] = value
    agreement["details"] = details


def _v2_to_v3(raw: dict[str, Any]) -> dict[str, Any]:
    for agreement in raw.get("agreements") or ():
        _agreement_v2_to_v3(agreement)
    previous = raw.get("previous")
    if isinstance(previous, dict):
        for agreement in previous.get("agreements") or ():
            _agreement_v2_to_v3(agreement)
    return raw


CONVERSATION = Codec(
    Conversation, SCHEMA_VERSION, {1: _v1_to_v2, 2: _v2_to_v3}, name="conversation"
)
