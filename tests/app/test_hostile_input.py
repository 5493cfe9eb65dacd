"""Hundreds of generated malformed and hostile activities and card payloads, over HTTP.

Every one gets an answer below 500 with no stack trace in anything sent to a user, and when the
bot refuses, the stored conversation is exactly as before. Cases are generated deterministically
from valid presses by mutating one thing at a time.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
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


NOT_A_NUMBER = "Et tal på kortet må kun skrives med cifrene 0–9. Intet er ændret."
OTHER_DIGITS = ["²", "³", "٣", "３", "-٣", " ³"]


async def test_digits_other_than_0_to_9_get_a_clear_danish_refusal(
    client: Client, server: BotServer, connector: ConnectorStandIn, caplog: Any
) -> None:
    """ "²".isdigit() is true but int("²") fails; int("٣") is 3. A number field holding such
    digits is refused on the card in Danish, nothing is stored, and nothing fails in the log;
    dates and times written with them are refused as malformed."""
    group = Chat("19:grus-digits@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    keys_before = await server.parts.store.keys("conversations/")
    setup = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in MEMBERS),
        "date": "2099-01-05",
        "variant": "skema",
    }
    answers: dict[str, str] = {}
    for digit in OTHER_DIGITS:
        _, card = await client.press(group, LEADER, "setup.save", {**setup, "duration": digit})
        answers[f"duration {digit}"] = card_text(card)
        # Refused for another reason too (a participant not in the chat): either refusal is
        # shown, never "something went wrong" (the setup card is rebuilt with what was typed).
        stranger = {**setup, "participants": STRANGER.id, "duration": digit}
        _, card = await client.press(group, LEADER, "setup.save", stranger)
        text = card_text(card)
        assert NOT_A_NUMBER in text or "Vælg en af mulighederne i »Deltagere«" in text, text
    await client.press(group, LEADER, "live.start", {"conversation": conversation_id})
    for digit in OTHER_DIGITS:
        _, card = await client.press(
            group, LEADER, "live.goto", {"conversation": conversation_id, "goto.to": digit}
        )
        answers[f"goto {digit}"] = card_text(card)
    assert {name: NOT_A_NUMBER in text for name, text in answers.items()} == dict.fromkeys(
        answers, True
    ), answers

    formats = {}
    for field, value in (("date", "２０９９-01-05"), ("time", "٠٩:٠٠"), ("date", "2099-0²-05")):
        _, card = await client.press(group, LEADER, "setup.save", {**setup, field: value})
        formats[f"{field} {value}"] = card_text(card)
    for name, text in formats.items():
        assert "»Tidspunkt« har et ugyldigt format" in text, (name, text)

    await server.settle()
    assert await server.parts.store.keys("conversations/") == keys_before
    stored, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert stored is not None and stored.live is not None and stored.live.position == 0
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert failures == [], [r.getMessage() for r in failures]


async def test_ids_longer_than_teams_ever_sends_are_refused_before_anything_runs(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    chat = Chat("19:grus-long-ids@thread.v2", True, connector.service_url)
    long = "29:" + "x" * 600
    valid = chat.activity(MEMBERS[0], type="message", text="hjælp")
    cases: dict[str, dict[str, Any]] = {
        "activity id": {**valid, "id": long},
        "reply-to id": {**valid, "replyToId": long},
        "service url": {**valid, "serviceUrl": connector.service_url + "x" * 600},
        "channel id": {**valid, "channelId": "x" * 600},
        "conversation id": {**valid, "conversation": {**valid["conversation"], "id": long}},
        "tenant id": {**valid, "conversation": {**valid["conversation"], "tenantId": long}},
        "channel data tenant": {**valid, "channelData": {"tenant": {"id": long}}},
        "sender id": {**valid, "from": {**valid["from"], "id": long}},
        "sender object id": {**valid, "from": {**valid["from"], "aadObjectId": long}},
        "recipient id": {**valid, "recipient": {"id": long, "name": "Samtaleguide"}},
        "member added": {
            **valid,
            "type": "conversationUpdate",
            "membersAdded": [{"id": long, "name": "Ny"}],
        },
        "member removed": {
            **valid,
            "type": "conversationUpdate",
            "membersRemoved": [{"id": "29:x", "aadObjectId": long}],
        },
    }
    before = len(connector.requests)
    results = {name: (await client.post(activity))[0] for name, activity in cases.items()}
    await server.settle()
    assert results == {name: 400 for name in cases}
    assert connector.requests[before:] == []
    assert await server.parts.store.keys() == []
    # A long display name is no id: it is cut, and the message is answered.
    named = {**valid, "from": {**valid["from"], "name": "N" * 5000}}
    assert (await client.post(named))[0] == 202
