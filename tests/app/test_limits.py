"""Nobody can turn the bot against others, over HTTP: a setup press Teams delivers twice makes one
conversation and prompts nobody twice; one member pressing setup ten times in ten seconds with
forty names prompts forty-one people, not four hundred; reminders go out once per interval."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.app.harness import BotServer, Chat, Client, card_text, press_activity, user
from tests.support.connector import ConnectorStandIn

LEADER = user(1, "Lene Leder")
FORTY = [user(n) for n in range(2, 42)]


def setup_data(people: list[Any]) -> dict[str, Any]:
    return {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(p.id for p in people),
        "date": "2099-03-02",
        "variant": "skema",
    }


def prompts(connector: ConnectorStandIn) -> Counter[str]:
    """Messages sent to each person's 1:1 chat."""
    return Counter(
        connector.conversations[a["conversation"]["id"]]["members"][0]["id"]
        for a in connector.activities(op="send")
        if a["conversation"]["id"] in connector.conversations
    )


async def conversations(server: BotServer) -> list[str]:
    return await server.parts.store.keys("conversations/")


async def test_a_setup_press_delivered_twice_makes_one_conversation_and_prompts_once(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:twice@thread.v2", True, connector.service_url)
    people = FORTY[:3]
    connector.set_roster(group.id, [u.member() for u in (LEADER, *people)])
    press = press_activity(group, LEADER, "setup.save", setup_data(people))

    # Twice at once (Teams retrying while the first is still running), then once more later.
    answers = await asyncio.gather(client.post(press), client.post(press))
    assert [status for status, _ in answers] == [200, 200]
    await server.settle()
    status, body = await client.post(press)
    assert status == 200 and "Opsætningen er gemt" in card_text(body["value"])
    await server.settle()

    assert len(await conversations(server)) == 1
    assert prompts(connector) == {p.id: 1 for p in (LEADER, *people)}


async def test_ten_setups_in_ten_seconds_with_forty_names_prompt_forty_one_people(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:flood@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [u.member() for u in (LEADER, *FORTY)])
    answers = [
        await client.press(group, LEADER, "setup.save", setup_data(FORTY)) for _ in range(10)
    ]
    await server.settle()

    assert "Opsætningen er gemt" in card_text(answers[0][1])
    for status, card in answers[1:]:
        assert status == 200 and "for mange personer på kort tid" in card_text(card)
        assert "Gem og send forberedelse" in card_text(card)  # the form, with what was typed
    assert len(await conversations(server)) == 1
    assert sum(prompts(connector).values()) == 41

    # Someone else in the chat is not held up by it.
    other = FORTY[0]
    status, card = await client.press(group, other, "setup.save", setup_data(FORTY[1:4]))
    assert "Opsætningen er gemt" in card_text(card)


async def test_a_reminder_round_goes_out_once_per_interval(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:remind@thread.v2", True, connector.service_url)
    people = FORTY[:3]
    connector.set_roster(group.id, [u.member() for u in (LEADER, *people)])
    _, card = await client.press(group, LEADER, "setup.save", setup_data(people))
    assert card is not None
    data = {"conversation": card["actions"][0]["data"]["conversation"]}
    await server.settle()
    before = sum(prompts(connector).values())

    status, card = await client.press(group, LEADER, "prep.remind", data)
    assert "Jeg har påmindet 4" in card_text(card), card_text(card)
    await server.settle()
    assert sum(prompts(connector).values()) == before + 4
    for _ in range(5):
        status, card = await client.press(group, LEADER, "prep.remind", data)
        assert status == 200 and "Du kan gøre det igen om 5 min" in card_text(card)
    await server.settle()
    assert sum(prompts(connector).values()) == before + 4
