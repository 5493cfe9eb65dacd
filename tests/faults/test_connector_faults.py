"""Bot Connector faults over HTTP: 5xx and 429 (with and without Retry-After) on sends, updates and
create-conversation, during the setup fan-out and the live card's edits.

botbuilder's HTTP layer (msrest over urllib3) retries PUT (update) and GET (members) itself on
408 and 5xx except 501/505, and on 429/503 carrying Retry-After: 3 retries, 0 s, 1.6 s and 3.2 s
apart (4.8 s in all). POST (send, create conversation) it never retries. So a few 5xx on an
update never reach the bot, and a 5xx on a send or a create always does. When its own retries
are used up, a 429 reaches the bot as ``HttpOperationError`` (status 429), but a 5xx as
``msrest.exceptions.ClientRequestError`` with no status at all (measured with msrest 0.7.1,
urllib3 2.x).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.app.harness import BotServer, Chat, Client, User, card_of, card_text
from tests.faults.conftest import (
    EVERYONE,
    KEYWORDS,
    LEADER,
    MEMBERS,
    agreement,
    delivered,
    everyone_chooses,
    live_card_id,
    live_card_text,
    one_to_one,
    prepared_grus,
    settle,
    setup_data,
    start_server,
    stored,
)
from tests.support.connector import ConnectorStandIn, RecordedRequest


@pytest.fixture
async def server(tmp_path: Any) -> Any:
    bot = await start_server({"LOCAL_STORAGE_DIR": str(tmp_path / "data")})
    yield bot
    await bot.stop()


def to(person: User) -> Any:
    """Match a create-conversation request for ``person``'s 1:1 chat."""

    def match(request: RecordedRequest) -> bool:
        members = (request.json or {}).get("members") or [{}]
        return members[0].get("id") == person.id

    return match


def in_chat(chat_id: str) -> Any:
    return lambda request: request.conversation_id == chat_id


def prompts_per_person(connector: ConnectorStandIn) -> Counter[str]:
    """How many messages each person got in their 1:1 chat with the bot (sends and replies)."""
    return Counter(
        connector.conversations[s.conversation_id]["members"][0]["id"]
        for s in connector.sent
        if s.op in ("send", "reply") and s.conversation_id in connector.conversations
    )


def no_unreachable_notice(connector: ConnectorStandIn, group: Chat) -> bool:
    return not any(
        "kunne ikke nås" in card_text(card_of(a)) for a in connector.activities(group.id)
    )


