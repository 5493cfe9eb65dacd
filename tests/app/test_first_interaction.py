"""Issue 2's first interaction, over HTTP: greeting on install, help, unknown text, bad input."""

from __future__ import annotations

import aiohttp
import pytest

from tests.app.harness import BOT, BotServer, Chat, Client, card_of, card_text, user, verbs_on
from tests.support.connector import ConnectorStandIn

LEADER = user(1, "Lene Leder")


def group(connector: ConnectorStandIn) -> Chat:
    return Chat("19:group-1@thread.v2", True, connector.service_url)


def personal(connector: ConnectorStandIn) -> Chat:
    return Chat("a:personal-1", False, connector.service_url)


@pytest.mark.parametrize("kind", ["personal", "group"])
async def test_install_greets_in_danish_with_the_help_card(
    client: Client, connector: ConnectorStandIn, kind: str
) -> None:
    chat = personal(connector) if kind == "personal" else group(connector)
    status, _ = await client.post(
        chat.activity(LEADER, type="conversationUpdate", membersAdded=[BOT])
    )
    assert status in (200, 201, 202)
    (sent,) = connector.activities(chat.id)
    assert ("Hej Lene!" if kind == "personal" else "Hej alle sammen!") in sent["text"]
    card = card_of(sent)
    assert card is not None and "Samtaleguide" in card_text(card)
    overviews = ["my.conversations", "my.agreements"] if kind == "personal" else []
    assert verbs_on(card) == ["setup.open"] * 3 + overviews  # the overviews: 1:1 chats only


async def test_a_person_joining_is_not_greeted_again(
    client: Client, connector: ConnectorStandIn
) -> None:
    chat = group(connector)
    await client.post(
        chat.activity(LEADER, type="conversationUpdate", membersAdded=[user(2).member()])
    )
    assert connector.activities(chat.id) == []


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("hjælp", None),
        ("Hjælp!", None),
        ("help", None),
        (
            "<at>Samtaleguide</at> hjælp",
            [{"type": "mention", "text": "<at>Samtaleguide</at>", "mentioned": BOT}],
        ),
    ],
)
async def test_help_answers_with_the_help_card(
    client: Client, connector: ConnectorStandIn, text: str, entities: list | None
) -> None:
    chat = group(connector)
    fields = {"entities": entities} if entities else {}
    assert await client.say(chat, LEADER, text, **fields) in (200, 201, 202)
    (reply,) = connector.activities(chat.id)
    assert "MUS, LUS og GRUS" in card_text(card_of(reply))


async def test_english_locale_gets_english(client: Client, connector: ConnectorStandIn) -> None:
    chat = Chat("a:personal-en", False, connector.service_url, locale="en-US")
    await client.say(chat, LEADER, "help")
    (reply,) = connector.activities(chat.id)
    assert "development conversations" in card_text(card_of(reply))


async def test_unknown_text_gets_a_helpful_answer(
    client: Client, connector: ConnectorStandIn
) -> None:
    chat = personal(connector)
    await client.say(chat, LEADER, "hvad er klokken?")
    (reply,) = connector.activities(chat.id)
    assert "hjælp" in reply["text"] and "ny GRUS" in reply["text"]


async def test_healthz(server: BotServer) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{server.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"type": 5}', "application/json", 400),
        (b"hello", "text/plain", 415),
        (b'{"type":"message","text":"' + b"x" * 300_000 + b'"}', "application/json", 413),
    ],
)
async def test_malformed_requests_get_4xx(
    client: Client, raw: bytes, content_type: str, expected: int
) -> None:
    status, _ = await client.post(None, raw=raw, content_type=content_type)
    assert status == expected


async def test_card_presses_never_answer_5xx(client: Client, connector: ConnectorStandIn) -> None:
    chat = group(connector)
    status, card = await client.press(chat, LEADER, "help.show")
    assert status == 200 and "MUS, LUS og GRUS" in card_text(card)
    status, card = await client.press(chat, LEADER, "no.such.verb")
    assert status == 200 and "kender jeg ikke" in card_text(card)
    bad = chat.activity(LEADER, type="invoke", name="adaptiveCard/action", value={"action": "x"})
    status, body = await client.post(bad)
    assert status == 200 and "Intet er ændret" in card_text(body)
    other = chat.activity(LEADER, type="invoke", name="composeExtension/query", value={})
    status, _ = await client.post(other)
    assert status == 400
