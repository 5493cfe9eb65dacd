"""Fixtures for the HTTP layer: the Bot Connector stand-in and the served app on the local store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from settings import Settings
from tests.app.harness import BotServer, Client
from tests.support.connector import ConnectorStandIn


@pytest.fixture
async def connector() -> AsyncIterator[ConnectorStandIn]:
    async with ConnectorStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def server(tmp_path: Path, connector: ConnectorStandIn) -> AsyncIterator[BotServer]:
    # Depends on the stand-in so that the bot stops (finishing its background work) first.
    settings = Settings.from_env({"LOCAL_STORAGE_DIR": str(tmp_path / "data")})
    bot = await BotServer(settings).start()
    bot.parts.teams.policy = type(bot.parts.teams.policy)(attempts=6, base=0.01, cap=0.05)
    yield bot
    await bot.stop()


@pytest.fixture
def client(server: BotServer) -> Client:
    return Client(server)
