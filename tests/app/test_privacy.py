"""Data protection against the real stores: retention deletes state and plans; a person can be
erased on request (also through ``manage.py``), leaving what the group agreed."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.housekeeping import Housekeeping
from dialogs.privacy import ERASED_NAME
from tests.app.harness import BotServer, Chat, Client
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
    housekeeping = Housekeeping(
        server.parts.store,
        documents,
        server.parts.deliveries,
        retention=timedelta(days=400),
        unfinished_retention=timedelta(days=180),
    )
    assert await housekeeping.purge_expired(datetime.now() + timedelta(days=30)) == 0
    assert await housekeeping.purge_expired(datetime.now() + timedelta(days=401)) == 1
    assert await server.parts.store.keys("conversations/") == []
    assert await server.parts.store.keys("deliveries/") == []
    assert await documents.versions(old) == []


async def test_a_person_is_erased_on_request(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    conversation_id = await finished_grus(client, server, connector, "forget")
    target = MEMBERS[0]
    raw_before = (
        (server.settings.local_storage_dir / "conversations").read_bytes() if False else b""
    )
    del raw_before

    def stored_plans() -> list[Path]:
        root = server.settings.local_storage_dir / "documents"
        return [p for p in root.rglob("*") if conversation_id in str(p) and p.is_file()]

    assert stored_plans()
    await server.stop()  # the CLI works on the same stores, as an admin would run it
    env = {**os.environ, "LOCAL_STORAGE_DIR": str(server.settings.local_storage_dir)}
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
    assert "erased from 1 conversation" in out.decode()

    files = list((server.settings.local_storage_dir / "conversations").glob("*.json"))
    stored = "\n".join(f.read_text(encoding="utf-8") for f in files)
    assert target.name not in stored and target.id not in stored and target.aad not in stored
    (kept,) = [f for f in files if f.name.startswith("conversations%")]
    data = json.loads(kept.read_text(encoding="utf-8"))["record"]
    names = [p["name"] for p in data["participants"]]
    assert ERASED_NAME in names and MEMBERS[1].name in names
    assert data["agreements"][0]["responsible"] == ERASED_NAME
    assert data["notes"][0]["text"] == "Fælles note"  # what the group wrote together stays
    assert not list(
        (server.settings.local_storage_dir / "documents").rglob(f"*{conversation_id}*/*.docx")
    )
