"""``storage.deadline``: a press's time is bounded, and nothing is stored after it gave up.

The store is held at gates the test opens, so whether the deadline passes before, during or after
the save is decided by the test; the deadlines themselves are short (the gate outlasts them).
Runs on the file store and on Azurite.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.tasks import Tasks
from dialogs.conversation import Conversation
from storage import deadline
from storage.commit import GroupCommit
from storage.deadline import State, TooLate, within
from storage.protocols import ConversationStore
from storage.update import update
from tests.storage import make_conversation
from tests.storage.test_commit import KEY, GatedStore, add, note_ids

SHORT = 0.05  # seconds: a deadline the held gate always outlasts
GRACE = 0.05


class LoadGatedStore(GatedStore):
    """Also holds loads at a gate (``hold_loads``) until ``release_loads``."""

    def __init__(self, inner: ConversationStore) -> None:
        super().__init__(inner)
        self.load_held = asyncio.Event()
        self._loads_open = asyncio.Event()
        self._loads_open.set()

    def hold_loads(self) -> None:
        self._loads_open.clear()

    def release_loads(self) -> None:
        self._loads_open.set()

    async def load(self, key: str) -> tuple[Conversation | None, str | None]:
        if not self._loads_open.is_set():
            self.load_held.set()
            await self._loads_open.wait()
        return await super().load(key)


async def press(committer: GroupCommit[Conversation], note: str, seconds: float) -> Any:
    """A press that adds ``note`` under a deadline; returns (outcome, deadline state)."""
    state = State.OPEN
    try:
        async with within(seconds, grace=GRACE) as d:
            try:
                result = await committer.submit(KEY, add(note))
            finally:
                state = d.state
            return result, state
    except TimeoutError:
        return "timed out", state


async def test_a_press_whose_time_is_up_before_the_save_stores_nothing_ever(
    store: ConversationStore,
) -> None:
    base = make_conversation()
    await store.save(KEY, base, None)
    gate = LoadGatedStore(store)
    committer = GroupCommit(gate)
    gate.hold_loads()
    outcome = await press(committer, "n-late", SHORT)
    assert outcome == ("timed out", State.OPEN)
    gate.release_loads()  # the store answers after all: the change must not be applied late
    await committer.drained()
    stored, _ = await store.load(KEY)
    assert note_ids(stored) == note_ids(base) and gate.saves == 0


async def test_a_save_that_started_in_time_gets_the_grace_and_reports_written(
    store: ConversationStore,
) -> None:
    await store.save(KEY, make_conversation(), None)
    gate = GatedStore(store)
    committer = GroupCommit(gate)
    gate.hold()
    task = asyncio.create_task(press(committer, "n-a", 5.0))
    await gate.held.wait()  # the save has begun: its point of no return
    gate.release()
    (_, result), state = await task
    assert (result, state) == ("n-a", State.WRITTEN)
    stored, _ = await store.load(KEY)
    assert note_ids(stored)[-1] == "n-a"


async def test_a_save_that_outlasts_the_grace_is_reported_as_unknown(
    store: ConversationStore,
) -> None:
    await store.save(KEY, make_conversation(), None)
    gate = GatedStore(store)
    committer = GroupCommit(gate)
    gate.hold()
    task = asyncio.create_task(press(committer, "n-a", 5.0))
    await gate.held.wait()
    # The deadline was 5 s, but once the save began only the grace is left: it runs out.
    assert await asyncio.wait_for(task, 2.0) == ("timed out", State.WRITING)
    gate.release()  # the save goes on without the press, and its outcome was honestly unknown
    await committer.drained()
    stored, _ = await store.load(KEY)
    assert note_ids(stored)[-1] == "n-a"


async def test_only_the_changes_with_time_left_join_the_next_batch(
    store: ConversationStore,
) -> None:
    base = make_conversation()
    await store.save(KEY, base, None)
    gate = GatedStore(store)
    committer = GroupCommit(gate)
    gate.hold()
    first = asyncio.create_task(committer.submit(KEY, add("n-first")))
    await gate.held.wait()
    hurried = asyncio.create_task(press(committer, "n-hurried", SHORT))
    patient = asyncio.create_task(press(committer, "n-patient", 5.0))
    assert await hurried == ("timed out", State.OPEN)
    gate.release()
    await first
    (_, result), state = await patient
    assert (result, state) == ("n-patient", State.WRITTEN)
    stored, _ = await store.load(KEY)
    assert note_ids(stored)[len(base.notes) :] == ["n-first", "n-patient"]


async def test_update_starts_no_save_after_the_time_is_up(store: ConversationStore) -> None:
    await store.save(KEY, make_conversation(), None)
    gate = LoadGatedStore(store)

    async def late_update() -> None:
        async with within(SHORT, grace=GRACE):
            gate.hold_loads()
            loading = asyncio.create_task(update(gate, KEY, add("n-x")))
            await gate.load_held.wait()
            await asyncio.sleep(SHORT * 2)  # the time runs out while the load is held
            gate.release_loads()
            await asyncio.shield(loading)

    with pytest.raises(TimeoutError):
        await late_update()
    await asyncio.sleep(0.05)
    assert gate.saves == 0


async def test_check_refuses_once_the_time_is_up() -> None:
    with pytest.raises(TimeoutError):
        async with within(SHORT, grace=GRACE) as d:
            d.check()
            try:
                await asyncio.sleep(1)
            finally:
                with pytest.raises(TooLate):
                    d.check()


async def test_background_work_spawned_by_a_press_has_no_deadline() -> None:
    seen: list[object] = []

    async def work() -> None:
        seen.append(deadline.current())

    tasks = Tasks()
    async with within(5.0, grace=GRACE) as d:
        assert deadline.current() is d
        tasks.spawn(work())
    await tasks.drain()
    assert seen == [None] and deadline.current() is None