async def test_setup_fan_out_retries_sends_and_creates_and_prompts_everyone_once(
    server: BotServer, connector: ConnectorStandIn
) -> None:
    client = Client(server)
    group = Chat("19:grus-fanout-faults@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [u.member() for u in EVERYONE])
    connector.fail("members", 503)  # the roster read inside the press: retried by the SDK
    connector.fail("create_conversation", 500, times=2, match=to(MEMBERS[0]))
    connector.fail("create_conversation", 503, match=to(MEMBERS[1]))
    connector.fail("create_conversation", 429, match=to(MEMBERS[2]), headers={"Retry-After": "1"})
    connector.fail("create_conversation", 429, match=to(MEMBERS[3]))
    connector.fail("create_conversation", 502, match=to(LEADER))
    connector.fail("send", 502, times=2)
    connector.fail("send", 504)
    connector.fail("send", 429, headers={"Retry-After": "1"})
    connector.fail("send", 429, times=2)
    connector.fail("send", 500)

    status, card = await client.press(group, LEADER, "setup.save", setup_data())
    assert status == 200 and "Opsætningen er gemt" in card_text(card), card_text(card)
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await settle(server)

    assert connector.pending_failures() == [], connector.summary()
    assert prompts_per_person(connector) == {u.id: 1 for u in EVERYONE}, connector.summary()
    conversation = await stored(server, conversation_id)
    delivery = await delivered(server, conversation_id)
    assert delivery.unreachable == {}
    for participant in conversation.participants:
        sent = delivery.prompt(participant.user_id)
        assert sent is not None, participant.user_id
        (prompt,) = connector.activities(sent.chat.conversation_id)
        assert all(keyword in card_text(card_of(prompt)) for keyword in KEYWORDS)
        assert connector.current_activity(sent.chat.conversation_id, sent.activity_id) == prompt
    assert no_unreachable_notice(connector, group)

    # Everyone chooses; the keywords are posted in the group chat once, through a 503 and a 429.
    connector.fail("send", 503, match=in_chat(group.id))
    connector.fail("send", 429, match=in_chat(group.id), headers={"Retry-After": "0"})
    await everyone_chooses(client, connector, conversation_id)
    await settle(server)
    summaries = [a for a in connector.activities(group.id) if "Motivation" in card_text(card_of(a))]
    assert len(summaries) == 1, connector.summary()


async def test_setup_edit_refreshes_every_card_in_place_through_update_faults(
    server: BotServer, connector: ConnectorStandIn
) -> None:
    client = Client(server)
    group = Chat("19:grus-edit-faults@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [u.member() for u in EVERYONE])
    status, card = await client.press(group, LEADER, "setup.save", setup_data())
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await settle(server)
    chats = {u.id: one_to_one(connector, u).id for u in EVERYONE}
    sent_before = len(connector.sent)

    connector.fail("update", 429, times=2, match=in_chat(chats[MEMBERS[0].id]))  # the bot's
    connector.fail("update", 502, match=in_chat(chats[MEMBERS[1].id]))  # the SDK's own retry
    connector.fail(
        "update", 503, match=in_chat(chats[MEMBERS[2].id]), headers={"Retry-After": "0"}
    )  # the SDK's own retry, after Retry-After
    connector.fail("update", 500, times=4, match=in_chat(chats[MEMBERS[3].id]))  # beyond the SDK's
    status, card = await client.press(
        group,
        LEADER,
        "setup.save",
        setup_data(conversation=conversation_id, focus="Trivsel i en travl tid"),
    )
    assert status == 200 and "gemt" in card_text(card), card_text(card)
    await settle(server)

    assert connector.pending_failures() == [], connector.summary()
    conversation = await stored(server, conversation_id)
    delivery = await delivered(server, conversation_id)

    def shown(user_id: str) -> str:
        sent = delivery.prompt(user_id)
        assert sent is not None, user_id
        return card_text(
            card_of(connector.current_activity(sent.chat.conversation_id, sent.activity_id) or {})
        )

    stale = [
        p.user_id
        for p in conversation.participants
        if "Trivsel i en travl tid" not in shown(p.user_id)
    ]
    assert stale == [], f"preparation cards not refreshed: {stale}\n{connector.summary()}"
    new_messages = [s for s in connector.sent[sent_before:] if s.op in ("send", "reply")]
    assert [s.conversation_id for s in new_messages] == [], "a card was sent again, not edited"
    assert delivery.unreachable == {}


async def live_grus(
    client: Client, server: BotServer, connector: ConnectorStandIn, group: Chat
) -> tuple[str, str]:
    """A prepared GRUS whose live card is posted in ``group`` (through a 503 and a 429)."""
    conversation_id = await prepared_grus(client, (server,), connector, group)
    connector.fail("send", 503, match=in_chat(group.id))
    connector.fail("send", 429, match=in_chat(group.id), headers={"Retry-After": "1"})
    status, card = await client.press(
        group, LEADER, "live.start", {"conversation": conversation_id}
    )
    assert status == 200 and "Samtalen er startet" in card_text(card)
    await settle(server)
    return conversation_id, live_card_id(connector, group)


EDIT_FAULTS = {
    "5xx, retried by the SDK": (502, 2, None),
    "429 without Retry-After": (429, 3, None),
    "429 with Retry-After": (429, 2, "1"),
    "5xx beyond the SDK's retries": (503, 5, None),
    "429 with Retry-After beyond the SDK's retries": (429, 5, "0"),
}


@pytest.mark.parametrize("fault", EDIT_FAULTS)
async def test_the_live_card_ends_showing_the_final_state_through_edit_faults(
    fault: str, server: BotServer, connector: ConnectorStandIn
) -> None:
    client = Client(server)
    group = Chat(f"19:grus-live-faults-{len(fault)}@thread.v2", True, connector.service_url)
    conversation_id, live_id = await live_grus(client, server, connector, group)
    data = {"conversation": conversation_id}
    status_code, times, retry_after = EDIT_FAULTS[fault]
    headers = {"Retry-After": retry_after} if retry_after else None

    # A burst of presses with one throttle in it, then the fault on the edit of the last press.
    connector.fail("update", 429, match=in_chat(group.id))
    for n in range(3):
        status, card = await client.press(
            group, MEMBERS[n], "agreement.add", {**data, **agreement(n)}
        )
        assert status == 200 and "Aftalen er gemt" in card_text(card)
    await settle(server)
    connector.fail("update", status_code, times=times, match=in_chat(group.id), headers=headers)
    status, card = await client.press(group, LEADER, "live.next", {**data, "position": 0})
    assert status == 200 and "Spørgsmål 2 af 9" in card_text(card)
    await settle(server)

    final = live_card_text(connector, group, live_id)
    assert "Spørgsmål 2 af 9" in final, f"the live card shows an old state\n{connector.summary()}"
    assert connector.pending_failures() == [], connector.summary()
    assert all(f"Aftale nummer {n:02d}" in final for n in range(3))
    assert live_card_id(connector, group) == live_id  # one live card, edited in place
    stored_conversation = await stored(server, conversation_id)
    assert len(stored_conversation.agreements) == 3


async def test_a_permanent_500_for_one_person_reports_them_unreachable_and_prompts_the_rest(
    server: BotServer, connector: ConnectorStandIn
) -> None:
    client = Client(server)
    group = Chat("19:grus-unreachable@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [u.member() for u in EVERYONE])
    lost = MEMBERS[2]
    outage = {"on": True}
    connector.fail(
        "create_conversation", 500, times=1000, match=lambda r: outage["on"] and to(lost)(r)
    )
    connector.fail("create_conversation", 503, match=to(MEMBERS[0]))  # transient, for contrast
    status, card = await client.press(group, LEADER, "setup.save", setup_data())
    assert status == 200, card_text(card)
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await settle(server)

    assert prompts_per_person(connector) == {u.id: 1 for u in EVERYONE if u != lost}
    notices = [
        card_text(card_of(a))
        for a in connector.activities(group.id)
        if "Nogle deltagere kunne ikke nås" in card_text(card_of(a))
    ]
    assert len(notices) == 1, connector.summary()
    assert f"{lost.name} kunne ikke nås" in notices[0]
    assert all(f"{u.name} kunne ikke nås" not in notices[0] for u in EVERYONE if u != lost)
    assert (await delivered(server, conversation_id)).unreachable == {lost.id: "failed"}

    # Once Teams works again, the leader's reminder gives them their first prompt, once.
    outage["on"] = False
    status, card = await client.press(
        group, LEADER, "prep.remind", {"conversation": conversation_id}
    )
    assert status == 200, card_text(card)
    await settle(server)
    assert prompts_per_person(connector)[lost.id] == 1
    assert (await delivered(server, conversation_id)).unreachable == {}
