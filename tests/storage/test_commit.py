"""``storage.commit.GroupCommit``: the changes queued behind a save in flight share the next one.

Deterministic: a ``GatedStore`` holds every save until the test lets it go, so which changes
queue behind which save is decided by the test, never by timing. Runs on the file store and on
Azurite (two committers on one container stand for two instances).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dialogs.conversation import Conversation
from storage.commit import GroupCommit
from storage.errors import ConflictError, StorageError
from storage.protocols import ConversationStore
from tests.storage import make_conversation, with_note

KEY = "conversations/c-0001"


class GatedStore:
    """A real store whose saves wait at a gate (``hold``) until ``release``; it counts calls and
    can fail the next save or load."""

    def __init__(self, inner: ConversationStore) -> None:
        self.inner = inner
        self.loads = 0
        self.saves = 0
        self.held = asyncio.Event()  # a save is waiting at the gate
        self._open = asyncio.Event()
        self._open.set()
        self.fail_next: Exception | None = None

    def hold(self) -> None:
        self._open.clear()
        self.held.clear()

    def release(self) -> None:
        self._open.set()

    async def load(self, key: str) -> tuple[Conversation | None, str | None]:
        self.loads += 1
        return await self.inner.load(key)

    async def save(self, key: str, record: Conversation, etag: str | None) -> str:
        self.saves += 1
        if not self._open.is_set():
            self.held.set()
            await self._open.wait()
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        return await self.inner.save(key, record, etag)

    async def delete(self, key: str, etag: str | None = None) -> None:
        await self.inner.delete(key, etag)

    async def keys(self, prefix: str = "") -> list[str]:
        return await self.inner.keys(prefix)

    async def close(self) -> None:
        await self.inner.close()

    def with_codec(self, codec: Any) -> Any:
        return self.inner.with_codec(codec)


def add(note_id: str) -> Any:
    def transition(current: Conversation | None) -> tuple[Conversation, str]:
        assert current is not None
        return with_note(current, note_id), note_id

    return transition


def refuse(current: Conversation | None) -> tuple[Conversation, str]:
    raise ValueError("refused by the domain")


def note_ids(conversation: Conversation | None) -> list[str]:
    assert conversation is not None
    return [n.id for n in conversation.notes]


async def start_held(committer: GroupCommit[Conversation], gate: GatedStore, first: str) -> Any:
    """Submit ``first`` and wait until its save is held at the gate."""
    gate.hold()
    task = asyncio.create_task(committer.submit(KEY, add(first)))
    await gate.held.wait()
    return task


async def queued(committer: GroupCommit[Conversation], *transitions: Any) -> list[Any]:
    tasks = [asyncio.create_task(committer.submit(KEY, t)) for t in transitions]
    await asyncio.sleep(0)  # they are now queued behind the save in flight
    return tasks


async def test_changes_queued_behind_a_save_share_the_next(store: ConversationStore) -> None:
    base = make_conversation()
    await store.save(KEY, base, None)
    gate = GatedStore(store)
    committer = GroupCommit(gate)
    first = await start_held(committer, gate, "n-a")
    rest = await queued(committer, add("n-b"), add("n-c"), add("n-d"))
    gate.release()
    results = await asyncio.gather(first, *rest)
    assert [result for _, result in results] == ["n-a", "n-b", "n-c", "n-d"]
    assert (gate.saves, committer.stats.batches, committer.stats.changes) == (2, 2, 4)
    stored, _ = await store.load(KEY)
    assert note_ids(stored)[len(base.notes) :] == ["n-a", "n-b", "n-c", "n-d"]
    assert results[-1][0] == stored  # each is answered with the state saved for its batch
    assert len(committer) == 0  # nothing left queued for the key


async def test_a_refused_change_in_a_batch_saves_nothing_of_its_own(
    store: ConversationStore,
) -> None:
    await store.save(KEY, make_conversation(), None)
    gate = GatedStore(store)
    committer = GroupCommit(gate)
    first = await start_held(committer, gate, "n-a")
    ok_before, refused, ok_after = await queued(committer, add("n-b"), refuse, add("n-c"))
    gate.release()
    await asyncio.gather(first, ok_before, ok_after)
    with pytest.raises(ValueError, match="refused by the domain"):
        await refused
    stored, _ = await store.load(KEY)
    assert note_ids(stored)[-3:] == ["n-a", "n-b", "n-c"]
    assert gate.saves == 2


async def test_a_batch_of_only_refusals_and_no_ops_saves_nothing(
    store: ConversationStore,
) -> None:
    etag = await store.save(KEY, make_conversation(), None)
    gate = GatedStore(store)
    committer = GroupCommit(gate)
    tasks = await queued(committer, refuse, lambda c: (c, "nothing"))
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(outcomes[0], ValueError) and outcomes[1][1] == "nothing"
    assert gate.saves == 0 and (await store.load(KEY))[1] == etag


async def test_a_conflicting_save_re_applies_the_batch_on_the_fresh_state(
    two_stores: tuple[ConversationStore, ConversationStore],
) -> None:
    """Two instances: A's batch is held while B saves; A's save then conflicts, A reloads and
    re-applies its whole batch on B's state, so every change is kept exactly once."""
    store_a, store_b = two_stores
    await store_a.save(KEY, make_conversation(), None)
    gate = GatedStore(store_a)
    instance_a, instance_b = GroupCommit(gate), GroupCommit(store_b)
    first = await start_held(instance_a, gate, "a-1")
    rest = await queued(instance_a, add("a-2"), add("a-3"))
    await instance_b.submit(KEY, add("b-1"))  # the other instance gets in first
    gate.release()
    await asyncio.gather(first, *rest)
    stored, _ = await store_b.load(KEY)
    ids = note_ids(stored)
    assert sorted(i for i in ids if i[:2] in ("a-", "b-")) == ["a-1", "a-2", "a-3", "b-1"]
    assert ids[-3:] == ["a-1", "a-2", "a-3"]  # re-applied in order after B's change
    assert instance_a.stats.conflicts >= 1


