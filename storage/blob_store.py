"""Conversation state in Azure Blob Storage (or Azurite): one block blob per key.

The blob name is the key; the content is ``dialogs.serialization.dumps`` (UTF-8 JSON,
content type ``application/json``); no metadata is written (nothing personal outside the body).
The ETag is the blob's own ETag (opaque; quoted as the service sends it).

Contract (see ``storage.protocols``):
- create (``etag=None``) sends ``If-None-Match: *``; replace sends ``If-Match: <etag>``. An HTTP
  412 or 409 from a save is ``ConflictError``, whatever exception class the SDK raised (it turns
  some 412s into ``ResourceExistsError``), so the status code decides, never the class.
- ``load`` of a missing blob is ``(None, None)``; bytes that are not a conversation are
  ``CorruptState``.
- Every other ``HttpResponseError`` / ``ServiceRequestError`` (any ``AzureError``, including
  credential failures and an unreachable endpoint) is ``StorageError``. A vanished container
  (``ContainerNotFound``) is a ``StorageError`` too, never "no state": silently reading state as
  absent would let the bot start conversations over.

The container is created on first use when missing, always private (no public access). The
store owns its ``ContainerClient`` and closes it in ``close()``; a credential is closed only when
the store was told it owns it (as ``storage.factory`` does).
"""

from __future__ import annotations

from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, HttpResponseError
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import ContainerClient

from dialogs.conversation import Conversation
from dialogs.serialization import SerializationError, dumps, loads
from storage.errors import ConflictError, CorruptState, StorageError
from storage.keys import validate_key, validate_prefix

CONTENT_TYPE = "application/json"
_CONFLICT_STATUSES = (409, 412)


class BlobConversationStore:
    """Conversation state in one blob container; see the module docstring for the contract."""

    def __init__(self, container: ContainerClient, *, credential_to_close: Any = None) -> None:
        self._container = container
        self._credential_to_close = credential_to_close
        self._container_ready = False

    @classmethod
    def from_connection_string(
        cls, conn_str: str, container_name: str, **client_kwargs: Any
    ) -> BlobConversationStore:
        """A store on ``container_name``; ``client_kwargs`` go to the SDK client
        (e.g. ``retry_total=0, connection_timeout=2``)."""
        container = ContainerClient.from_connection_string(
            conn_str, container_name=container_name, **client_kwargs
        )
        return cls(container)

    @classmethod
    def from_account_url(
        cls,
        account_url: str,
        container_name: str,
        credential: Any,
        *,
        owns_credential: bool = False,
        **client_kwargs: Any,
    ) -> BlobConversationStore:
        """A store signed in with an Entra ID credential (e.g. ``DefaultAzureCredential``).

        The caller made the credential and closes it, unless ``owns_credential`` is true.
        """
        container = ContainerClient(
            account_url, container_name=container_name, credential=credential, **client_kwargs
        )
        return cls(container, credential_to_close=credential if owns_credential else None)

    @property
    def container(self) -> ContainerClient:
        """The underlying container client (for operations and tests)."""
        return self._container

    # -- the protocol -------------------------------------------------------------------------

    async def load(self, key: str) -> tuple[Conversation | None, str | None]:
        validate_key(key)
        await self._ensure_container()
        try:
            downloader = await self._container.download_blob(key)
            raw = await downloader.readall()
        except HttpResponseError as exc:
            if exc.status_code == 404 and not _container_missing(exc):
                return None, None
            raise _storage_error("load", key, exc) from exc
        except (AzureError, OSError) as exc:
            raise _storage_error("load", key, exc) from exc
        etag = downloader.properties.etag
        try:
            conversation = loads(raw)
        except SerializationError as exc:
            raise CorruptState(f"stored state of {key!r} is not a conversation") from exc
        return conversation, etag

    async def save(self, key: str, conversation: Conversation, etag: str | None) -> str:
        validate_key(key)
        if etag is not None and (not isinstance(etag, str) or etag == ""):
            raise ValueError("etag must be None or a non-empty string")
        data = dumps(conversation)
        await self._ensure_container()
        conditions: dict[str, Any]
        if etag is None:
            conditions = {"match_condition": MatchConditions.IfMissing}
        else:
            conditions = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        blob = self._container.get_blob_client(key)
        try:
            result = await blob.upload_blob(
                data,
                overwrite=True,  # conditions are explicit; never the SDK's implicit create-only
                content_settings=ContentSettings(content_type=CONTENT_TYPE),
                **conditions,
            )
        except HttpResponseError as exc:
            if exc.status_code in _CONFLICT_STATUSES:
                what = "already exists" if etag is None else "was changed or removed (stale etag)"
                raise ConflictError(f"{key!r} {what}") from exc
            raise _storage_error("save", key, exc) from exc
        except (AzureError, OSError) as exc:
            raise _storage_error("save", key, exc) from exc
        new_etag = result.get("etag")
        if not isinstance(new_etag, str) or not new_etag:
            raise StorageError(f"save of {key!r}: the service returned no etag")
        return new_etag

    async def delete(self, key: str) -> None:
        validate_key(key)
        await self._ensure_container()
        try:
            await self._container.delete_blob(key, delete_snapshots="include")
        except HttpResponseError as exc:
            if exc.status_code == 404 and not _container_missing(exc):
                return
            raise _storage_error("delete", key, exc) from exc
        except (AzureError, OSError) as exc:
            raise _storage_error("delete", key, exc) from exc

    async def keys(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        await self._ensure_container()
        found: list[str] = []
        try:
            async for name in self._container.list_blob_names(name_starts_with=prefix or None):
                try:
                    found.append(validate_key(name))
                except ValueError:
                    continue  # not one of ours
        except (AzureError, OSError) as exc:
            raise _storage_error("list", prefix, exc) from exc
        return sorted(found)

    async def close(self) -> None:
        try:
            await self._container.close()
        finally:
            if self._credential_to_close is not None:
                credential, self._credential_to_close = self._credential_to_close, None
                await credential.close()

    # -- helpers ------------------------------------------------------------------------------

    async def _ensure_container(self) -> None:
        """Create the container (private) the first time it is needed, if it does not exist.

        ``exists`` first, so a credential scoped to an existing container needs no right to
        create containers. Concurrent first uses may both try to create: a 409 is fine.
        """
        if self._container_ready:
            return
        name = self._container.container_name
        try:
            if not await self._container.exists():
                try:
                    await self._container.create_container()
                except HttpResponseError as exc:
                    if exc.status_code != 409:
                        raise
        except (AzureError, OSError) as exc:
            raise _storage_error("open container", name, exc) from exc
        self._container_ready = True


def _container_missing(exc: HttpResponseError) -> bool:
    return getattr(exc, "error_code", None) == "ContainerNotFound"


def _storage_error(operation: str, key: str, exc: BaseException) -> StorageError:
    status = getattr(exc, "status_code", None)
    code = getattr(exc, "error_code", None)
    detail = ", ".join(
        part
        for part in (
            f"HTTP {status}" if status else "",
            str(code) if code else "",
            "" if status else type(exc).__name__,
        )
        if part
    )
    return StorageError(f"blob storage {operation} of {key!r} failed ({detail})")
