"""Storage down in the middle of a live GRUS, over HTTP against the real app on our own Azurite.

Azurite is stopped while the meeting runs; everyone keeps pressing. Every press must answer
HTTP 200 at once with the calm Danish "try again" card (never a 5xx, never a traceback), the bot
keeps serving, and nothing is half-applied. Azurite is started again on the same port and data:
the same presses then succeed, once each, and everything stored before is still there.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from tests.app.harness import BotServer, Chat, Client, User, card_text
from tests.faults.conftest import (
    LEADER,
    MEMBERS,
    STORAGE_DOWN,
    ControlledAzurite,
    agreement,
    delivered,
    live_card_id,
    live_card_text,
    one_to_one,
    prepared_grus,
    settle,
    setup_data,
    start_server,
    stored,
)
from tests.support.connector import ConnectorStandIn

pytestmark = pytest.mark.azurite

PRESS_DEADLINE = 5.0  # seconds; Teams shows its own error long before a slow invoke answers
GROUP = "19:grus-storage-down@thread.v2"
OTHER_GROUP = "19:grus-storage-down-other@thread.v2"


@dataclass
class Answer:
    label: str
    seconds: float
    status: int
    body: Any

    @property
    def card(self) -> Any:
        return self.body.get("value") if isinstance(self.body, dict) else None

    @property
    def text(self) -> str:
        return card_text(self.card)

    @property
    def headline(self) -> str:
        """The first text on the card (the notice on top, when there is one)."""
        return next(iter(texts_of(self.card)), repr(self.body))


def texts_of(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "TextBlock" else []
        return own + [t for value in node.values() for t in texts_of(value)]
    if isinstance(node, list):
        return [t for value in node for t in texts_of(value)]
    return []


async def healthz(server: BotServer) -> tuple[int, dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=2)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{server.url}/healthz") as response,
    ):
        return response.status, await response.json()


def invoke(chat: Chat, sender: User, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    return chat.activity(
        sender,
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data}},
    )


async def timed(client: Client, label: str, activity: dict[str, Any]) -> Answer:
    started = time.monotonic()
    status, body = await client.post(activity)
    return Answer(label, time.monotonic() - started, status, body)


async def test_presses_while_storage_is_down_answer_try_again_and_nothing_is_lost(
    own_azurite: ControlledAzurite, connector: ConnectorStandIn
) -> None:
    env = {
        "AZURE_STORAGE_CONNECTION_STRING": own_azurite.connection_string,
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
        "AZURE_STORAGE_CONTAINER": "faults-storage-down",
    }
    server = await start_server(env)
    try:
        await _walk_through_an_outage(server, Client(server), own_azurite, connector)
    finally:
        if not own_azurite.running:
            own_azurite.start()
        await server.stop()


async def _walk_through_an_outage(
    server: BotServer, client: Client, azurite: ControlledAzurite, connector: ConnectorStandIn
) -> None:
    group = Chat(GROUP, True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    data = {"conversation": conversation_id}
    assert (await client.press(group, LEADER, "live.start", data))[0] == 200
    await settle(server)
    live_id = live_card_id(connector, group)
    status, card = await client.press(group, LEADER, "live.next", {**data, "position": 0})
    assert status == 200 and "Spørgsmål 2 af 9" in card_text(card)
    for n in range(3):
        status, card = await client.press(
            group, MEMBERS[n], "agreement.add", {**data, **agreement(n)}
        )
        assert status == 200 and "Aftalen er gemt" in card_text(card)
    await settle(server)
    before = await stored(server, conversation_id)
    keys_before = await server.parts.store.keys("conversations/")
    first_agreement = before.agreements[0].id
    other = Chat(OTHER_GROUP, True, connector.service_url)
    connector.set_roster(other.id, [u.member() for u in (LEADER, *MEMBERS)])

    # Storage goes away in the middle of the meeting; everyone keeps pressing at once.
    azurite.stop()
    presses = {
        "agreement.add": invoke(group, MEMBERS[3], "agreement.add", {**data, **agreement(10)}),
        "live.next": invoke(group, LEADER, "live.next", {**data, "position": 1}),
        "keyword.mark": invoke(
            group,
            MEMBERS[0],
            "keyword.mark",
            {**data, "owner": MEMBERS[1].id, "keyword": "Sparring", "covered": True},
        ),
        "note.add": invoke(
            group,
            MEMBERS[1],
            "note.add",
            {**data, "note.perspective": "struktur", "note.text": "Vi mangler faste møder"},
        ),
        "agreement.edit": invoke(
            group,
            MEMBERS[2],
            "agreement.edit",
            {
                **data,
                **{k.replace("new.", f"{first_agreement}."): v for k, v in agreement(0).items()},
                f"{first_agreement}.what": "Aftale nummer 00, rettet",
                "agreement": first_agreement,
            },
        ),
        "live.refresh": invoke(group, MEMBERS[4], "live.refresh", data),
        "prep.keywords": invoke(
            one_to_one(connector, MEMBERS[4]),
            MEMBERS[4],
            "prep.keywords",
            {**data, "keywords": "Motivation,Sparring,Feedback"},
        ),
        "setup.save (a new GRUS)": invoke(other, LEADER, "setup.save", setup_data()),
    }
    replies_before = len(connector.activities(group.id))
    tasks = [
        asyncio.create_task(timed(client, label, activity)) for label, activity in presses.items()
    ]
    typed = asyncio.create_task(
        timed(client, "status (text)", group.activity(LEADER, type="message", text="status"))
    )
    done, _pending = await asyncio.wait([*tasks, typed], timeout=PRESS_DEADLINE)
    health = await healthz(server)  # the bot keeps serving while storage is down
    late = [task for task in (*tasks, typed) if task not in done]

    # Storage comes back on the same port and data; the presses still under way may finish now.
    azurite.start()
    answers = await asyncio.wait_for(asyncio.gather(*tasks), timeout=40)
    typed_answer = await asyncio.wait_for(typed, timeout=40)
    await settle(server)
    after_outage = await stored(server, conversation_id)

    assert health == (
        200,
        {"status": "ok", "storage": "azure-blob", "concept": health[1]["concept"]},
    )
    timings = ", ".join(f"{a.label} {a.seconds:.1f} s" for a in (*answers, typed_answer))
    assert not late, (
        f"while storage was down, presses took longer than {PRESS_DEADLINE} s ({timings}); "
        "Teams gives up on them and people press again. What the late presses answered once "
        "storage was back: " + "; ".join(f"{a.label}: {a.headline!r}" for a in answers)
    )
    for answer in answers:
        raw = json.dumps(answer.body, ensure_ascii=False)
        assert answer.status == 200, (answer.label, answer.status, raw)
        assert "Traceback" not in raw and "Error" not in answer.text, (answer.label, raw)
        assert texts_of(answer.card) == [STORAGE_DOWN], (answer.label, answer.text)
        assert answer.body["value"]["type"] == "AdaptiveCard"
    assert typed_answer.status in (200, 201, 202), typed_answer
    replies = connector.activities(group.id)[replies_before:]
    assert [r.get("text") for r in replies] == [STORAGE_DOWN]

    # Nothing of the refused presses was applied, and nothing stored before is lost.
    assert after_outage == before
    assert await server.parts.store.keys("conversations/") == keys_before

    # The same presses, pressed again now that storage is back (new invokes), succeed once each.
    for activity in presses.values():
        activity["id"] = activity["id"] + "-again"
    again = await asyncio.gather(
        *(timed(client, label, activity) for label, activity in presses.items())
    )
    for answer in again:
        assert answer.status == 200, answer
        assert STORAGE_DOWN not in answer.text, answer.label
        assert answer.seconds < PRESS_DEADLINE, answer
    by_label = {a.label: a.text for a in again}
    assert "Aftalen er gemt" in by_label["agreement.add"]
    assert "Noten er gemt" in by_label["note.add"]
    assert "Opsætningen er gemt" in by_label["setup.save (a new GRUS)"]
    assert len(await server.parts.store.keys("conversations/")) == len(keys_before) + 1
    await settle(server)

    after = await stored(server, conversation_id)
    assert after.live.position == 2
    whats = [a.what for a in after.agreements]
    assert whats == [
        "Aftale nummer 00, rettet",
        "Aftale nummer 01",
        "Aftale nummer 02",
        "Aftale nummer 10",
    ]
    assert [a.id for a in after.agreements[:3]] == [a.id for a in before.agreements]
    assert [n.text for n in after.notes] == [
        *(n.text for n in before.notes),
        "Vi mangler faste møder",
    ]
    assert len(after.live.covered) == len(before.live.covered) + 1
    assert [(p.user_id, p.keywords) for p in after.participants] == [
        (p.user_id, p.keywords) for p in before.participants
    ]

    # The shared live card (the same message) shows the state after the outage.
    assert live_card_id(connector, group) == live_id
    final = live_card_text(connector, group, live_id)
    assert "Spørgsmål 3 af 9" in final
    for what in whats:
        assert what in final
    assert "✅ Sparring" in final


async def test_a_storage_blip_during_follow_up_work_loses_no_bookkeeping(
    own_azurite: ControlledAzurite, connector: ConnectorStandIn
) -> None:
    """A prompt or the live card is delivered, and storage is away when the bot records it.

    The record (which message is whose preparation card, which message is the live card) is what
    later edits and reminders go by: losing it means a second prompt, or a live card that is
    never edited again. So the follow-up work must get its record saved once storage is back.
    """
    env = {
        "AZURE_STORAGE_CONNECTION_STRING": own_azurite.connection_string,
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
        "AZURE_STORAGE_CONTAINER": "faults-storage-blip",
    }
    server = await start_server(env)
    client = Client(server)
    try:
        meeting = Chat("19:grus-blip-live@thread.v2", True, connector.service_url)
        meeting_id = await prepared_grus(client, (server,), connector, meeting)
        fresh = Chat("19:grus-blip-setup@thread.v2", True, connector.service_url)
        connector.set_roster(fresh.id, [u.member() for u in (LEADER, *MEMBERS)])

        # Teams holds the first prompts and the live card back for a moment (429, Retry-After);
        # storage goes away while they wait, and is back soon after they are delivered.
        def held(request: Any) -> bool:
            return request.conversation_id != fresh.id

        connector.fail("send", 429, times=5, match=held, headers={"Retry-After": "2"})
        status, card = await client.press(fresh, LEADER, "setup.save", setup_data())
        assert status == 200, card_text(card)
        fresh_id = str(card["actions"][0]["data"]["conversation"])
        status, card = await client.press(
            meeting, LEADER, "live.start", {"conversation": meeting_id}
        )
        assert status == 200 and "Samtalen er startet" in card_text(card)
        await connector.wait_for(lambda c: not c.pending_failures(), timeout=5)
        own_azurite.stop()
        await asyncio.sleep(3.5)  # the held messages are delivered while storage is away
        own_azurite.start()
        await asyncio.wait_for(settle(server), timeout=60)

        live_id = live_card_id(connector, meeting)
        live = (await delivered(server, meeting_id)).live
        assert [m.activity_id for m in live] == [live_id], "the live card was not recorded"
        prepared = await stored(server, fresh_id)
        delivery = await delivered(server, fresh_id)
        unrecorded = [p.user_id for p in prepared.participants if not delivery.prompt(p.user_id)]
        assert unrecorded == [], f"prompts delivered but not recorded: {unrecorded}"

        # So a reminder sends no second preparation card, and the live card is edited.
        status, _ = await client.press(fresh, LEADER, "prep.remind", {"conversation": fresh_id})
        assert status == 200
        status, _ = await client.press(
            meeting, LEADER, "live.next", {"conversation": meeting_id, "position": 0}
        )
        assert status == 200
        await settle(server)
        cards = Counter(
            connector.conversations[s.conversation_id]["members"][0]["id"]
            for s in connector.sent
            if s.op in ("send", "reply")
            and s.conversation_id in connector.conversations
            and fresh_id in json.dumps(s.body)
        )
        assert cards == {u.id: 1 for u in (LEADER, *MEMBERS)}, connector.summary()
        assert "Spørgsmål 2 af 9" in live_card_text(connector, meeting, live_id)
    finally:
        if not own_azurite.running:
            own_azurite.start()
        await server.stop()


async def test_a_plan_link_while_storage_is_down_shows_the_try_again_page(
    own_azurite: ControlledAzurite, connector: ConnectorStandIn
) -> None:
    """A link made before the outage: while Azurite is stopped the bot answers with its own
    page (503, Retry-After), not a 5xx of its own or Azure's; afterwards the same link works."""
    env = {
        "AZURE_STORAGE_CONNECTION_STRING": own_azurite.connection_string,
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
        "AZURE_STORAGE_CONTAINER": "faults-download-down",
    }
    server = await start_server(env)
    try:
        data = b"%PDF-1.7 plan " + bytes(range(16))
        documents = server.parts.documents
        [document] = await documents.add_version(
            "c-0001", "plan", {"pdf": (data, "application/pdf")}
        )
        url = await documents.link(document.path, ttl=timedelta(minutes=5))

        own_azurite.stop()
        async with aiohttp.ClientSession() as http:
            async with http.get(url, allow_redirects=False) as response:
                status, page = response.status, await response.text()
                retry_after = response.headers.get("Retry-After")
            own_azurite.start()
            async with http.get(url) as response:
                again = response.status, await response.read()

        assert (status, retry_after) == (503, "30")
        assert "<h1>Prøv igen om lidt</h1>" in page and "c-0001" not in page
        assert again == (200, data)
    finally:
        if not own_azurite.running:
            own_azurite.start()
        await server.stop()
