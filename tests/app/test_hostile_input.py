"""Hundreds of generated malformed and hostile activities and card payloads, over HTTP.

Every one gets an answer below 500 with no stack trace in anything sent to a user, and when the
bot refuses, the stored conversation is exactly as before. Cases are generated deterministically
from valid presses by mutating one thing at a time.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator
from typing import Any

from cards import verbs
from tests.app.harness import BotServer, Chat, Client, card_text, user
from tests.app.test_live_flow import EVERYONE, LEADER, MEMBERS, agreement, prepared_grus
from tests.support.connector import ConnectorStandIn

STRANGER = user(66, "Fremmed")
HOSTILE_TEXTS = [
    "x" * 100_000,
    "\x00\x01\x02\x1b[31m\x7f",
    "\ud800\udfff",
    "\ufffe\uffff",
    "‮gnirts desrever‬",
    "[klik](http://evil.example) ![img](http://evil.example/x.png)",
    "<script>alert(1)</script>",
    '{"$schema": "x"}',
    "😀" * 3000,
    "Æblegrød, ødemark og å",
]
WRONG_TYPES: list[Any] = [None, 7, 3.5, True, [], ["a", "b"], {"nested": {"deep": 1}}]
VERB_DATA: dict[str, dict[str, Any]] = {
    verbs.HELP: {},
    verbs.SETUP_OPEN: {"kind": "GRUS"},
    verbs.SETUP_SAVE: {"kind": "GRUS", "participants": "", "date": "2099-01-01"},
    verbs.PREP_KEYWORDS: {"keywords": "Motivation,Sparring,Nærvær"},
    verbs.PREP_EDIT: {},
    verbs.PREP_REMIND: {},
    verbs.PREP_SHARE: {},
    verbs.PREP_STATUS: {},
    verbs.LIVE_START: {},
    verbs.LIVE_NEXT: {"position": 0},
    verbs.LIVE_PREVIOUS: {"position": 1},
    verbs.LIVE_GOTO: {"goto.to": "3"},
    verbs.LIVE_REFRESH: {},
    verbs.KEYWORD_MARK: {"owner": LEADER.id, "keyword": "Motivation", "covered": True},
    verbs.NOTE_ADD: {"note.perspective": "adfaerd", "note.text": "En note"},
    verbs.AGREEMENT_ADD: agreement(1),
    verbs.AGREEMENT_EDIT: {"agreement": "a1", **agreement(2)},
    verbs.AGREEMENT_REMOVE: {"agreement": "a1"},
    verbs.LIVE_FINISH: {"finish.confidentiality": "", "finish.next_follow_up": ""},
    verbs.FOLLOWUP_DONE: {"agreement": "a1"},
    verbs.FOLLOWUP_MOVE: {"agreement": "a1", "followup.due": "2099-01-01"},
}


def press_cases(conversation_id: str) -> Iterator[tuple[str, Any, Any]]:
    """(name, sender, invoke value) for presses mutated one field at a time."""
    for verb, data in VERB_DATA.items():
        base = {"conversation": conversation_id, **data}
        yield f"{verb} by a stranger", STRANGER, _value(verb, base)
        yield (
            f"{verb} on another conversation",
            MEMBERS[0],
            _value(verb, {**base, "conversation": "0000000000000000-20990101000000-abcdef"}),
        )
        yield (
            f"{verb} on a path",
            MEMBERS[0],
            _value(verb, {**base, "conversation": "../../../etc/passwd"}),
        )
        yield (
            f"{verb} without conversation",
            MEMBERS[0],
            _value(verb, {k: v for k, v in base.items() if k != "conversation"}),
        )
        for field, wrong in itertools.product(base, WRONG_TYPES):
            yield (
                f"{verb}.{field} = {wrong!r:.20}",
                MEMBERS[0],
                _value(verb, {**base, field: wrong}),
            )
        for field, text in itertools.product(
            [f for f in base if f != "conversation"][:3], HOSTILE_TEXTS[:4]
        ):
            yield f"{verb}.{field} hostile text", MEMBERS[0], _value(verb, {**base, field: text})
    yield (
        "unknown verb",
        MEMBERS[0],
        _value("admin.delete_everything", {"conversation": conversation_id}),
    )
    yield "verb too long", MEMBERS[0], _value("x" * 10_000, {})
    for wrong in WRONG_TYPES:
        yield f"value = {wrong!r:.20}", MEMBERS[0], wrong
        yield f"action = {wrong!r:.20}", MEMBERS[0], {"action": wrong}
        yield (
            f"verb = {wrong!r:.20}",
            MEMBERS[0],
            {"action": {"type": "Action.Execute", "verb": wrong}},
        )
        yield (
            f"data = {wrong!r:.20}",
            MEMBERS[0],
            {"action": {"type": "Action.Execute", "verb": verbs.NOTE_ADD, "data": wrong}},
        )
    yield "Action.Submit shape", MEMBERS[0], {"action": {"type": "Action.Submit", "data": {}}}


def _value(verb: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}


def activity_cases(chat: Chat) -> Iterator[tuple[str, dict[str, Any]]]:
    valid = chat.activity(MEMBERS[0], type="message", text="hjælp")
    for field in (
        "from",
        "conversation",
        "recipient",
        "serviceUrl",
        "channelId",
        "id",
        "text",
        "entities",
        "channelData",
        "locale",
    ):
        for wrong in WRONG_TYPES:
            broken = copy.deepcopy(valid)
            broken[field] = wrong
            yield f"message.{field} = {wrong!r:.20}", broken
        missing = copy.deepcopy(valid)
        missing.pop(field, None)
        yield f"message without {field}", missing
    for text in HOSTILE_TEXTS:
        yield f"message text {text[:10]!r}", {**valid, "text": text}
    for kind in (
        "invoke",
        "event",
        "messageReaction",
        "installationUpdate",
        "typing",
        "endOfConversation",
        "x" * 500,
    ):
        yield f"type {kind[:20]}", {**valid, "type": kind}
    yield "invoke without name", {**valid, "type": "invoke", "value": {}}
    yield "invoke with other name", {**valid, "type": "invoke", "name": "task/fetch", "value": {}}
    yield (
        "conversationUpdate with junk members",
        {**valid, "type": "conversationUpdate", "membersAdded": [{"id": 5}, "x", None]},
    )
    yield (
        "mention entity junk",
        {**valid, "entities": [{"type": "mention", "mentioned": 5, "text": None}]},
    )


def assert_no_leak(connector: ConnectorStandIn, start: int, name: str) -> None:
    for request in connector.requests[start:]:
        text = json.dumps(request.json, ensure_ascii=False) if request.json is not None else ""
        assert "Traceback" not in text and 'File "' not in text, name


async def test_hostile_presses_and_activities(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-hostile@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    await client.press(group, LEADER, "live.start", {"conversation": conversation_id})
    await client.press(
        group, MEMBERS[1], "agreement.add", {"conversation": conversation_id, **agreement(0)}
    )
    await server.settle()
    key = f"conversations/{conversation_id}"

    count = 0
    for name, sender, value in press_cases(conversation_id):
        before, _ = await server.parts.store.load(key)
        start = len(connector.requests)
        activity = group.activity(sender, type="invoke", name="adaptiveCard/action", value=value)
        status, body = await client.post(activity)
        await server.settle()
        assert status < 500, name
        text = card_text(body)
        assert "Traceback" not in text and 'File "' not in text, name
        assert_no_leak(connector, start, name)
        after, _ = await server.parts.store.load(key)
        refused = '"attention"' in json.dumps(body) or status >= 400
        if refused:
            assert after == before, f"refused but changed: {name}"
        count += 1

    for name, activity in activity_cases(group):
        start = len(connector.requests)
        status, _ = await client.post(activity)
        await server.settle()
        assert status < 500, name
        assert_no_leak(connector, start, name)
        count += 1

    raw_cases = [
        b"",
        b"null",
        b"[1,2]",
        b'{"type":',
        b"\xff\xfe",
        b'{"type": "message", "from": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ]
    for raw in raw_cases:
        status, _ = await client.post(None, raw=raw)
        assert 400 <= status < 500, raw[:20]
        count += 1
    assert count >= 300
    stored, _ = await server.parts.store.load(key)
    assert stored is not None and stored.phase == "live"
    assert {p.user_id for p in stored.participants} == {u.id for u in EVERYONE}
