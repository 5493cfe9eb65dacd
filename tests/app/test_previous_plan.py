"""Issue 12 over HTTP: "opfølgning fra sidst" with more agreements than a card shows. The next
GRUS's preparation card and live card show the first of the last plan's agreements and count the
rest; "Vis alle aftaler fra sidst" (``previous.show``) pages through every one and leads back to
where it was opened; only the people who take part see them."""

from __future__ import annotations

from typing import Any

from tests.app.harness import BotServer, Chat, Client, card_of, card_text, nodes, user, verbs_on
from tests.app.test_confidentiality import chat_with, choose
from tests.app.test_live_flow import EVERYONE, LEADER, MEMBERS, agreement, prepared_grus
from tests.support.connector import ConnectorStandIn

LAST_YEAR = 23  # more than the 8 a card shows, and more than the 20 a part of the paged card holds
STRANGER = user(99, "Fremmed Person")


def button(card: dict[str, Any] | None, verb: str, title: str | None = None) -> dict[str, Any]:
    """The one button with ``verb`` (and ``title``) on ``card``."""
    matching = [
        n
        for n in nodes(card, "Action.Execute")
        if n.get("verb") == verb and title in (None, n.get("title"))
    ]
    assert len(matching) == 1, (verb, title, matching)
    return matching[0]


def shown(card: dict[str, Any] | None) -> list[int]:
    """The numbers of last year's agreements on a card ("Aftale nummer 07 …")."""
    text = card_text(card)
    return [n for n in range(LAST_YEAR) if f"Aftale nummer {n:02d} " in text]


async def a_year_later(
    client: Client, server: BotServer, connector: ConnectorStandIn, group: Chat
) -> str:
    """A GRUS with ``LAST_YEAR`` agreements, closed; then the group's next GRUS, set up."""
    first_id = await prepared_grus(client, (server,), connector, group)
    data = {"conversation": first_id}
    await client.press(group, LEADER, "live.start", data)
    for n in range(LAST_YEAR):
        status, card = await client.press(
            group, MEMBERS[0], "agreement.add", {**data, **agreement(n)}
        )
        assert status == 200 and "Aftalen er gemt" in card_text(card)
    await client.press(group, LEADER, "live.finish", data)
    await server.settle()
    setup = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in MEMBERS),
        "date": "2099-11-05",
    }
    status, card = await client.press(group, LEADER, "setup.save", setup)
    assert status == 200
    await server.settle()
    return str(card["actions"][0]["data"]["conversation"])  # type: ignore[index]


