"""A live meeting whose card is lost can always get it back, over HTTP with the Bot Connector
stand-in answering as Teams would when things go wrong:

- the post of the live card fails outright (413): the leader is told on the status card and in
  their own 1:1 chat, nothing claims a card was posted, and "Vis samtalekortet igen" posts it;
- Teams delivers the live card and then answers 502: the bot never sends it blindly again; it
  posts a new copy, and the stray copy's buttons change nothing and its refresh shows it outdated,
  so exactly one card looks current and it is the one the bot edits;
- ``start`` again during the meeting posts a new copy and marks the old one outdated;
- the "plan is ready" card that could not be posted: the leader is told, and ``status`` shows it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.harness import BotServer, Chat, Client, card_of, card_text, press_activity, verbs_on
from tests.faults.conftest import (
    LEADER,
    MEMBERS,
    delivered,
    one_to_one,
    prepared_grus,
    settle,
    setup_data,
    start_server,
    stored,
)
from tests.support.connector import ConnectorStandIn

LOST = "Samtalekortet kunne ikke vises i chatten"
OUTDATED = "Dette er en gammel kopi af samtalekortet"


@pytest.fixture
async def server(tmp_path: Any) -> Any:
    bot = await start_server({"LOCAL_STORAGE_DIR": str(tmp_path / "data")})
    yield bot
    await bot.stop()


def in_chat(chat_id: str) -> Any:
    return lambda request: request.conversation_id == chat_id


def live_cards(connector: ConnectorStandIn, group: Chat) -> list[tuple[str, dict[str, Any]]]:
    """(message id, current card) of every live card posted in ``group`` (stray copies too)."""
    found = []
    for sent in connector.sent:
        if sent.op != "send" or sent.conversation_id != group.id:
            continue
        first = card_of(sent.body) or {}
        if "live.refresh" in verbs_on(first) and "note.add" in str(first):
            now = card_of(connector.current_activity(group.id, sent.activity_id) or {})
            found.append((sent.activity_id, now or {}))
    return found


def copy_of(card: dict[str, Any]) -> int | None:
    refresh = card.get("refresh") or {}
    value = refresh.get("action", {}).get("data", {}).get("copy")
    return value if isinstance(value, int) else None


async def status_message(
    client: Client, connector: ConnectorStandIn, group: Chat, conversation_id: str
) -> str:
    """Show the status card in the chat (``status``); its message id (kept current)."""
    before = len(connector.activities(group.id, op="send"))
    await client.say(group, LEADER, "status")
    sent = [s for s in connector.sent if s.op == "send" and s.conversation_id == group.id]
    assert len(sent) == before + 1, connector.summary()
    assert conversation_id in str(sent[-1].body)
    return sent[-1].activity_id


def personal_texts(connector: ConnectorStandIn, person_chat: Chat) -> list[str]:
    return [a.get("text") or "" for a in connector.activities(person_chat.id)]


async def test_a_live_card_that_could_not_be_posted_is_told_and_posted_again(
    server: BotServer, connector: ConnectorStandIn
) -> None:
    client = Client(server)
    group = Chat("19:live-lost@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    status_id = await status_message(client, connector, group, conversation_id)
    await settle(server)

    connector.fail("send", 413, match=in_chat(group.id))  # the post of the live card fails
    status, card = await client.press(
        group, LEADER, "live.start", {"conversation": conversation_id}
    )
    assert status == 200 and "Samtalen er startet" in card_text(card)
    await settle(server)

    assert live_cards(connector, group) == []
    delivery = await delivered(server, conversation_id)
    assert delivery.live == () and delivery.live_lost  # never a message id claimed as shown
    shown = card_of(connector.current_activity(group.id, status_id) or {})
    assert LOST in card_text(shown) and "Vis samtalekortet igen" in card_text(shown)
    leader_chat = one_to_one(connector, LEADER)
    assert any("kunne ikke vises i chatten" in t for t in personal_texts(connector, leader_chat))

    # "Vis samtalekortet igen" on the status card posts it.
    (action,) = [a for a in shown["actions"] if a["title"] == "Vis samtalekortet igen"]
    status, card = await client.press(group, LEADER, action["verb"], action["data"])
    assert status == 200 and "vist igen" in card_text(card)
    await settle(server)
    ((live_id, live),) = live_cards(connector, group)
    delivery = await delivered(server, conversation_id)
    assert [m.activity_id for m in delivery.live] == [live_id] and not delivery.live_lost
    assert copy_of(live) == 2
    assert LOST not in card_text(card_of(connector.current_activity(group.id, status_id) or {}))

    # The card works, and the bot edits that one.
    data = live["refresh"]["action"]["data"]
    status, card = await client.press(
        group, MEMBERS[0], "note.add", {**data, "note.perspective": "adfaerd", "note.text": "Hej"}
    )
    assert status == 200 and "Noten er gemt" in card_text(card)
    await settle(server)
    ((_, live),) = live_cards(connector, group)
    assert "Hej" in card_text(live)


async def test_a_post_teams_delivered_before_failing_leaves_one_current_live_card(
    server: BotServer, connector: ConnectorStandIn
) -> None:
    client = Client(server)
    group = Chat("19:live-unknown@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)

    connector.fail("send", 502, deliver=True, match=in_chat(group.id))
    await client.press(group, LEADER, "live.start", {"conversation": conversation_id})
    await settle(server)

    (_, stray), (live_id, live) = live_cards(connector, group)
    assert (copy_of(stray), copy_of(live)) == (1, 2)
    delivery = await delivered(server, conversation_id)
    assert [m.activity_id for m in delivery.live] == [live_id] and delivery.live_copy == 2

    # The stray copy changes nothing, and refreshing it (as Teams does when it is viewed)
    # shows that it is outdated.
    stray_data = stray["refresh"]["action"]["data"]
    note = {"note.perspective": "adfaerd", "note.text": "Fra den gamle kopi"}
    status, card = await client.press(group, MEMBERS[0], "note.add", {**stray_data, **note})
    assert status == 200 and OUTDATED in card_text(card) and verbs_on(card) == []
    status, card = await client.press(group, MEMBERS[1], "live.refresh", stray_data)
    assert OUTDATED in card_text(card) and "refresh" not in card
    assert (await stored(server, conversation_id)).notes == ()

    # The current copy works, and only it is edited.
    live_data = live["refresh"]["action"]["data"]
    note = {"note.perspective": "adfaerd", "note.text": "Fra det rigtige kort"}
    status, card = await client.press(group, MEMBERS[0], "note.add", {**live_data, **note})
    assert "Noten er gemt" in card_text(card)
    await settle(server)
    (_, stray_now), (_, live_now) = live_cards(connector, group)
    assert "Fra det rigtige kort" in card_text(live_now)
    assert stray_now == stray  # never edited: the bot does not know it exists


async def test_start_again_posts_a_new_copy_and_outdates_the_old_one(
    server: BotServer, connector: ConnectorStandIn
) -> None:
    client = Client(server)
    group = Chat("19:live-again@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    await client.press(group, LEADER, "live.start", {"conversation": conversation_id})
    await settle(server)
    ((first_id, _),) = live_cards(connector, group)

    # A participant pressing "Vis samtalekortet igen" gets their own view, nothing is posted.
    status, card = await client.press(
        group, MEMBERS[2], "live.start", {"conversation": conversation_id}
    )
    assert status == 200 and "Tilføj note" in card_text(card)
    await settle(server)
    assert len(live_cards(connector, group)) == 1

    assert await client.say(group, LEADER, "start") in (200, 202)
    await settle(server)
    (old_id, old), (new_id, new) = live_cards(connector, group)
    assert old_id == first_id and OUTDATED in card_text(old) and verbs_on(old) == []
    assert copy_of(new) == 2
    assert [m.activity_id for m in (await delivered(server, conversation_id)).live] == [new_id]

    # Asked again at once, it waits (a leader cannot make the bot post card after card).
    await client.say(group, LEADER, "start")
    await settle(server)
    assert len(live_cards(connector, group)) == 2
    answer = connector.activities(group.id, op="send")[-1]
    assert "Du kan gøre det igen om 1 min" in card_text(card_of(answer))


async def test_a_plan_card_that_could_not_be_posted_is_told_and_shown_by_status(
    server: BotServer, connector: ConnectorStandIn
) -> None:
    client = Client(server)
    group = Chat("19:plan-lost@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    await client.press(group, LEADER, "live.start", {"conversation": conversation_id})
    await settle(server)

    def plan_ready(request: Any) -> bool:
        return request.conversation_id == group.id and "Udviklingsplanen" in str(request.json)

    connector.fail("send", 400, match=plan_ready)
    finish = press_activity(group, LEADER, "live.finish", {"conversation": conversation_id})
    status, _ = await client.post(finish)
    assert status == 200
    await settle(server)
    assert connector.pending_failures() == [], connector.summary()
    leader_chat = one_to_one(connector, LEADER)
    assert any("kunne ikke vises i chatten" in t for t in personal_texts(connector, leader_chat))

    await client.say(group, LEADER, "status")
    await settle(server)
    shown = card_text(card_of(connector.activities(group.id, op="send")[-1]))
    assert "Udviklingsplanen" in shown and "version 1" in shown


async def test_a_setup_card_that_cannot_become_the_status_card_gets_one_posted(
    server: BotServer, connector: ConnectorStandIn
) -> None:
    client = Client(server)
    group = Chat("19:status-lost@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [u.member() for u in (LEADER, *MEMBERS)])
    await client.say(group, LEADER, "ny GRUS")
    (setup_message,) = [s for s in connector.sent if s.conversation_id == group.id][-1:]
    connector.fail("update", 404, match=in_chat(group.id))  # the message is gone meanwhile
    press = press_activity(group, LEADER, "setup.save", setup_data())
    press["replyToId"] = setup_message.activity_id
    status, body = await client.post(press)
    assert status == 200 and "Opsætningen er gemt" in card_text(body["value"])
    await settle(server)
    assert connector.pending_failures() == []
    posted = connector.activities(group.id, op="send")[-1]
    assert "har valgt stikord" in card_text(card_of(posted))  # the status card, for everyone
    conversation_id = body["value"]["actions"][0]["data"]["conversation"]
    delivery = await delivered(server, conversation_id)
    assert [m.activity_id for m in delivery.status] != [setup_message.activity_id]
    assert len(delivery.status) == 1
