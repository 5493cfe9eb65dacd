"""The readiness check on the file store: ready over HTTP, one storage read for many probes at
once, a stuck or failing store answered within the bound with a short reason."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from bot.health import PROBE_KEY, Readiness
from settings import Settings
from storage.errors import StorageError
from storage.file_store import FileStore
from storage.schemas import CONVERSATION
from tests.app.harness import BotServer


class Counting(FileStore[Any]):
    """The file store, counting loads; ``stall`` or ``fail`` turns the next loads bad."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, CONVERSATION)
        self.loads: list[str] = []
        self.stall = 0.0
        self.fail = False

    async def load(self, key: str) -> tuple[Any, str | None]:
        self.loads.append(key)
        if self.stall:
            await asyncio.sleep(self.stall)
        if self.fail:
            raise StorageError(f"cannot read {key}")
        return await super().load(key)


async def test_readyz_on_the_file_store(tmp_path: Path) -> None:
    settings = Settings.from_env({"LOCAL_STORAGE_DIR": str(tmp_path / "data")})
    server = await BotServer(settings).start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{server.url}/readyz") as response:
                assert response.status == 200
                assert await response.json() == {"status": "ready"}
            async with session.get(f"{server.url}/healthz") as response:
                assert response.status == 200
                assert (await response.json())["storage"] == "local-files"
        assert await server.parts.store.keys("readiness") == []  # the probe stores nothing
    finally:
        await server.stop()


async def test_probes_at_once_share_one_read_and_a_result_is_reused_briefly(
    tmp_path: Path,
) -> None:
    store = Counting(tmp_path)
    now = [100.0]
    readiness = Readiness(store, reuse=1.0, clock=lambda: now[0])
    store.stall = 0.05
    assert await asyncio.gather(*(readiness.check() for _ in range(50))) == [None] * 50
    assert store.loads == [PROBE_KEY]
    now[0] += 0.5
    assert await readiness.check() is None and len(store.loads) == 1
    now[0] += 1.0
    assert await readiness.check() is None and len(store.loads) == 2
    await store.close()


async def test_a_stuck_or_failing_store_is_not_ready_within_the_bound(tmp_path: Path) -> None:
    store = Counting(tmp_path)
    readiness = Readiness(store, timeout=0.2, reuse=0)
    store.stall = 5.0
    assert await asyncio.wait_for(readiness.check(), 1) == "storage did not answer in time"
    store.stall, store.fail = 0.0, True
    assert await readiness.check() == "storage unreachable"
    store.fail = False
    assert await readiness.check() is None
    await store.close()
