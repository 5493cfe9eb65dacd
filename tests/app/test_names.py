"""Names as real directories have them, over HTTP from setup to the plan: Entra's longest display
name (256 characters) goes through whole, a longer one is cut to 256 on arrival (never refused),
and bidirectional control characters in a display name reach no card, message or plan."""

from __future__ import annotations

import io
import json
from typing import Any

import aiohttp
import docx

from dialogs.conversation import Conversation
from tests.app.harness import BotServer, Chat, Client, User, card_of, card_text, user
from tests.support.connector import ConnectorStandIn

KEYWORDS = ["Motivation", "Sparring", "Nærvær"]
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def long_name(n: int, length: int) -> str:
    base = f"Karen-Margrethe {n} Østergaard Vestergaard Kristiansen "
    return (base * (length // len(base) + 1))[: length - 1] + "x"


async def walk_to_the_plan(
    client: Client,
    server: BotServer,
    connector: ConnectorStandIn,
    group: Chat,
    leader: User,
    members: list[User],
    onlookers: tuple[User, ...] = (),
) -> tuple[Conversation, list[dict[str, Any]], str]:
    """A GRUS from setup to its plan; the stored conversation, every card answered to a press,
    and the text of the Word document. ``onlookers`` are in the chat but do not take part."""
    everyone = [leader, *members]
    connector.set_roster(group.id, [u.member() for u in (*everyone, *onlookers)])
    answers: list[dict[str, Any]] = []
    # Each person installs the bot first: the greeting names them.
    for person in everyone:
        personal = Chat(f"a:1-install-{person.id}", False, connector.service_url)
        install = personal.activity(
            person,
            type="conversationUpdate",
            membersAdded=[{"id": "28:samtaleguide-bot", "name": "Samtaleguide"}],
        )
        assert (await client.post(install))[0] in (200, 202)
    assert await client.say(group, leader, "ny GRUS") == 202  # the setup card lists the chat
    data = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in members),
        "date": "2099-01-05",
        "variant": "skema",
    }
    status, card = await client.press(group, leader, "setup.save", data)
    assert status == 200 and card is not None, card
    assert "Gem og send" not in card_text(card), card_text(card)  # not refused: the status card
    answers.append(card)
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await server.settle()
    for person in everyone:
        chat_id = next(
            cid for cid, c in connector.conversations.items() if c["members"][0]["id"] == person.id
        )
        chat = Chat(chat_id, False, connector.service_url)
        status, card = await client.press(
            chat,
            person,
            "prep.keywords",
            {"conversation": conversation_id, "keywords": ",".join(KEYWORDS)},
        )
        assert status == 200 and card is not None
        answers.append(card)
    await server.settle()
    ids = {"conversation": conversation_id}
    steps: list[tuple[str, User, dict[str, Any]]] = [
        ("live.start", leader, {}),
        ("live.next", leader, {"position": 0}),
        (
            "agreement.add",
            members[0],
            {
                "form": "new",
                "new.perspective": "adfaerd",
                "new.what": "Faste møder",
                "new.when": "Inden sommer",
                "new.who": "Hele gruppen",
                "new.responsible": members[0].id,
                "new.follow_up": "2099-06-01",
            },
        ),
        ("live.finish", leader, {"finish.confidentiality": "", "finish.next_follow_up": ""}),
    ]
    for verb, presser, extra in steps:
        status, card = await client.press(group, presser, verb, {**ids, **extra})
        assert status == 200 and card is not None
        answers.append(card)
    await server.settle()
    stored, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert stored is not None and stored.phase == "closed"
    return stored, answers, await plan_text(connector)


async def plan_text(connector: ConnectorStandIn) -> str:
    """The Word document behind the first plan link sent to a 1:1 chat, as text."""
    for activity in connector.activities():
        for action in (card_of(activity) or {}).get("actions", []):
            if action.get("type") == "Action.OpenUrl" and "Word" in action.get("title", ""):
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(action["url"]) as response,
                ):
                    assert response.status == 200
                    document = docx.Document(io.BytesIO(await response.read()))
                cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
                return "\n".join([p.text for p in document.paragraphs] + cells)
    raise AssertionError(f"no plan link was sent\n{connector.summary()}")


async def test_the_longest_entra_name_goes_through_whole_and_a_longer_one_is_cut(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    leader = user(1, long_name(1, 256))
    longer = user(2, long_name(2, 300))
    members = [longer, user(3, "Medlem 3")]
    group = Chat("19:grus-long-names@thread.v2", True, connector.service_url)

    stored, _, plan = await walk_to_the_plan(client, server, connector, group, leader, members)

    cut = longer.name[:256].rstrip()
    assert {p.user_id: p.name for p in stored.participants} == {
        leader.id: leader.name,
        longer.id: cut,
        members[1].id: "Medlem 3",
    }
    assert leader.name in plan and cut in plan and longer.name not in plan


async def test_bidirectional_controls_in_display_names_reach_no_card_message_or_plan(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    leader = user(1, f"Lene{BIDI[:6]} Leder{BIDI[6:]}")
    members = [user(2, "\u202eBo Hansen\u202c\u200f"), user(3, "Ali\u061c \u2067Khan\u2069")]
    onlooker = user(4, "\u2066Ole\u2069 \u200eOlsen")
    group = Chat("19:grus-bidi-names@thread.v2", True, connector.service_url)

    stored, answers, plan = await walk_to_the_plan(
        client, server, connector, group, leader, members, (onlooker,)
    )

    assert [p.name for p in stored.participants] == ["Lene Leder", "Bo Hansen", "Ali Khan"]
    sent = json.dumps([r.json for r in connector.requests], ensure_ascii=False)
    answered = json.dumps(answers, ensure_ascii=False)
    assert "Lene Leder" in answered and "Ole Olsen" in answered  # "not taking part: Ole Olsen"
    assert "Hej Bo" in sent and "Ole Olsen" in sent  # the greeting, the setup card's roster
    assert "Ali Khan" in plan
    for text, where in ((answered, "cards answered"), (sent, "sent to Teams"), (plan, "plan")):
        found = sorted({f"U+{ord(ch):04X}" for ch in text if ch in BIDI})
        assert found == [], f"{where}: {found}"
