"""``storage.locks.KeyedLocks``: one holder per key at a time, bounded waiting, no leak."""

from __future__ import annotations

import asyncio

import pytest

from storage.errors import ConflictError, StorageError
from storage.locks import KeyedLocks


async def test_holders_of_one_key_take_turns_and_other_keys_do_not_wait() -> None:
    locks = KeyedLocks()
    inside: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}

    async def work(key: str) -> None:
        async with locks.hold(key):
            inside[key] += 1
            most[key] = max(most[key], inside[key])
            await asyncio.sleep(0.001)
            inside[key] -= 1

    await asyncio.gather(*(work("a" if i % 2 else "b") for i in range(40)))
    assert most == {"a": 1, "b": 1}
    assert len(locks) == 0  # dropped once nobody holds or waits


async def test_waiting_longer_than_wait_is_refused_as_busy() -> None:
    locks = KeyedLocks()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("k"):
            await release.wait()

    task = asyncio.create_task(holder())
    await asyncio.sleep(0)
    with pytest.raises(ConflictError):
        async with locks.hold("k", wait=0.01):
            pass  # pragma: no cover - never entered
    release.set()
    await task
    assert len(locks) == 0
    async with locks.hold("k", wait=0.01):
        assert len(locks) == 1


async def test_an_error_inside_releases_the_lock() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            raise RuntimeError("boom")
    async with locks.hold("k", wait=0.01):
        pass
    assert len(locks) == 0


async def test_a_shared_failure_fails_those_already_waiting_and_not_later_ones() -> None:
    locks = KeyedLocks()
    started = asyncio.Event()
    tried: list[int] = []

    def store_down(error: Exception) -> bool:
        return isinstance(error, StorageError)

    async def press(n: int) -> str:
        try:
            async with locks.hold("k", shared=store_down):
                tried.append(n)
                if n == 0:
                    started.set()
                    await asyncio.sleep(0.01)
                    raise StorageError("down")
                return "ok"
        except StorageError as error:
            return f"failed: {error}"

    first = asyncio.create_task(press(0))
    await started.wait()
    waiting = [asyncio.create_task(press(n)) for n in (1, 2, 3)]
    assert await asyncio.gather(first, *waiting) == ["failed: down"] * 4
    assert tried == [0]  # those queued behind the failure never touched the store
    assert await press(4) == "ok"  # a later press tries again
    assert len(locks) == 0


async def test_an_unshared_failure_lets_the_next_one_try() -> None:
    locks = KeyedLocks()
    started = asyncio.Event()

    async def press(n: int) -> str:
        try:
            async with locks.hold("k", shared=lambda e: not isinstance(e, ConflictError)):
                if n == 0:
                    started.set()
                    await asyncio.sleep(0.01)
                    raise ConflictError("stale")
                return "ok"
        except StorageError as error:
            return f"failed: {error}"

    first = asyncio.create_task(press(0))
    await started.wait()
    assert await asyncio.gather(first, press(1)) == ["failed: stale", "ok"]
