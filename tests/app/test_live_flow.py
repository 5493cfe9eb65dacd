"""Issue 4 over HTTP: a GRUS of 8 walks all nine questions while 20 agreements are added at once
through two app instances on one Azurite store; refusals, idempotence and the final card."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from settings import Settings
from tests.app.harness import BotServer, Chat, Client, card_of, card_text, user, verbs_on
from tests.support.connector import ConnectorStandIn

LEADER = user(1, "Lene Leder")
MEMBERS = [user(n, f"Medlem {n}") for n in range(2, 9)]  # with the leader, a GRUS of 8
EVERYONE = [LEADER, *MEMBERS]
KEYWORDS = ["Motivation", "Sparring", "Nærvær"]


@pytest.fixture
async def two_instances(
    azurite: Any, blob_container_name: str
) -> AsyncIterator[tuple[BotServer, BotServer]]:
    env = {
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
        "AZURE_STORAGE_CONTAINER": blob_container_name,
    }
    first = await BotServer(Settings.from_env(env)).start()
    second = await BotServer(Settings.from_env(env)).start()
    yield first, second
    await first.stop()
    await second.stop()


async def settle(*servers: BotServer) -> None:
    for _ in range(3):  # follow-up work of one instance can start work on the other
        for server in servers:
            await server.settle()


async def prepared_grus(
    client: Client, servers: tuple[BotServer, ...], connector: ConnectorStandIn, group: Chat
) -> str:
    connector.set_roster(group.id, [u.member() for u in EVERYONE])
    data = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in MEMBERS),
        "date": "2099-01-05",
        "variant": "skema",
    }
    status, card = await client.press(group, LEADER, "setup.save", data)
    assert status == 200, card
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await settle(*servers)
    for person in EVERYONE:
        chat_id = next(
            cid for cid, c in connector.conversations.items() if c["members"][0]["id"] == person.id
        )
        chat = Chat(chat_id, False, connector.service_url)
        await client.press(
            chat,
            person,
            "prep.keywords",
            {"conversation": conversation_id, "keywords": ",".join(KEYWORDS)},
        )
    await settle(*servers)
    return conversation_id


def agreement(n: int) -> dict[str, Any]:
    perspective = ("adfaerd", "struktur", "opgaver")[n % 3]
    return {
        "form": "new",
        "new.perspective": perspective,
        "new.what": f"Aftale nummer {n:02d} <b>*fed*</b> \x07",
        "new.when": "Inden sommer",
        "new.who": "Hele gruppen",
        "new.responsible": MEMBERS[n % len(MEMBERS)].id,  # picked among the participants
        "new.follow_up": "2099-06-01",
        "new.value": "Bedre trivsel" if n % 2 else "",
    }


async def test_a_grus_of_eight_walks_the_questions_while_agreements_land_concurrently(
    two_instances: tuple[BotServer, BotServer], connector: ConnectorStandIn
) -> None:
    first, second = two_instances
    clients = (Client(first), Client(second))
    group = Chat("19:grus-live@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(clients[0], two_instances, connector, group)
    data = {"conversation": conversation_id}

    # Only the leader (or a co-facilitator) starts; the live card is posted in the chat.
    status, card = await clients[1].press(group, MEMBERS[0], "live.start", data)
    assert "Kun lederen" in card_text(card)
    status, card = await clients[1].press(group, LEADER, "live.start", data)
    assert status == 200 and "Samtalen er startet" in card_text(card)
    await settle(first, second)
    live_message = connector.activities(group.id)[-1]
    live_id = [x for x in connector.sent if x.conversation_id == group.id and x.op == "send"][
        -1
    ].activity_id
    assert "Hvordan trives I helt grundlæggende med jeres arbejde og opgaver?" in card_text(
        card_of(live_message)
    )
    assert "Spørgsmål 1 af 9" in card_text(card_of(live_message))

    # A member cannot move the question.
    status, card = await clients[0].press(group, MEMBERS[2], "live.next", {**data, "position": 0})
    assert status == 200 and "Kun lederen eller mødelederen" in card_text(card)

    async def walk() -> list[str]:
        seen = []
        for position in range(8):
            status, card = await clients[position % 2].press(
                group, LEADER, "live.next", {**data, "position": position}
            )
            assert status == 200
            seen.append(card_text(card))
        return seen

    async def add(n: int) -> tuple[int, dict[str, Any] | None]:
        member = EVERYONE[n % len(EVERYONE)]
        return await clients[n % 2].press(group, member, "agreement.add", {**data, **agreement(n)})

    walked, *added = await asyncio.gather(walk(), *(add(n) for n in range(20)))
    assert all(status == 200 and "Aftalen er gemt" in card_text(card) for status, card in added)
    assert "Spørgsmål 9 af 9" in walked[-1]
    assert (
        "Hvordan bliver vi endnu bedre rustet til at lykkes og skabe værdi for borgerne og Albertslund Kommune?"
        in walked[-1]
    )

    # The same invoke delivered twice adds nothing; a press on an outdated card says why.
    replay = {**data, **agreement(99)}
    await clients[0].press(group, MEMBERS[0], "agreement.add", replay, activity_id="same-invoke")
    await clients[1].press(group, MEMBERS[0], "agreement.add", replay, activity_id="same-invoke")
    status, card = await clients[0].press(group, LEADER, "live.next", {**data, "position": 3})
    assert "forældet" in card_text(card) and "Spørgsmål 9 af 9" in card_text(card)

    await settle(first, second)
    stored, _ = await first.parts.store.load(f"conversations/{conversation_id}")
    whats = sorted(a.what for a in stored.agreements)
    assert len(whats) == 21 and len(set(whats)) == 21
    assert stored.live.position == 8
    assert {a.responsible_id for a in stored.agreements} <= {m.id for m in MEMBERS}
    assert {a.responsible for a in stored.agreements} <= {m.name for m in MEMBERS}
    assert "\x07" not in whats[0] and whats[0].startswith("Aftale nummer 00 <b>")

    # Everyone's card was edited to the final state, in far fewer edits than changes.
    final = card_text(
        connector.current_activity(group.id, live_id)
        and card_of(connector.current_activity(group.id, live_id))
    )
    newest = [a.what for a in stored.agreements][-8:]  # the live card shows the newest eight
    for what in newest:
        escaped = what.replace("<", "\\<").replace(">", "\\>").replace("*", "\\*")
        assert escaped in final  # escaped, as typed
    assert "… og 13 aftaler mere" in final and "Vis alle aftaler" in final
    status, everything = await clients[0].press(
        group, MEMBERS[1], "agreements.show", {**data, "from": 0}
    )
    assert status == 200 and "Alle aftaler (21)" in card_text(everything)
    assert all(f"Aftale nummer {n:02d} \\<b\\>" in card_text(everything) for n in range(20))
    assert "Spørgsmål 9 af 9" in final
    assert "Seneste: " in final  # the shared card says what changed last, and who did it
    prompts_locked = [
        card_text(card_of(r.json))
        for r in connector.requests
        if r.op == "update" and r.conversation_id != group.id
    ]
    assert len(prompts_locked) == len(EVERYONE) and all(
        "ikke længere ændres" in t for t in prompts_locked
    )
    edits = [r for r in connector.requests if r.op == "update" and r.conversation_id == group.id]
    changes = 8 + 20 + 1  # moves, agreements, the replayed one (a no-op: no edit)
    assert 0 < len(edits) <= changes  # never more edits than changes; coalescing: test_live_updates

    # Finishing: only the leader; afterwards nothing changes and the agreements are summarised.
    status, card = await clients[1].press(group, MEMBERS[1], "live.finish", {**data, "position": 8})
    assert "Kun lederen" in card_text(card)
    status, card = await clients[1].press(
        group,
        LEADER,
        "live.finish",
        {
            **data,
            "finish.confidentiality": "Aftale 1 må deles med HR",
            "finish.next_follow_up": "2099-09-01",
        },
    )
    assert "Samtalen er afsluttet" in card_text(card)
    assert verbs_on(card) == []
    status, card = await clients[0].press(
        group, MEMBERS[1], "agreement.add", {**data, **agreement(50)}
    )
    assert "afsluttet, så intet kan ændres" in card_text(card)
    await settle(first, second)
    ready = card_text(card_of(connector.activities(group.id)[-1]))
    assert "Udviklingsplan – GRUS" in ready and "version 1" in ready
    assert "http" not in ready.replace("http://adaptivecards.io", "")  # no links in the group chat


async def test_bad_live_input_is_refused_with_the_card_kept(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-bad@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    await server.settle()
    cases = [
        (
            MEMBERS[0],
            "agreement.add",
            {**agreement(1), "new.follow_up": "2020-01-01"},
            "ligger i fortiden",
        ),
        (
            MEMBERS[0],
            "agreement.add",
            {**agreement(1), "new.follow_up": "i morgen"},
            "ugyldigt format",
        ),
        (
            MEMBERS[0],
            "agreement.add",
            {**agreement(1), "new.what": "x" * 501},
            "højst være 500 tegn",
        ),
        (MEMBERS[0], "agreement.add", {**agreement(1), "new.what": "\x00\x01"}, "skal udfyldes"),
        (
            MEMBERS[0],
            "agreement.add",
            {**agreement(1), "new.what": {"nested": True}},
            "Intet er ændret",
        ),
        (
            MEMBERS[0],
            "agreement.edit",
            {**agreement(1), "agreement": "a999"},
            "findes ikke længere",
        ),
        (
            MEMBERS[0],
            "note.add",
            {"note.perspective": "adfaerd", "note.text": "y" * 2001},
            "højst være 2000 tegn",
        ),
        (
            MEMBERS[0],
            "keyword.mark",
            {"owner": LEADER.id, "keyword": "Kaffe", "covered": True},
            "findes ikke længere",
        ),
        (LEADER, "live.goto", {"goto.to": "4"}, "rækkefølge"),
        (MEMBERS[0], "live.next", {"position": "abc"}, "Intet er ændret"),
        (
            user(77, "Fremmed"),
            "note.add",
            {"note.perspective": "adfaerd", "note.text": "hej"},
            "deltager ikke",
        ),
    ]
    before, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    for who, verb, payload, message in cases:
        status, card = await client.press(group, who, verb, {**data, **payload})
        assert status == 200 and message in card_text(card), (verb, card_text(card))
    after, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert after == before
    status, card = await client.press(
        group,
        MEMBERS[0],
        "keyword.mark",
        {**data, "owner": LEADER.id, "keyword": "Sparring", "covered": True},
    )
    assert "✅ Sparring" in card_text(card)
    status, card = await client.press(group, user(77, "Fremmed"), "live.refresh", data)
    shown = card_text(card)
    assert "Du deltager ikke i denne samtale" in shown and set(verbs_on(card)) == {"live.refresh"}
    assert "Sparring" not in shown and "Hvordan trives" not in shown  # no keywords, no questions


async def test_follow_up_reminders_go_out_once_with_two_instances(
    two_instances: tuple[BotServer, BotServer], connector: ConnectorStandIn
) -> None:
    first, second = two_instances
    client = Client(first)
    group = Chat("19:grus-followup@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, two_instances, connector, group)
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    for n in range(3):
        await client.press(group, MEMBERS[n], "agreement.add", {**data, **agreement(n)})
    await client.press(group, LEADER, "live.finish", data)
    await settle(first, second)
    before = len(connector.activities())

    day = date(2099, 6, 1)  # the three follow-ups are due, and the plan unapproved for years
    counts = await asyncio.gather(
        first.parts.reminders.run_once(day), second.parts.reminders.run_once(day)
    )
    assert sum(counts) == 4  # three follow-ups, and once the leader about the approvals
    assert await first.parts.reminders.run_once(day) == 0  # nothing is sent twice
    approvals = [
        connector.conversations[a["conversation"]["id"]]["members"][0]["id"]
        for a in connector.activities()[before:]
        if "Udviklingsplanen er ikke godkendt endnu" in card_text(card_of(a))
    ]
    assert approvals == [LEADER.id]
    reminders = [
        a
        for a in connector.activities()[before:]
        if "Opfølgning på jeres GRUS" in card_text(card_of(a))
    ]
    recipients = sorted(
        connector.conversations[a["conversation"]["id"]]["members"][0]["id"] for a in reminders
    )
    expected = sorted([LEADER.id] * 3 + [MEMBERS[n % len(MEMBERS)].id for n in range(3)])
    assert recipients == expected
    assert all(
        not connector.conversations[a["conversation"]["id"]].get("isGroup") for a in reminders
    )

    # The responsible person marks one done; the leader moves another; a stranger can do neither.
    agreement_id = (
        (await first.parts.store.load(f"conversations/{conversation_id}"))[0].agreements[0].id
    )
    chat = Chat(reminders[0]["conversation"]["id"], False, connector.service_url)
    status, card = await client.press(
        chat, user(77), "followup.done", {**data, "agreement": agreement_id}
    )
    assert "deltager ikke" in card_text(card)
    status, card = await client.press(
        chat,
        LEADER,
        "followup.move",
        {**data, "agreement": agreement_id, "followup.due": "2020-01-01"},
    )
    assert "ligger i fortiden" in card_text(card)
    status, card = await client.press(
        chat,
        LEADER,
        "followup.move",
        {**data, "agreement": agreement_id, "followup.due": "2099-07-01"},
    )
    assert status == 200 and "flyttet" in card_text(card)
    _status, card = await client.press(
        chat, MEMBERS[0], "followup.done", {**data, "agreement": agreement_id}
    )
    assert status == 200 and "markeret som udført" in card_text(card)
    stored = (await first.parts.store.load(f"conversations/{conversation_id}"))[0]
    assert stored.follow_ups[0].due == "2099-07-01" and stored.follow_ups[0].done_at
