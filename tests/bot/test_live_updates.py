"""Coalescing of live-card edits, deterministically: edits are held open while requests pile up,
and the spacing between edits is zero, so no test waits on time."""

from __future__ import annotations

import asyncio

from bot.live_updates import CardUpdates


class Card:
    """A fake card: records what each edit showed, and settles against a "store" version."""

    def __init__(self, stored: int = 0) -> None:
        self.gate = asyncio.Event()
        self.gate.set()
        self.edits: list[int] = []
        self.settled: list[int] = []
        self.stored = stored

    async def edit(self, key: str, version: int) -> None:
        self.edits.append(version)
        await self.gate.wait()

    async def settle(self, key: str, shown: int) -> None:
        self.settled.append(shown)
        if self.stored > shown:
            self.edits.append(self.stored)

    def updates(self) -> CardUpdates[int]:
        return CardUpdates(self.edit, self.settle, version=lambda v: v, spacing=0)


async def test_a_burst_of_requests_costs_two_edits_and_the_last_shows_the_newest() -> None:
    card = Card()
    card.gate.clear()
    updates = card.updates()
    first = updates.request("c1", 1)
    await asyncio.sleep(0)  # the first edit is in flight
    for version in range(2, 21):
        assert updates.request("c1", version) is first  # piles up on the running task
    updates.request("c1", 7)  # an older state arriving late is never shown
    card.gate.set()
    await first
    assert card.edits == [1, 20]  # one edit for the first change, one for all the others
    assert card.settled == [20]  # then one check against the store, after the burst


async def test_a_newer_save_of_another_instance_is_shown_when_the_burst_ends() -> None:
    card = Card(stored=25)
    await card.updates().request("c1", 20)
    assert card.edits == [20, 25]


async def test_conversations_are_edited_independently_and_failures_do_not_stop_later_edits() -> (
    None
):
    calls: list[str] = []

    async def edit(key: str, version: int) -> None:
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("connector down")

    async def settle(key: str, shown: int) -> None:
        return None

    updates = CardUpdates(edit, settle, version=lambda v: v, spacing=0)
    await asyncio.gather(updates.request("a", 1), updates.request("b", 1))
    await updates.request("a", 2)
    assert sorted(calls) == ["a", "a", "b"]


async def test_a_change_arriving_while_settling_is_still_shown() -> None:
    shown: list[int] = []
    updates: CardUpdates[int]

    async def edit(key: str, version: int) -> None:
        shown.append(version)

    async def settle(key: str, last: int) -> None:
        if last == 1:
            updates.request(key, 2)  # a press lands while the store is read

    updates = CardUpdates(edit, settle, version=lambda v: v, spacing=0)
    await updates.request("c1", 1)
    assert shown == [1, 2]


async def test_edits_of_one_card_are_spaced_and_the_first_change_is_shown_at_once() -> None:
    now = [100.0]
    edits: list[tuple[float, int]] = []

    async def edit(key: str, version: int) -> None:
        edits.append((now[0], version))

    async def settle(key: str, shown: int) -> None:
        return None

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    updates = CardUpdates(
        edit, settle, version=lambda v: v, spacing=1.0, clock=lambda: now[0], sleep=sleep
    )
    await updates.request("c1", 1)  # shown at once
    now[0] += 0.25
    await updates.request("c1", 2)  # 0.25 s later: waits for its turn
    now[0] += 5.0
    await updates.request("c1", 3)  # long after: shown at once again
    assert edits == [(100.0, 1), (101.0, 2), (106.0, 3)]
