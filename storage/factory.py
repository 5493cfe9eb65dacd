"""Choose the conversation store from settings.

``open_conversation_store(connection_string=..., account_url=..., container=..., local_root=...)``:
- a connection string (e.g. Azurite's, or a storage account key) → ``BlobConversationStore``;
- else an account URL (``https://<account>.blob.core.windows.net``) → ``BlobConversationStore``
  signed in with ``azure.identity.aio.DefaultAzureCredential`` (managed identity in Azure); the
  store owns that credential and closes it in ``close()``;
- else the embedded ``FileConversationStore`` under ``local_root``.

Empty strings count as not set (unset environment variables often arrive as ""). Nothing is
contacted here; the blob container is created on first use.

Blob clients get ``client_options()``: the SDK's default (exponential retries up to 10 times
and long timeouts) keeps a press waiting for a minute when storage is down, long after Teams
gave up on it and the person pressed again. With these a press fails within a few seconds with
"try again", and a late retry never lands after its user has moved on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.documents import DocumentStore
from storage.file_store import FileConversationStore
from storage.protocols import ConversationStore


def client_options() -> dict[str, Any]:
    """SDK client options for the blob stores: few, quick retries and short timeouts."""
    from azure.storage.blob.aio import LinearRetry

    # Two retries, each after 0–1.5 s (the SDK types ``backoff`` as int but computes in floats).
    retry = LinearRetry(backoff=0.5, random_jitter_range=1, retry_total=2)  # type: ignore[arg-type]
    return {
        "retry_policy": retry,
        "connection_timeout": 2,
        "read_timeout": 10,
    }


def open_conversation_store(
    *,
    connection_string: str | None,
    account_url: str | None,
    container: str,
    local_root: Path,
) -> ConversationStore:
    if connection_string:
        from storage.blob_store import BlobConversationStore

        return BlobConversationStore.from_connection_string(
            connection_string, container, **client_options()
        )
    if account_url:
        from azure.identity.aio import DefaultAzureCredential

        from storage.blob_store import BlobConversationStore

        return BlobConversationStore.from_account_url(
            account_url,
            container,
            DefaultAzureCredential(),
            owns_credential=True,
            **client_options(),
        )
    return FileConversationStore(local_root)


def open_document_store(
    *,
    connection_string: str | None,
    account_url: str | None,
    container: str,
    local_root: Path,
    base_url: str,
    link_secret: bytes,
) -> DocumentStore:
    """Choose the document store like ``open_conversation_store`` (same precedence):

    - a connection string → ``BlobDocumentStore`` with account-key SAS links;
    - else an account URL → ``BlobDocumentStore`` with ``DefaultAzureCredential`` (owned and
      closed by the store) and user delegation SAS links;
    - else ``FileDocumentStore`` under ``local_root``, whose links are
      ``{base_url}/documents/...`` signed with ``link_secret`` (served by
      ``storage.links.download_route``).

    ``base_url`` and ``link_secret`` are used only by the local store. Nothing is contacted here.
    """
    if connection_string:
        from storage.document_blobs import BlobDocumentStore

        return BlobDocumentStore.from_connection_string(
            connection_string, container, **client_options()
        )
    if account_url:
        from azure.identity.aio import DefaultAzureCredential

        from storage.document_blobs import BlobDocumentStore

        return BlobDocumentStore.from_account_url(
            account_url,
            container,
            DefaultAzureCredential(),
            owns_credential=True,
            **client_options(),
        )
    from storage.document_files import FileDocumentStore
    from storage.links import LinkSigner

    return FileDocumentStore(local_root, LinkSigner(link_secret), base_url)
