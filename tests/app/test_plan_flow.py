"""Issue 5 over HTTP: finishing a GRUS writes the plan to Azurite as a Word document (and PDF
where LibreOffice is installed), links go to each participant's 1:1 chat only, a participant's
link downloads it, a stranger's attempt and an expired link do not, and a new version never
overwrites the old one."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import docx
import pytest

from settings import Settings
from storage.links import LinkSigner, secret_from
from tests.app.harness import BotServer, Chat, Client, card_of, card_text
from tests.app.test_live_flow import EVERYONE, KEYWORDS, LEADER, MEMBERS, agreement, prepared_grus
from tests.support.connector import ConnectorStandIn


@pytest.fixture
async def azure_server(azurite: Any, blob_container_name: str) -> AsyncIterator[BotServer]:
    env = {
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
        "AZURE_STORAGE_CONTAINER": blob_container_name,
        "AZURE_STORAGE_DOCUMENTS_CONTAINER": blob_container_name + "-docs",
        "PLAN_LINK_MINUTES": "5",
        "REMINDER_INTERVAL_SECONDS": "0",
    }
    server = await BotServer(Settings.from_env(env)).start()
    yield server
    await server.stop()


def plan_cards(connector: ConnectorStandIn) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for activity in connector.activities():
        card = card_of(activity)
        if card and any(
            a.get("type") == "Action.OpenUrl" and "Hent" in a.get("title", "")
            for a in card.get("actions", [])
        ):
            found.append((activity["conversation"]["id"], card))
    return found


def urls(card: dict[str, Any]) -> dict[str, str]:
    return {
        a["title"]: a["url"]
        for a in card["actions"]
        if a.get("type") == "Action.OpenUrl" and "Hent" in a["title"]
    }


async def fetch(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read()


async def test_finishing_a_grus_writes_stores_and_shares_the_plan(
    azure_server: BotServer, connector: ConnectorStandIn, azurite: Any, blob_container_name: str
) -> None:
    client = Client(azure_server)
    group = Chat("19:grus-plan@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (azure_server,), connector, group)
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    for n in range(6):
        await client.press(
            group, MEMBERS[n % len(MEMBERS)], "agreement.add", {**data, **agreement(n)}
        )
    await client.press(
        group,
        MEMBERS[0],
        "note.add",
        {**data, "note.perspective": "struktur", "note.text": "Mødestruktur 😀 & <ting>"},
    )
    status, card = await client.press(
        group,
        LEADER,
        "live.finish",
        {
            **data,
            "finish.confidentiality": "Aftale 2 må deles med HR-konsulenten",
            "finish.next_follow_up": "2099-12-01",
        },
    )
    assert status == 200 and "afsluttet" in card_text(card)
    await azure_server.settle()

    # One personal card per participant, in their own 1:1 chat; the group chat has no link.
    shared = plan_cards(connector)
    assert sorted(cid for cid, _ in shared) == sorted(
        cid for cid, c in connector.conversations.items() if not c.get("isGroup")
    )
    assert len(shared) == len(EVERYONE)
    assert all(not connector.conversations[cid].get("isGroup") for cid, _ in shared)
    assert "Udviklingsplan – GRUS" in card_text(card_of(connector.activities(group.id)[-1]))

    # The document is in Azurite, private, as version 1; python-docx opens it. The link points
    # at the bot, which redirects to a short-lived SAS URL of the blob (followed here).
    links = urls(shared[0][1])
    assert links["Hent Word-dokumentet"].startswith(azure_server.url + "/documents/")
    status, body = await fetch(links["Hent Word-dokumentet"])
    assert status == 200
    document = docx.Document(io.BytesIO(body))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    for n in range(6):
        assert f"Aftale nummer {n:02d}" in text
    for person in EVERYONE:
        assert person.name in text
    for keyword in KEYWORDS:
        assert keyword in text
    assert "Aftale 2 må deles med HR-konsulenten" in text
    assert "1. december 2099" in text
    if shutil.which("soffice") or shutil.which("libreoffice"):
        status, pdf = await fetch(links["Hent PDF"])
        assert status == 200 and pdf.startswith(b"%PDF")
    else:
        assert "LibreOffice" in card_text(shared[0][1])

    # A stranger who swaps the document in a link, or tampers with the signature, gets nothing.
    parts = urlsplit(links["Hent Word-dokumentet"])
    other = urlunsplit(parts._replace(path=parts.path.replace("plan-v1.docx", "plan-v2.docx")))
    assert (await fetch(other))[0] in (403, 404)
    tampered = links["Hent Word-dokumentet"].replace("sig=", "sig=AAAA")
    assert (await fetch(tampered))[0] == 403
    unsigned = urlunsplit(parts._replace(query=""))
    assert (await fetch(unsigned))[0] in (403, 404, 409)

    # Generating again makes version 2 and keeps version 1; only a facilitator may.
    status, card = await client.press(group, MEMBERS[3], "plan.generate", data)
    assert "Kun lederen" in card_text(card)
    status, card = await client.press(group, LEADER, "plan.generate", data)
    assert "laver udviklingsplanen" in card_text(card)
    await azure_server.settle()
    versions = await azure_server.parts.documents.versions(conversation_id)
    assert {d.version for d in versions} == {1, 2}
    assert (await fetch(links["Hent Word-dokumentet"]))[0] == 200  # v1 untouched

    # A participant asks for a fresh link in their 1:1 chat; not in the group chat.
    personal = Chat(shared[0][0], False, connector.service_url)
    owner = next(
        p for p in EVERYONE if connector.conversations[shared[0][0]]["members"][0]["id"] == p.id
    )
    status, card = await client.press(personal, owner, "plan.link", data)
    assert "version 2" in card_text(card) and len(urls(card)) >= 1
    status, card = await client.press(group, owner, "plan.link", data)
    assert "kun i din private chat" in card_text(card)


async def test_local_links_expire_and_refuse_strangers(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-local-plan@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    await client.press(group, MEMBERS[0], "agreement.add", {**data, **agreement(0)})
    await client.press(group, LEADER, "live.finish", data)
    await server.settle()
    link = urls(plan_cards(connector)[0][1])["Hent Word-dokumentet"]
    assert link.startswith(server.url + "/documents/")
    status, body = await fetch(link)
    assert status == 200 and docx.Document(io.BytesIO(body)).paragraphs
    assert (await fetch(link.replace("plan-v1.docx", "plan-v2.docx")))[0] == 403
    assert (await fetch(link.split("?")[0]))[0] == 403
    assert (await fetch(link.replace("expires=", "expires=1")))[0] == 403  # signature breaks
    # A genuinely signed link whose time is up (tests/app/test_downloads.py has the pages).
    secret = secret_from(None, server.settings.local_storage_dir / "link-secret")
    past = LinkSigner(secret, clock=lambda: time.time() - 3600)
    path = link.split("/documents/", 1)[1].split("?")[0]
    expired = past.url(server.url, path, timedelta(minutes=5), filename="udviklingsplan-v1.docx")
    assert (await fetch(expired))[0] == 410
    fresh = LinkSigner(secret).url(
        server.url, path, timedelta(minutes=5), filename="udviklingsplan-v1.docx"
    )
    assert (await fetch(fresh))[0] == 200


async def test_the_next_conversation_opens_with_last_plans_agreements(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-next-year@thread.v2", True, connector.service_url)
    first_id = await prepared_grus(client, (server,), connector, group)
    data = {"conversation": first_id}
    await client.press(group, LEADER, "live.start", data)
    await client.press(group, MEMBERS[0], "agreement.add", {**data, **agreement(7)})
    await client.press(group, LEADER, "live.finish", data)
    await server.settle()
    before = len(connector.activities())

    # A year later: a new GRUS in the same chat.
    setup = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in MEMBERS),
        "date": "2099-11-05",
    }
    status, card = await client.press(group, LEADER, "setup.save", setup)
    second_id = str(card["actions"][0]["data"]["conversation"])
    assert status == 200 and second_id != first_id
    await server.settle()
    prompts = [
        card_text(card_of(a))
        for a in connector.activities()[before:]
        if "Forberedelse til GRUS" in card_text(card_of(a))
    ]
    assert len(prompts) == len(EVERYONE)
    assert all("Opfølgning fra sidst" in p and "Aftale nummer 07" in p for p in prompts)

    # The live card opens with them too.
    for person in EVERYONE:
        chat_id = next(
            cid for cid, c in connector.conversations.items() if c["members"][0]["id"] == person.id
        )
        await client.press(
            Chat(chat_id, False, connector.service_url),
            person,
            "prep.keywords",
            {"conversation": second_id, "keywords": ",".join(KEYWORDS)},
        )
    status, card = await client.press(group, LEADER, "live.refresh", {"conversation": second_id})
    await client.press(group, LEADER, "live.start", {"conversation": second_id})
    status, card = await client.press(group, LEADER, "live.refresh", {"conversation": second_id})
    assert "Opfølgning fra sidst" in card_text(card) and "Aftale nummer 07" in card_text(card)

    # A MUS is not held in the group's chat (others read along), so nothing is made there.
    mus = {"conversation": "", "kind": "MUS", "participants": MEMBERS[0].id, "date": "2099-11-06"}
    keys = await server.parts.store.keys("conversations/")
    status, card = await client.press(group, LEADER, "setup.save", mus)
    assert "Opret den i min private chat" in card_text(card)
    assert await server.parts.store.keys("conversations/") == keys
