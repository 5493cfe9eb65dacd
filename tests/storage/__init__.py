"""The storage contract suite; shared test data lives here (fixtures are in ``conftest.py``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import ContainerClient

from dialogs.conversation import (
    Agreement,
    Conversation,
    ExtraQuestion,
    LiveState,
    Note,
    Participant,
    Setup,
)
from storage.file_store import FileStore
from storage.protocols import ConversationStore
from storage.schemas import CONVERSATION


def make_conversation(conversation_id: str = "c-0001") -> Conversation:
    """A realistic live MUS: Danish text, emoji, three participants, notes and agreements."""
    leader = Participant(
        user_id="29:1AbC-leder_ID=",
        name="Søren Ærø Østergård",
        role="leader",
        aad_object_id="6f1c1e2a-0000-4000-8000-000000000001",
        keywords=("Trivsel", "Faglighed", "Samarbejde"),
        prep_notes={"p1": "Jeg vil gerne tale om årshjulet 📅", "p2": "Ønsker: mere sparring"},
        prepared_at="2025-03-01T09:00:00+01:00",
    )
    co = Participant(
        user_id="29:2DeF",
        name="Åse Bækgaard",
        role="co_facilitator",
        keywords=("Udvikling", "Ro", "Humor 😄"),
    )
    employee = Participant(
        user_id="29:3GhI",
        name="Mette Ø. Hansen",
        role="participant",
        keywords=("Kompetencer", "Balance"),
    )
    notes = (
        Note(
            id="n1",
            perspective_id="p1",
            text="Godt samarbejde i teamet — men travlt i perioder 💪\nNy linje, «citat».",
            author_id=leader.user_id,
            created_at="2025-03-10T10:05:00+01:00",
        ),
    )
    agreements = (
        Agreement(
            id="a1",
            perspective_id="p2",
            what="Kursus i konflikthåndtering",
            details={
                "when": "Inden 1. juni",
                "who": "Mette",
                "value": "Større tryghed i svære samtaler",
            },
            responsible="Søren",
            follow_up="Opfølgning ved næste MUS 🗓️",
            author_id=leader.user_id,
            created_at="2025-03-10T10:30:00+01:00",
            updated_at="2025-03-10T10:31:00+01:00",
        ),
    )
    return Conversation(
        id=conversation_id,
        concept_id="mus-2025",
        created_at="2025-02-20T08:00:00+01:00",
        setup=Setup(
            kind="MUS",
            variant="puslespil",
            walk_and_talk=True,
            starts_at="2025-03-10T10:00:00+01:00",
            duration_minutes=90,
            workplace="Børnehuset Solsikken, Aarhus Kommune",
            wording={"greeting": "Velkommen til jeres udviklingssamtale 🌻"},
            extra_questions=(
                ExtraQuestion(id="x1", perspective_id="p3", text="Hvad giver dig energi?"),
            ),
            focus_points="Arbejdsmiljø & trivsel",
        ),
        participants=(leader, co, employee),
        place="3f2a9c0b11aa22bb",
        phase="live",
        version=7,
        keywords_shared_at="2025-03-05T12:00:00+01:00",
        live=LiveState(
            position=3,
            covered=("29:1AbC-leder_ID=\x1fTrivsel",),
            started_at="2025-03-10T10:01:00+01:00",
        ),
        notes=notes,
        agreements=agreements,
        processed=("evt-1", "evt-2"),
    )


def bumped(conversation: Conversation, **changes: object) -> Conversation:
    """A changed copy with the version bumped, as every accepted transition does."""
    return dataclasses.replace(conversation, version=conversation.version + 1, **changes)  # type: ignore[arg-type]


def with_note(
    conversation: Conversation, note_id: str, author_id: str = "29:1AbC-leder_ID="
) -> Conversation:
    """``conversation`` plus one note, version bumped."""
    note = Note(
        id=note_id,
        perspective_id="p1",
        text=f"Note {note_id}: æøå ✅",
        author_id=author_id,
        created_at="2025-03-10T10:15:00+01:00",
    )
    return bumped(conversation, notes=(*conversation.notes, note))


@dataclass
class Backend:
    """One storage backend: opens independent stores on the same backing storage."""

    name: str
    open: Callable[[], ConversationStore]
    opened: list[ConversationStore] = field(default_factory=list)
    root: Path | None = None
    connection_string: str | None = None
    container_name: str | None = None

    def new_store(self) -> ConversationStore:
        store = self.open()
        self.opened.append(store)
        return store

    async def write_raw(self, key: str, data: bytes) -> None:
        """Put bytes under ``key`` through the backend's own API, bypassing the store."""
        if self.root is not None:
            path = FileStore(self.root, CONVERSATION).path_for(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        assert self.connection_string and self.container_name
        async with ContainerClient.from_connection_string(
            self.connection_string, self.container_name
        ) as container:
            if not await container.exists():
                await container.create_container()
            await container.upload_blob(
                key,
                data,
                overwrite=True,
                content_settings=ContentSettings(content_type="application/json"),
            )

    async def close_all(self) -> None:
        for store in self.opened:
            await store.close()
