"""``/readyz`` follows storage: ready while Azurite runs, 503 within its bound once Azurite is
stopped (while ``/healthz``, the liveness check, stays 200), ready again once it is back. The
real app over HTTP on our own Azurite, stopped and started on the same port and data."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from bot.health import REUSE, TIMEOUT
from tests.app.harness import BotServer
from tests.faults.conftest import ControlledAzurite, start_server

pytestmark = pytest.mark.azurite

NOT_READY = {"storage unreachable", "storage did not answer in time"}


async def get(server: BotServer, path: str) -> tuple[int, Any, float]:
    started = time.monotonic()
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(f"{server.url}{path}") as response,
    ):
        body = await response.json()
        assert response.headers["Cache-Control"] == "no-store"
        return response.status, body, time.monotonic() - started


async def test_readiness_follows_azurite_and_liveness_does_not(
    own_azurite: ControlledAzurite,
) -> None:
    server = await start_server(
        {
            "AZURE_STORAGE_CONNECTION_STRING": own_azurite.connection_string,
            "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
            "AZURE_STORAGE_CONTAINER": "faults-readiness",
        }
    )
    try:
        status, body, _ = await get(server, "/readyz")
        assert (status, body) == (200, {"status": "ready"})

        own_azurite.stop()
        await asyncio.sleep(REUSE)  # the last answer is no longer reused
        status, body, seconds = await get(server, "/readyz")
        assert status == 503 and body["status"] == "not ready", body
        assert set(body) == {"status", "reason"} and body["reason"] in NOT_READY
        assert seconds < TIMEOUT + 1
        status, body, seconds = await get(server, "/healthz")
        assert (status, body["status"]) == (200, "ok") and seconds < 1

        own_azurite.start()
        await asyncio.sleep(REUSE)
        status, body, _ = await get(server, "/readyz")
        assert (status, body) == (200, {"status": "ready"})
    finally:
        if not own_azurite.running:
            own_azurite.start()
        await server.stop()