async def test_interleaved_changes_from_two_instances_are_kept_exactly_once(
    two_stores: tuple[ConversationStore, ConversationStore],
) -> None:
    store_a, store_b = two_stores
    await store_a.save(KEY, make_conversation(), None)
    instances = [GroupCommit(store_a), GroupCommit(store_b)]
    ids = [f"x-{i:02d}" for i in range(40)]
    await asyncio.gather(*(instances[i % 2].submit(KEY, add(n)) for i, n in enumerate(ids)))
    stored, _ = await store_a.load(KEY)
    kept = [n for n in note_ids(stored) if n.startswith("x-")]
    assert sorted(kept) == ids  # all, once each
    assert [n for n in kept if ids.index(n) % 2 == 0] == ids[::2]  # each instance keeps order
    saves = sum(c.stats.batches for c in instances)
    assert saves < len(ids)  # grouped: fewer saves than changes


async def test_a_failed_save_fails_the_batch_and_those_waiting_and_stores_nothing(
    store: ConversationStore,
) -> None:
    etag = await store.save(KEY, make_conversation(), None)
    gate = GatedStore(store)
    committer = GroupCommit(gate)
    first = await start_held(committer, gate, "n-a")
    waiting = await queued(committer, add("n-b"), add("n-c"))
    gate.fail_next = StorageError("storage is down")
    gate.release()
    outcomes = await asyncio.gather(first, *waiting, return_exceptions=True)
    assert all(isinstance(o, StorageError) for o in outcomes), outcomes
    assert len({id(o) for o in outcomes}) == 3  # each its own exception object
    assert (await store.load(KEY))[1] == etag
    assert await committer.submit(KEY, add("n-d"))  # later changes try again
    assert note_ids((await store.load(KEY))[0])[-1] == "n-d"


async def test_conflicts_beyond_the_attempts_fail_the_batch(store: ConversationStore) -> None:
    await store.save(KEY, make_conversation(), None)

    class Conflicting(GatedStore):
        async def save(self, key: str, record: Conversation, etag: str | None) -> str:
            self.saves += 1
            raise ConflictError("another instance")

    conflicting = Conflicting(store)
    committer = GroupCommit(conflicting, attempts=2)
    with pytest.raises(ConflictError):
        await committer.submit(KEY, add("n-a"))
    assert conflicting.saves == 2


async def test_a_change_whose_submitter_gave_up_is_never_applied(
    store: ConversationStore,
) -> None:
    await store.save(KEY, make_conversation(), None)
    gate = GatedStore(store)
    committer = GroupCommit(gate)
    first = await start_held(committer, gate, "n-a")
    (abandoned, kept) = await queued(committer, add("n-gone"), add("n-b"))
    abandoned.cancel()
    gate.release()
    await asyncio.gather(first, kept)
    assert "n-gone" not in note_ids((await store.load(KEY))[0])


async def test_a_change_that_waited_too_long_is_refused_busy_unapplied(
    store: ConversationStore,
) -> None:
    await store.save(KEY, make_conversation(), None)
    gate = GatedStore(store)
    now = [0.0]
    committer = GroupCommit(gate, max_wait=5.0, clock=lambda: now[0])
    first = await start_held(committer, gate, "n-a")
    (late,) = await queued(committer, add("n-late"))
    now[0] = 6.0  # the save in flight took longer than the late change may wait
    gate.release()
    await first
    with pytest.raises(ConflictError, match="busy"):
        await late
    assert "n-late" not in note_ids((await store.load(KEY))[0])


async def test_without_grouping_each_change_is_its_own_save(store: ConversationStore) -> None:
    await store.save(KEY, make_conversation(), None)
    gate = GatedStore(store)
    committer = GroupCommit(gate, max_batch=1)
    first = await start_held(committer, gate, "n-a")
    rest = await queued(committer, add("n-b"), add("n-c"))
    gate.release()
    await asyncio.gather(first, *rest)
    assert (gate.loads, gate.saves, committer.stats.batches) == (3, 3, 3)


async def test_a_batch_never_exceeds_its_maximum(store: ConversationStore) -> None:
    await store.save(KEY, make_conversation(), None)
    gate = GatedStore(store)
    committer = GroupCommit(gate, max_batch=2)
    first = await start_held(committer, gate, "n-a")
    rest = await queued(committer, *(add(f"n-{i}") for i in range(5)))
    gate.release()
    await asyncio.gather(first, *rest)
    assert committer.stats.batches == 4  # 1, then 2 + 2 + 1
