"""``storage.update.update``: refusals save nothing, no-ops skip the save, conflicts retry from a
fresh load and give up after ``attempts``; ``change`` does the same for a record it may delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogs.conversation import Conversation
from storage.errors import ConflictError, CorruptState
from storage.file_store import FileStore
from storage.protocols import ConversationStore
from storage.schemas import CONVERSATION
from storage.update import BACKOFF_CAP, BACKOFF_START, backoff_delay, change, update
from tests.storage import make_conversation, with_note

KEY = "conversations/c-0001"


class Refused(Exception):
    """A domain refusal raised by a transition."""


class CountingStore:
    """A real store that counts calls, and can be told to lose the next ``conflicts`` saves
    (optionally letting a competing writer in first, like a real race)."""

    def __init__(
        self,
        inner: ConversationStore,
        *,
        conflicts: int = 0,
        always_conflict: bool = False,
        competitor_note: str | None = None,
    ) -> None:
        self.inner = inner
        self.conflicts = conflicts
        self.always_conflict = always_conflict
        self.competitor_note = competitor_note
        self.loads = 0
        self.saves = 0

    async def load(self, key: str) -> tuple[Conversation | None, str | None]:
        self.loads += 1
        return await self.inner.load(key)

    async def save(self, key: str, conversation: Conversation, etag: str | None) -> str:
        self.saves += 1
        if self.always_conflict:
            raise ConflictError("always")
        if self.conflicts > 0:
            self.conflicts -= 1
            if self.competitor_note is not None:
                current, current_etag = await self.inner.load(key)
                assert current is not None
                await self.inner.save(key, with_note(current, self.competitor_note), current_etag)
                self.competitor_note = None
            else:
                raise ConflictError("told to")
        return await self.inner.save(key, conversation, etag)

    async def delete(self, key: str, etag: str | None = None) -> None:
        await self.inner.delete(key, etag)

    async def keys(self, prefix: str = "") -> list[str]:
        return await self.inner.keys(prefix)

    async def close(self) -> None:
        await self.inner.close()


@pytest.fixture
async def inner(tmp_path: Path) -> FileStore[Conversation]:
    return FileStore(tmp_path / "state", CONVERSATION)


async def test_a_refused_transition_propagates_and_saves_nothing(
    inner: FileStore[Conversation],
) -> None:
    etag = await inner.save(KEY, make_conversation(), None)
    store = CountingStore(inner)
    calls = 0

    def refuse(current: Conversation | None) -> tuple[Conversation, None]:
        nonlocal calls
        calls += 1
        raise Refused("not in this phase")

    with pytest.raises(Refused):
        await update(store, KEY, refuse)

    assert calls == 1
    assert store.saves == 0
    assert await inner.load(KEY) == (make_conversation(), etag)


async def test_a_refused_create_leaves_the_key_absent(inner: FileStore[Conversation]) -> None:
    def refuse(current: Conversation | None) -> tuple[Conversation, None]:
        assert current is None
        raise Refused("no setup yet")

    with pytest.raises(Refused):
        await update(inner, KEY, refuse)
    assert await inner.load(KEY) == (None, None)
    assert await inner.keys() == []


async def test_an_identity_no_op_skips_the_save(inner: FileStore[Conversation]) -> None:
    etag = await inner.save(KEY, make_conversation(), None)
    store = CountingStore(inner)

    def no_op(current: Conversation | None) -> tuple[Conversation, str]:
        assert current is not None
        return current, "already done"

    conversation, result = await update(store, KEY, no_op)

    assert result == "already done"
    assert conversation == make_conversation()
    assert store.saves == 0
    assert (await inner.load(KEY))[1] == etag


async def test_an_equal_but_new_object_is_saved(inner: FileStore[Conversation]) -> None:
    etag = await inner.save(KEY, make_conversation(), None)
    store = CountingStore(inner)

    await update(store, KEY, lambda current: (make_conversation(), None))

    assert store.saves == 1
    assert (await inner.load(KEY))[1] != etag


async def test_update_creates_when_absent(inner: FileStore[Conversation]) -> None:
    def create(current: Conversation | None) -> tuple[Conversation, str]:
        assert current is None
        return make_conversation(), "created"

    conversation, result = await update(inner, KEY, create)

    assert result == "created"
    assert (await inner.load(KEY))[0] == conversation == make_conversation()


async def test_a_conflict_reloads_and_applies_the_transition_to_the_fresh_state(
    inner: FileStore[Conversation],
) -> None:
    await inner.save(KEY, make_conversation(), None)
    store = CountingStore(inner, conflicts=1, competitor_note="theirs")
    seen: list[tuple[str, ...]] = []

    def add_mine(current: Conversation | None) -> tuple[Conversation, str]:
        assert current is not None
        seen.append(tuple(n.id for n in current.notes))
        return with_note(current, "mine"), "ok"

    saved, _ = await update(store, KEY, add_mine)

    assert seen == [("n1",), ("n1", "theirs")]
    assert [n.id for n in saved.notes] == ["n1", "theirs", "mine"]
    assert (await inner.load(KEY))[0] == saved
    assert saved.version == make_conversation().version + 2


async def test_conflicts_below_the_limit_are_retried(inner: FileStore[Conversation]) -> None:
    await inner.save(KEY, make_conversation(), None)
    store = CountingStore(inner, conflicts=2)

    saved, _ = await update(store, KEY, lambda c: (with_note(c, "x"), None), attempts=3)  # type: ignore[arg-type]

    assert store.saves == 3
    assert store.loads == 3
    assert (await inner.load(KEY))[0] == saved


@pytest.mark.parametrize("attempts", [1, 3, 8])
async def test_conflict_exhaustion_raises_conflict_error(
    inner: FileStore[Conversation], attempts: int
) -> None:
    etag = await inner.save(KEY, make_conversation(), None)
    store = CountingStore(inner, always_conflict=True)

    with pytest.raises(ConflictError):
        await update(store, KEY, lambda c: (with_note(c, "x"), None), attempts=attempts)  # type: ignore[arg-type]

    assert store.saves == attempts
    assert store.loads == attempts
    assert await inner.load(KEY) == (make_conversation(), etag)


async def test_the_default_is_eight_attempts(inner: FileStore[Conversation]) -> None:
    await inner.save(KEY, make_conversation(), None)
    store = CountingStore(inner, always_conflict=True)
    with pytest.raises(ConflictError):
        await update(store, KEY, lambda c: (with_note(c, "x"), None))  # type: ignore[arg-type]
    assert store.saves == 8


async def test_attempts_must_be_positive(inner: FileStore[Conversation]) -> None:
    with pytest.raises(ValueError):
        await update(inner, KEY, lambda c: (make_conversation(), None), attempts=0)


async def test_corrupt_state_propagates_without_calling_the_transition(
    inner: FileStore[Conversation],
) -> None:
    path = inner.path_for(KEY)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage")

    def transition(current: Conversation | None) -> tuple[Conversation, None]:
        raise AssertionError("must not be called")

    with pytest.raises(CorruptState):
        await update(inner, KEY, transition)


def test_backoff_starts_small_grows_and_is_capped() -> None:
    for _ in range(200):
        first = backoff_delay(1)
        assert BACKOFF_START / 2 <= first <= BACKOFF_START
        assert BACKOFF_START <= backoff_delay(2) <= 2 * BACKOFF_START
        assert BACKOFF_CAP / 2 <= backoff_delay(50) <= BACKOFF_CAP
    assert pytest.approx(0.005) == BACKOFF_START
    assert pytest.approx(0.2) == BACKOFF_CAP
    assert len({backoff_delay(3) for _ in range(20)}) > 1  # jittered


async def test_change_deletes_with_the_loaded_etag(inner: FileStore[Conversation]) -> None:
    await inner.save(KEY, make_conversation(), None)
    await change(inner, KEY, lambda current: None)
    assert await inner.load(KEY) == (None, None)


async def test_change_deleting_what_is_not_there_does_nothing(
    inner: FileStore[Conversation],
) -> None:
    store = CountingStore(inner)
    await change(store, KEY, lambda current: None)
    assert (store.loads, store.saves) == (1, 0)
    assert await inner.load(KEY) == (None, None)


async def test_change_returning_the_record_loaded_saves_nothing(
    inner: FileStore[Conversation],
) -> None:
    etag = await inner.save(KEY, make_conversation(), None)
    store = CountingStore(inner)
    await change(store, KEY, lambda current: current)
    assert store.saves == 0 and await inner.load(KEY) == (make_conversation(), etag)


async def test_change_retries_a_conflict_on_the_fresh_state(inner: FileStore[Conversation]) -> None:
    await inner.save(KEY, make_conversation(), None)
    store = CountingStore(inner, conflicts=1, competitor_note="theirs")

    def add_mine(current: Conversation | None) -> Conversation:
        assert current is not None
        return with_note(current, "mine")

    await change(store, KEY, add_mine)
    saved, _ = await inner.load(KEY)
    assert saved is not None and [n.id for n in saved.notes] == ["n1", "theirs", "mine"]
