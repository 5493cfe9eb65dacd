"""Fixtures for the fault tests: the real app over HTTP, the Bot Connector stand-in, and an
Azurite of our own that a test can stop and start again on the same port and data folder.

Nothing is mocked: storage outages are a stopped Azurite process, restarts are a second app
instance on the same store, connector faults are the stand-in's injected answers.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.deliveries import Delivery
from settings import Settings
from tests.app.harness import BotServer, Chat, Client, User, card_of, card_text, user, verbs_on
from tests.support.azurite import AZURITE_BLOB, REPO_ROOT, Azurite, _free_port, _wait_for_port
from tests.support.connector import ConnectorStandIn

LEADER = user(1, "Lene Leder")
MEMBERS = [user(n, f"Medlem {n}") for n in range(2, 7)]  # with the leader, a GRUS of 6
EVERYONE = [LEADER, *MEMBERS]
KEYWORDS = ["Motivation", "Sparring", "Nærvær"]
STORAGE_DOWN = "Jeg kan ikke gemme lige nu. Intet er gået tabt – prøv venligst igen om et øjeblik."


class ControlledAzurite:
    """An azurite-blob process of our own: ``stop()`` and ``start()`` keep port and data."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self.port = _free_port()
        self.info = Azurite(port=self.port, location=location)
        self._proc: subprocess.Popen[bytes] | None = None
        self._starts = 0

    @property
    def connection_string(self) -> str:
        return self.info.connection_string

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        assert not self.running
        if not AZURITE_BLOB.exists():
            pytest.fail(
                f"Azurite is not installed ({AZURITE_BLOB.relative_to(REPO_ROOT)} is missing): "
                "run scripts/setup.sh",
                pytrace=False,
            )
        self._starts += 1
        log_path = self.location.parent / f"azurite-{self._starts}.log"
        command = [str(AZURITE_BLOB), "--blobHost", "127.0.0.1", "--blobPort", str(self.port)]
        command += ["--location", str(self.location), "--skipApiVersionCheck", "--loose"]
        command += ["--disableTelemetry", "--silent"]
        deadline = time.monotonic() + 10
        while True:  # wait until the old process has let go of the port (as Node binds it)
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", self.port))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        with log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        _wait_for_port(self._proc, self.port, log_path)

    def stop(self) -> None:
        """A graceful stop (SIGTERM): Azurite writes its metadata and exits; the port refuses."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def own_azurite(tmp_path: Path) -> Iterator[ControlledAzurite]:
    location = tmp_path / "azurite-data"
    location.mkdir()
    azurite = ControlledAzurite(location)
    azurite.start()
    try:
        yield azurite
    finally:
        azurite.stop()


@pytest.fixture
async def connector() -> AsyncIterator[ConnectorStandIn]:
    async with ConnectorStandIn() as stand_in:
        yield stand_in


def fast_retries(server: BotServer) -> BotServer:
    """The bot's own Teams retry policy, with short back-off (Retry-After is still honoured)."""
    policy_type = type(server.parts.teams.policy)
    server.parts.teams.policy = policy_type(attempts=6, base=0.02, cap=0.1)
    return server


async def start_server(env: dict[str, str]) -> BotServer:
    return fast_retries(await BotServer(Settings.from_env(env)).start())


async def settle(*servers: BotServer) -> None:
    for _ in range(3):  # follow-up work of one instance can start work on the other
        for server in servers:
            await server.settle()


def one_to_one(connector: ConnectorStandIn, person: User) -> Chat:
    chat_id = next(
        cid for cid, c in connector.conversations.items() if c["members"][0]["id"] == person.id
    )
    return Chat(chat_id, False, connector.service_url)


async def prepared_grus(
    client: Client, servers: tuple[BotServer, ...], connector: ConnectorStandIn, group: Chat
) -> str:
    """A GRUS set up in ``group`` whose participants have all chosen their keywords."""
    connector.set_roster(group.id, [u.member() for u in EVERYONE])
    status, card = await client.press(group, LEADER, "setup.save", setup_data())
    assert status == 200, card
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await settle(*servers)
    await everyone_chooses(client, connector, conversation_id)
    await settle(*servers)
    return conversation_id


async def everyone_chooses(
    client: Client, connector: ConnectorStandIn, conversation_id: str
) -> None:
    """Every participant picks ``KEYWORDS`` on the preparation card in their 1:1 chat."""
    for person in EVERYONE:
        status, card = await client.press(
            one_to_one(connector, person),
            person,
            "prep.keywords",
            {"conversation": conversation_id, "keywords": ",".join(KEYWORDS)},
        )
        assert status == 200, card_text(card)


def setup_data(**overrides: str) -> dict[str, Any]:
    return {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in MEMBERS),
        "date": "2099-01-05",
        "variant": "skema",
        **overrides,
    }


def agreement(n: int) -> dict[str, Any]:
    return {
        "form": "new",
        "new.perspective": ("adfaerd", "struktur", "opgaver")[n % 3],
        "new.what": f"Aftale nummer {n:02d}",
        "new.when": "Inden sommer",
        "new.who": "Hele gruppen",
        "new.responsible": MEMBERS[n % len(MEMBERS)].id,
        "new.follow_up": "2099-06-01",
        "new.value": "",
    }


async def stored(server: BotServer, conversation_id: str) -> Any:
    conversation, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    return conversation


async def delivered(server: BotServer, conversation_id: str) -> Delivery:
    """The bot's own record of where it reached the conversation's people."""
    return await server.parts.deliveries.get(conversation_id)


def live_card_id(connector: ConnectorStandIn, group: Chat) -> str:
    """The activity id of the one shared live card posted in ``group``."""
    posted = [
        s.activity_id
        for s in connector.sent
        if s.op in ("send", "reply")
        and s.conversation_id == group.id
        and "live.refresh" in verbs_on(card_of(s.body))
    ]
    assert len(posted) == 1, f"expected one live card in the chat\n{connector.summary()}"
    return posted[0]


def live_card_text(connector: ConnectorStandIn, group: Chat, live_id: str) -> str:
    """Everything the shared live card shows now (after all edits)."""
    return card_text(card_of(connector.current_activity(group.id, live_id) or {}))
