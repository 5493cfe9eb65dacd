"""Choose the record store (conversations, and the bot's own records beside them) from settings.

``open_conversation_store(connection_string=..., account_url=..., container=..., local_root=...)``:
- a connection string (e.g. Azurite's, or a storage account key) → ``BlobStore``;
- else an account URL (``https://<account>.blob.core.windows.net``) → ``BlobStore`` signed in
  with ``azure.identity.aio.DefaultAzureCredential`` (managed identity in Azure); the store owns
  that credential and closes it in ``close()``;
- else the embedded ``FileStore`` under ``local_root``.

The store reads and writes conversations; its ``with_codec`` gives stores of other record types
on the same client or directory.

Empty strings count as not set (unset environment variables often arrive as ""). Nothing is
contacted here; the blob container is created on first use.

Blob clients get ``client_options()``: the SDK's default (exponential retries up to 10 times
and long timeouts) keeps a press waiting for a minute when storage is down, long after Teams
gave up on it and the person pressed again. With these a press fails within a few seconds with
"try again", and a late retry never lands after its user has moved on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dialogs.conversation import Conversation
from storage.documents import DocumentStore
from storage.file_store import FileStore
from storage.protocols import Store
from storage.schemas import CONVERSATION


def client_options() -> dict[str, Any]:
    """SDK client options for the blob stores: few, quick retries and short timeouts."""
    from azure.storage.blob.aio import LinearRetry

    # Two retries, each after 0–1.5 s (the SDK types ``backoff`` as int but computes in floats).
    retry = LinearRetry(backoff=0.5, random_jitter_range=1, retry_total=2)  # type: ignore[arg-type]
    return {
        "retry_policy": retry,
        "connection_timeout": 2,
        "read_timeout": 10,
        # No proxy or netrc lookup per request: aiohttp would run two lookups in asyncio's
        # default thread pool for every blob call (and Azure Storage needs no proxy here).
        "use_env_settings": False,
    }


def open_conversation_store(
    *,
    connection_string: str | None,
    account_url: str | None,
    container: str,
    local_root: Path,
) -> Store[Conversation]:
    if connection_string:
        from storage.blob_store import BlobStore

        return BlobStore.from_connection_string(
            connection_string, container, CONVERSATION, **client_options()
        )
    if account_url:
        from azure.identity.aio import DefaultAzureCredential

        from storage.blob_store import BlobStore

        return BlobStore.from_account_url(
            account_url,
            container,
            DefaultAzureCredential(),
            CONVERSATION,
            owns_credential=True,
            **client_options(),
        )
    return FileStore(local_root, CONVERSATION)


def open_document_store(
    *,
    connection_string: str | None,
    account_url: str | None,
    container: str,
    local_root: Path,
    base_url: str,
    link_secret: bytes | None,
    link_clock: Callable[[], float] = time.time,
) -> DocumentStore:
    """Choose the document store like ``open_conversation_store`` (same precedence):

    - a connection string → ``BlobDocumentStore``, downloads redirected to account-key SAS URLs;
    - else an account URL → ``BlobDocumentStore`` with ``DefaultAzureCredential`` (owned and
      closed by the store), downloads redirected to user delegation SAS URLs;
    - else ``FileDocumentStore`` under ``local_root``, whose downloads the bot serves itself.

    Every store's links are ``{base_url}/documents/...``, signed with ``link_secret`` (required
    for the local store; for Azure, None means the key kept in the documents container) and
    checked with ``link_clock``; the route ``bot.downloads`` serves them. Nothing is contacted
    here.
    """
    links: dict[str, Any] = {
        "base_url": base_url,
        "link_secret": link_secret,
        "link_clock": link_clock,
    }
    if connection_string:
        from storage.document_blobs import BlobDocumentStore

        return BlobDocumentStore.from_connection_string(
            connection_string, container, **links, **client_options()
        )
    if account_url:
        from azure.identity.aio import DefaultAzureCredential

        from storage.document_blobs import BlobDocumentStore

        return BlobDocumentStore.from_account_url(
            account_url,
            container,
            DefaultAzureCredential(),
            owns_credential=True,
            **links,
            **client_options(),
        )
    from storage.document_files import FileDocumentStore

    if not link_secret:
        raise ValueError("the local document store needs a link secret")
    return FileDocumentStore(
        local_root, base_url=base_url, link_secret=link_secret, link_clock=link_clock
    )