async def test_the_last_plans_agreements_are_counted_and_paged_from_the_preparation_card(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-previous-prep@thread.v2", True, connector.service_url)
    conversation_id = await a_year_later(client, server, connector, group)
    private = chat_with(connector, MEMBERS[1].id)
    prompt = card_of(connector.activities(private.id, op="send")[-1])
    assert "Forberedelse til GRUS" in card_text(prompt)
    assert "Opfølgning fra sidst" in card_text(prompt)
    assert shown(prompt) == list(range(8))
    assert "… og 15 aftaler mere fra sidst." in card_text(prompt)
    show_all = button(prompt, "previous.show", "Vis alle aftaler fra sidst")
    assert show_all["data"] == {"conversation": conversation_id, "from": 0}

    # Every agreement, 20 at a time, with its status; "Næste side" and back.
    status, first = await client.press(private, MEMBERS[1], "previous.show", show_all["data"])
    assert status == 200 and "Aftaler fra sidst (23)" in card_text(first)
    assert "Aftale 1–20 af 23" in card_text(first) and shown(first) == list(range(20))
    assert "⏳ Ikke markeret som udført" in card_text(first)
    forward = button(first, "previous.show", "Næste side ▶")
    status, second = await client.press(private, MEMBERS[1], "previous.show", forward["data"])
    assert "Aftale 21–23 af 23" in card_text(second) and shown(second) == [20, 21, 22]
    backward = button(second, "previous.show", "◀ Forrige side")
    assert backward["data"]["from"] == 0
    assert "Næste side ▶" not in card_text(second)

    # Back to the preparation card, as it is now: still the form, nothing stored.
    back = button(second, "prep.show", "Tilbage til forberedelsen")
    status, card = await client.press(private, MEMBERS[1], "prep.show", back["data"])
    assert status == 200 and "Forberedelse til GRUS" in card_text(card)
    assert "Gem mine stikord" in card_text(card) and shown(card) == list(range(8))
    await choose(client, private, MEMBERS[1], conversation_id)
    status, card = await client.press(private, MEMBERS[1], "prep.show", back["data"])
    assert "Dine stikord: Motivation, Sparring, Nærvær" in card_text(card)
    assert "Gem mine stikord" not in card_text(card)
    # In the group chat the preparation card is not shown.
    status, card = await client.press(group, MEMBERS[1], "prep.show", back["data"])
    assert "Din forberedelse ligger i din private chat med mig." in card_text(card)
    assert "Opfølgning fra sidst" not in card_text(card)


async def test_the_last_plans_agreements_from_the_live_card_lead_back_to_it(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-previous-live@thread.v2", True, connector.service_url)
    conversation_id = await a_year_later(client, server, connector, group)
    for person in EVERYONE:
        await choose(client, chat_with(connector, person.id), person, conversation_id)
    await server.settle()  # the keywords are posted before the live card
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    await server.settle()
    posted = card_of(connector.activities(group.id, op="send")[-1])
    assert "Spørgsmål 1 af 9" in card_text(posted) and "Opfølgning fra sidst" in card_text(posted)
    assert shown(posted) and "aftaler mere fra sidst." in card_text(posted)
    show_all = button(posted, "previous.show", "Vis alle aftaler fra sidst")

    status, card = await client.press(group, MEMBERS[3], "previous.show", {**data, "from": 20})
    assert status == 200 and shown(card) == [20, 21, 22]
    back = button(card, "live.refresh", "Tilbage til samtalekortet")
    assert "prep.show" not in verbs_on(card)
    status, card = await client.press(group, MEMBERS[3], "live.refresh", back["data"])
    assert "Spørgsmål 1 af 9" in card_text(card)
    status, card = await client.press(group, MEMBERS[3], "previous.show", show_all["data"])
    assert shown(card) == list(range(20))


async def test_only_people_who_take_part_see_the_last_plans_agreements(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-previous-private@thread.v2", True, connector.service_url)
    conversation_id = await a_year_later(client, server, connector, group)
    data = {"conversation": conversation_id, "from": 0}
    elsewhere = Chat("19:another-chat@thread.v2", True, connector.service_url)
    for chat in (elsewhere, group):
        status, card = await client.press(chat, STRANGER, "previous.show", data)
        assert status == 200 and "Du deltager ikke" in card_text(card)
        assert shown(card) == [] and "Aftaler fra sidst" not in card_text(card)
        status, card = await client.press(chat, STRANGER, "prep.show", data)
        assert shown(card) == [] and "Forberedelse til GRUS" not in card_text(card)

    # Someone who left the chat no longer takes part.
    gone = group.activity(LEADER, type="conversationUpdate", membersRemoved=[MEMBERS[2].member()])
    assert (await client.post(gone))[0] in (200, 201, 202)
    await server.settle()
    status, card = await client.press(
        chat_with(connector, MEMBERS[2].id), MEMBERS[2], "previous.show", data
    )
    assert "Du deltager ikke" in card_text(card) and shown(card) == []
    status, card = await client.press(group, MEMBERS[3], "previous.show", data)
    assert shown(card) == list(range(20))

    # A malformed start is refused as such; one past the end shows the last agreement.
    status, card = await client.press(group, MEMBERS[3], "previous.show", {**data, "from": "x"})
    assert status == 200 and "må kun skrives med cifrene 0–9" in card_text(card)
    status, card = await client.press(group, MEMBERS[3], "previous.show", {**data, "from": 999})
    assert shown(card) == [LAST_YEAR - 1]
