"""Concurrent updates lose nothing: through two store instances (both backends) and across
two operating-system processes (file store)."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

from dialogs.conversation import Conversation
from storage.file_store import FileStore
from storage.protocols import ConversationStore
from storage.schemas import CONVERSATION
from storage.update import update
from tests.storage import make_conversation, with_note

KEY = "conversations/c-0001"
REPO = Path(__file__).resolve().parents[2]


async def test_fifty_concurrent_updates_through_two_instances_lose_nothing(
    two_stores: tuple[ConversationStore, ConversationStore],
) -> None:
    a, b = two_stores
    base = make_conversation()
    await a.save(KEY, base, None)

    async def add_note(i: int) -> str:
        note_id = f"note-{i:02d}"

        def transition(current: Conversation | None) -> tuple[Conversation, str]:
            assert current is not None
            return with_note(current, note_id), note_id

        # Fifty writers on one key is far beyond real contention (a handful of people pressing
        # at once), so allow more attempts than the default.
        _, result = await update((a, b)[i % 2], KEY, transition, attempts=200)
        return result

    results = await asyncio.gather(*(add_note(i) for i in range(50)))

    expected = [f"note-{i:02d}" for i in range(50)]
    assert sorted(results) == expected
    for reader in (a, b):
        final, _ = await reader.load(KEY)
        assert final is not None
        added = [n.id for n in final.notes[len(base.notes) :]]
        assert len(added) == 50
        assert sorted(added) == expected
        assert final.notes[: len(base.notes)] == base.notes
        assert final.version == base.version + 50


WORKER = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path

    from storage.file_store import FileStore
    from storage.schemas import CONVERSATION
    from storage.update import update
    from tests.storage import with_note

    root, key, worker, go = Path(sys.argv[1]), sys.argv[2], sys.argv[3], Path(sys.argv[4])
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.005)

    async def add(store, note_id):
        await update(store, key, lambda c: (with_note(c, note_id), note_id), attempts=200)

    async def main():
        store = FileStore(root, CONVERSATION)
        await asyncio.gather(*(add(store, f"{worker}-{i:02d}") for i in range(25)))
        await store.close()

    asyncio.run(main())
    """
)


async def test_two_processes_updating_one_file_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "state"
    store = FileStore(root, CONVERSATION)
    base = make_conversation()
    await store.save(KEY, base, None)
    go = tmp_path / "go"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }

    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            str(root),
            KEY,
            name,
            str(go),
            cwd=REPO,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for name in ("A", "B")
    ]
    go.touch()  # both start together, after both interpreters are up
    outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), 120)

    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err.decode(errors="replace")
    final, _ = await store.load(KEY)
    assert final is not None
    added = [n.id for n in final.notes[len(base.notes) :]]
    expected = [f"{w}-{i:02d}" for w in "AB" for i in range(25)]
    assert len(added) == 50
    assert sorted(added) == expected
    assert final.version == base.version + 50
