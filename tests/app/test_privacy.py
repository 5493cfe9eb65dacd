"""Data protection against the real stores: retention deletes state and plans; a person can be
erased on request (also through ``manage.py``), leaving what the group agreed."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.year_index import YearIndex
from dialogs.conversation import Person
from dialogs.privacy import ERASED_NAME
from storage.file_store import FileStore
from storage.schemas import CONVERSATION
from tests.app.harness import BotServer, Chat, Client, card_text
from tests.app.test_confidentiality import chat_with
from tests.app.test_live_flow import LEADER, MEMBERS, agreement, prepared_grus
from tests.support.connector import ConnectorStandIn

REPO = Path(__file__).resolve().parents[2]


async def finished_grus(
    client: Client, server: BotServer, connector: ConnectorStandIn, name: str
) -> str:
    group = Chat(f"19:{name}@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    await client.press(
        group,
        MEMBERS[0],
        "agreement.add",
        {**data, **agreement(0), "new.responsible": MEMBERS[0].id},
    )
    await client.press(
        group,
        MEMBERS[0],
        "note.add",
        {**data, "note.perspective": "adfaerd", "note.text": "Fælles note"},
    )
    await client.press(group, LEADER, "live.finish", data)
    await server.settle()
    return conversation_id


async def test_retention_deletes_conversations_and_their_plans(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    old = await finished_grus(client, server, connector, "retention")
    documents = server.parts.documents
    assert await documents.versions(old)
    store = server.parts.store
    assert len(await store.keys("index/person/")) == 1 + len(MEMBERS)  # the year's index
    assert await store.keys("index/workplace/") and await store.keys("index/conversation/")
    housekeeping = server.parts.housekeeping
    assert await housekeeping.purge_expired(datetime.now() + timedelta(days=30)) == 0
    assert await housekeeping.purge_expired(datetime.now() + timedelta(days=401)) == 1
    assert await store.keys("conversations/") == []
    assert await store.keys("deliveries/") == []
    assert await store.keys("limits/") == []  # the counts of recent setups too
    assert await store.keys("index/") == []  # and every index record it was in
    assert await documents.versions(old) == []


async def test_a_person_is_erased_on_request_from_every_stored_byte(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    """The person took part in a finished GRUS (responsible for an agreement, author of a note,
    named in others' texts), is in the "opfølgning fra sidst" of the group's next GRUS without
    taking part in it, and made the last change of a third, live one. After ``manage.py forget``
    no stored byte (conversations, the bot's records, documents) holds their name or ids, and
    what the group wrote stays."""
    target = MEMBERS[0]
    conversation_id = await finished_grus(client, server, connector, "forget")
    # They approved the plan, and another member commented on it naming them.
    own = chat_with(connector, target.id)
    approve = {"conversation": conversation_id, "version": 1}
    _, card = await client.press(own, target, "plan.approve", approve)
    assert "du har godkendt" in card_text(card), card_text(card)
    comment = {**approve, "comment.text": f"{target.name} bør have en mentor"}
    _, card = await client.press(
        chat_with(connector, MEMBERS[1].id), MEMBERS[1], "plan.comment", comment
    )
    assert "Din kommentar er sendt" in card_text(card), card_text(card)
    await server.settle()
    group = Chat("19:forget@thread.v2", True, connector.service_url)
    others = [m for m in MEMBERS if m != target]
    next_setup = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in others),
        "date": "2099-12-01",
    }
    _, card = await client.press(group, LEADER, "setup.save", next_setup)
    next_id = str(card["actions"][0]["data"]["conversation"])
    stored, _ = await server.parts.store.load(f"conversations/{next_id}")
    assert stored.previous is not None and stored.participant(target.id) is None
    third = Chat("19:forget-live@thread.v2", True, connector.service_url)
    live_id = await prepared_grus(client, (server,), connector, third)
    data = {"conversation": live_id}
    await client.press(third, LEADER, "live.start", data)
    await client.press(
        third,
        MEMBERS[1],
        "agreement.add",
        {**data, **agreement(1), "new.who": f"{target.name} og resten af gruppen"},
    )
    await client.press(
        third, target, "note.add", {**data, "note.perspective": "adfaerd", "note.text": "Min note"}
    )
    await server.settle()
    root = server.settings.local_storage_dir

    def every_stored_byte() -> bytes:
        return b"\n".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())

    traces = (target.name, target.id, target.aad)
    assert all(t.encode() in every_stored_byte() for t in traces)
    index = server.parts.index  # they are in the year's index too
    assert await index.entries_for(Person(target.id, "", target.aad))
    assert (await index.check()).repaired == []
    await server.stop()  # the CLI works on the same stores, as an admin would run it
    env = {**os.environ, "LOCAL_STORAGE_DIR": str(root)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "manage.py",
        "forget",
        target.id,
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert "erased from 3 conversation" in out.decode()

    everything = every_stored_byte()
    for trace in traces:
        assert trace.encode() not in everything, trace
    files = {p.name: p for p in (root / "conversations").glob("*.json")}
    first = json.loads(files[f"conversations%{conversation_id}.json"].read_text())["record"]
    names = [p["name"] for p in first["participants"]]
    assert ERASED_NAME in names and MEMBERS[1].name in names
    assert first["agreements"][0]["responsible"] == ERASED_NAME
    assert first["notes"][0]["text"] == "Fælles note"  # what the group wrote together stays
    assert first["approvals"][0]["user_id"].startswith("erased-")
    assert first["comments"][0]["text"] == f"{ERASED_NAME} bør have en mentor"
    later = json.loads(files[f"conversations%{next_id}.json"].read_text())["record"]
    assert later["previous"]["agreements"][0]["responsible"] == ERASED_NAME
    live = json.loads(files[f"conversations%{live_id}.json"].read_text())["record"]
    assert live["live"]["last_actor"].startswith("erased-")
    assert live["agreements"][0]["details"]["who"] == f"{ERASED_NAME} og resten af gruppen"
    assert not list((root / "documents").rglob(f"*{conversation_id}*/*.docx"))
    # The year's index: their own records are gone, the others' follow the erased state.
    erased_index = YearIndex(FileStore(root / "conversations", CONVERSATION), datetime.now)
    assert await erased_index.entries_for(Person(target.id, "", target.aad)) == []
    assert (await erased_index.check()).repaired == []
