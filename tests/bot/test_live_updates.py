"""Coalescing of live-card edits, deterministically: the edit is held open while requests pile up."""

from __future__ import annotations

import asyncio

from bot.live_updates import CardUpdates


async def test_a_burst_of_requests_costs_two_edits_and_the_last_sees_the_newest_state() -> None:
    gate = asyncio.Event()
    state = {"version": 0}
    edits: list[int] = []

    async def edit(conversation_id: str) -> None:
        edits.append(state["version"])
        await gate.wait()

    updates = CardUpdates(edit, spacing=0)
    first = updates.request("c1")
    await asyncio.sleep(0)  # the first edit is in flight
    for version in range(1, 21):
        state["version"] = version
        assert updates.request("c1") is first  # piles up on the running task
    gate.set()
    await first
    assert edits == [0, 20]  # one edit for the first change, one for all the others


async def test_conversations_are_edited_independently_and_failures_do_not_stop_later_edits() -> (
    None
):
    calls: list[str] = []

    async def edit(conversation_id: str) -> None:
        calls.append(conversation_id)
        if len(calls) == 1:
            raise RuntimeError("connector down")

    updates = CardUpdates(edit, spacing=0)
    await asyncio.gather(updates.request("a"), updates.request("b"))
    await updates.request("a")
    assert sorted(calls) == ["a", "a", "b"]
