"""Fixtures for the storage contract suite: every store test runs on the file store and on
Azurite (``azurite`` and ``blob_container_name`` come from ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.blob_store import BlobStore
from storage.file_store import FileStore
from storage.protocols import ConversationStore
from storage.schemas import CONVERSATION
from tests.storage import Backend

BACKENDS = [
    pytest.param("file", id="file"),
    pytest.param("blob", id="blob", marks=pytest.mark.azurite),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "file":
        root = tmp_path / "state"
        return Backend("file", lambda: FileStore(root, CONVERSATION), root=root)
    azurite = request.getfixturevalue("azurite")
    container_name = request.getfixturevalue("blob_container_name")
    conn = azurite.connection_string
    return Backend(
        "blob",
        lambda: BlobStore.from_connection_string(conn, container_name, CONVERSATION),
        connection_string=conn,
        container_name=container_name,
    )


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[ConversationStore]:
    try:
        yield backend.new_store()
    finally:
        await backend.close_all()


@pytest.fixture
async def two_stores(
    backend: Backend,
) -> AsyncIterator[tuple[ConversationStore, ConversationStore]]:
    """Two independent instances (own objects, own clients) over the same backing storage."""
    try:
        yield backend.new_store(), backend.new_store()
    finally:
        await backend.close_all()
