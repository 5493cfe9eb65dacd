"""A crash between a conversation's save and its index write, with real processes on Azurite.

The bot runs as ``python app.py``. The leader's index record is held by a blob lease (as another
writer holding it would), so the index write after the next setup cannot land; the process is
killed (SIGKILL) while that write is still trying. The conversation was saved, marked
``index_pending``: the conversation is the truth, and the index is behind (``check`` says so,
"Mine samtaler" does not show it). Then either ``python manage.py reindex`` (a real process)
repairs it, or the next save of that conversation does by itself, whatever the save changes
(sharing the keywords changes nothing of the index); either way the index and the
conversations agree again, and the mark is gone.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from azure.storage.blob.aio import ContainerClient

from bot.tasks import clock_in
from bot.year_index import YearIndex, person_key
from dialogs.conversation import Person
from dialogs.round import current
from storage.blob_store import BlobStore
from storage.schemas import CONVERSATION
from tests.app.harness import Chat, Client, User, card_text, user
from tests.app.test_confidentiality import chat_with
from tests.faults.conftest import start_server
from tests.support.azurite import REPO_ROOT
from tests.support.connector import ConnectorStandIn

pytestmark = pytest.mark.azurite

LEADER = user(1, "Lene Leder")
ANNA, BO = user(2, "Anna Andersen"), user(3, "Bo Bertelsen")
AS_LEADER = Person(LEADER.id, LEADER.name, LEADER.aad)


class Running:
    """``python app.py`` as a deployment runs it, on a free loopback port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> Running:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
            **self.env,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "PUBLIC_BASE_URL": self.url,
            "REMINDER_INTERVAL_SECONDS": "0",
        }
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "app.py",
            cwd=REPO_ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, "app.py did not start"
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
        if self.process is not None:
            await self.process.wait()


@pytest.fixture
async def container(azurite: Any, blob_container_name: str) -> AsyncIterator[ContainerClient]:
    client = ContainerClient.from_connection_string(
        azurite.connection_string, container_name=blob_container_name
    )
    yield client
    await client.close()


def store_env(azurite: Any, container_name: str) -> dict[str, str]:
    return {
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "AZURE_STORAGE_CONTAINER": container_name,
        "AZURE_STORAGE_DOCUMENTS_CONTAINER": container_name + "-docs",
    }


async def set_up_mus(client: Client, connector: ConnectorStandIn, employee: User) -> str:
    home = Chat(f"19:mus-{employee.id}@thread.v2", True, connector.service_url)
    connector.set_roster(home.id, [LEADER.member(), employee.member()])
    today = datetime.now(ZoneInfo("Europe/Copenhagen")).date().isoformat()  # this year's round
    setup = {"conversation": "", "kind": "MUS", "participants": employee.id, "date": today}
    status, card = await client.press(home, LEADER, "setup.save", setup)
    assert status == 200 and "Opsætningen er gemt" in card_text(card), card_text(card)
    return str(card["actions"][0]["data"]["conversation"])


@pytest.mark.parametrize("repair", ["manage.py reindex", "the next save"])
async def test_the_index_agrees_again_after_a_crash_between_the_two_writes(
    repair: str,
    azurite: Any,
    blob_container_name: str,
    container: ContainerClient,
    connector: ConnectorStandIn,
) -> None:
    env = store_env(azurite, blob_container_name)
    first = await Running(env).start()
    store = BlobStore.from_connection_string(
        azurite.connection_string, blob_container_name, CONVERSATION
    )
    index = YearIndex(store, clock_in(ZoneInfo("Europe/Copenhagen")))
    try:
        client = Client(first)  # type: ignore[arg-type]
        anna_mus = await set_up_mus(client, connector, ANNA)
        await asyncio.sleep(1.0)  # its index is written after the answer
        assert (await index.check()).repaired == []

        # Another writer holds the leader's record: the next index write cannot land.
        leader_record = container.get_blob_client(person_key(LEADER.aad))
        lease = await leader_record.acquire_lease(lease_duration=-1)
        bo_mus = await set_up_mus(client, connector, BO)
        await asyncio.sleep(0.5)  # the index write is under way, retrying against the lease
        first.kill()
        await first.wait()
        await lease.release()

        stored, _ = await store.load(f"conversations/{bo_mus}")
        assert stored is not None and stored.index_pending  # saved, and marked
        behind = await index.check()
        assert person_key(LEADER.aad) in behind.repaired
        entries = current(await index.entries_for(AS_LEADER))
        assert [e.conversation_id for e in entries] == [anna_mus]

        if repair == "manage.py reindex":
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "manage.py",
                "reindex",
                cwd=REPO_ROOT,
                env={**os.environ, **env, "PUBLIC_BASE_URL": "http://127.0.0.1"},
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(process.communicate(), timeout=60)
            assert process.returncode == 0, err.decode()
            assert "were repaired from 2 conversation(s)" in out.decode()
        else:
            second = await start_server({**env, "PUBLIC_BASE_URL": "http://127.0.0.1"})
            try:
                client = Client(second)
                # the leader's list is still behind: nothing has touched it yet
                mine = chat_with(connector, LEADER.id)
                _, card = await client.press(mine, LEADER, "my.conversations")
                assert card_text(card).count("**MUS**") == 1
                home = Chat(f"19:mus-{BO.id}@thread.v2", True, connector.service_url)
                _, card = await client.press(home, LEADER, "prep.share", {"conversation": bo_mus})
                assert "MUS – forberedelse" in card_text(card)
                await second.settle()
                _, card = await client.press(mine, LEADER, "my.conversations")
                assert card_text(card).count("**MUS**") == 2
            finally:
                await second.stop()

        assert (await index.check()).repaired == []
        entries = current(await index.entries_for(AS_LEADER))
        assert sorted(e.conversation_id for e in entries) == sorted([anna_mus, bo_mus])
        stored, _ = await store.load(f"conversations/{bo_mus}")
        assert stored is not None and not stored.index_pending
    finally:
        await first.wait()
        await store.close()
