"""Records in Azure Blob Storage (or Azurite): one block blob per key.

The blob name is the key; the content is the record's ``Codec`` JSON (UTF-8, content type
``application/json``); no metadata is written (nothing personal outside the body). The ETag is
the blob's own ETag (opaque; quoted as the service sends it). One ``BlobStore`` reads and writes
one type; ``with_codec`` gives a store of another type on the same container client (the bot
keeps its delivery records beside the conversations, under other keys).

Contract (see ``storage.protocols``):
- create (``etag=None``) sends ``If-None-Match: *``; replace (and a delete given an etag) sends
  ``If-Match: <etag>``. An HTTP
  412 or 409 from a save is ``ConflictError``, whatever exception class the SDK raised (it turns
  some 412s into ``ResourceExistsError``), so the status code decides, never the class.
- ``load`` of a missing blob is ``(None, None)``; bytes that are not a record of the store's type
  are ``CorruptState``.
- Every other ``HttpResponseError`` / ``ServiceRequestError`` (any ``AzureError``, including
  credential failures and an unreachable endpoint) is ``StorageError``. A vanished container
  (``ContainerNotFound``) is a ``StorageError`` too, never "no state": silently reading state as
  absent would let the bot start conversations over.
- Every call carries ``timeout`` (``OPERATION_TIMEOUT`` seconds unless the store was given
  another): the server gives up on it then, so a press never waits on a stuck operation.

The container is created on first use when missing, always private (no public access). The
store owns its ``ContainerClient`` and closes it in ``close()``; a credential is closed only when
the store was told it owns it (as ``storage.factory`` does).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Generic, TypeVar

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, HttpResponseError
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import BlobClient, ContainerClient

from storage.errors import ConflictError, CorruptState, StorageError
from storage.keys import validate_key, validate_prefix
from storage.protocols import Store
from storage.serialization import Codec, SerializationError

T = TypeVar("T")
U = TypeVar("U")

CONTENT_TYPE = "application/json"
BLOB_CLIENTS = 256  # per-blob SDK clients kept (the hot conversations and their records)
OPERATION_TIMEOUT = 5  # seconds the service may take for one call (its server-side timeout)
_CONFLICT_STATUSES = (409, 412)


class BlobStore(Generic[T]):
    """Records of one type in one blob container; see the module docstring for the contract."""

    def __init__(
        self,
        container: ContainerClient,
        codec: Codec[T],
        *,
        credential_to_close: Any = None,
        owner: bool = True,
        timeout: int = OPERATION_TIMEOUT,
    ) -> None:
        self._container = container
        self._codec = codec
        self._credential_to_close = credential_to_close
        self._owner = owner
        self._timeout = timeout
        self._container_ready = False
        self._blobs: OrderedDict[str, BlobClient] = OrderedDict()

    def _blob(self, key: str) -> BlobClient:
        """The SDK's client for one blob, kept for the most recently used keys: making one
        costs more CPU than the request it sends."""
        blob = self._blobs.pop(key, None) or self._container.get_blob_client(key)
        self._blobs[key] = blob
        if len(self._blobs) > BLOB_CLIENTS:
            self._blobs.popitem(last=False)
        return blob

    @classmethod
    def from_connection_string(
        cls, conn_str: str, container_name: str, codec: Codec[T], **client_kwargs: Any
    ) -> BlobStore[T]:
        """A store on ``container_name``; ``client_kwargs`` go to the SDK client
        (e.g. ``retry_total=0, connection_timeout=2``)."""
        container = ContainerClient.from_connection_string(
            conn_str, container_name=container_name, **client_kwargs
        )
        return cls(container, codec)

    @classmethod
    def from_account_url(
        cls,
        account_url: str,
        container_name: str,
        credential: Any,
        codec: Codec[T],
        *,
        owns_credential: bool = False,
        **client_kwargs: Any,
    ) -> BlobStore[T]:
        """A store signed in with an Entra ID credential (e.g. ``DefaultAzureCredential``).

        The caller made the credential and closes it, unless ``owns_credential`` is true.
        """
        container = ContainerClient(
            account_url, container_name=container_name, credential=credential, **client_kwargs
        )
        return cls(container, codec, credential_to_close=credential if owns_credential else None)

    def with_codec(self, codec: Codec[U]) -> Store[U]:
        """A store of another record type on the same container client (closed by its owner)."""
        return BlobStore(self._container, codec, owner=False, timeout=self._timeout)

    @property
    def container(self) -> ContainerClient:
        """The underlying container client (for operations and tests)."""
        return self._container

    # -- the protocol -------------------------------------------------------------------------

    async def load(self, key: str) -> tuple[T | None, str | None]:
        validate_key(key)
        await self._ensure_container()
        try:
            downloader = await self._blob(key).download_blob(timeout=self._timeout)
            raw = await downloader.readall()
        except HttpResponseError as exc:
            if exc.status_code == 404 and not _container_missing(exc):
                return None, None
            raise _storage_error("load", key, exc) from exc
        except (AzureError, OSError) as exc:
            raise _storage_error("load", key, exc) from exc
        etag = downloader.properties.etag
        try:
            record = self._codec.loads(raw)
        except SerializationError as exc:
            raise CorruptState(f"stored state of {key!r} is not a {self._codec.name}") from exc
        return record, etag

    async def save(self, key: str, record: T, etag: str | None) -> str:
        validate_key(key)
        if etag is not None and (not isinstance(etag, str) or etag == ""):
            raise ValueError("etag must be None or a non-empty string")
        data = self._codec.dumps(record)
        await self._ensure_container()
        conditions: dict[str, Any]
        if etag is None:
            conditions = {"match_condition": MatchConditions.IfMissing}
        else:
            conditions = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        blob = self._blob(key)
        try:
            result = await blob.upload_blob(
                data,
                overwrite=True,  # conditions are explicit; never the SDK's implicit create-only
                content_settings=ContentSettings(content_type=CONTENT_TYPE),
                timeout=self._timeout,
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

    async def delete(self, key: str, etag: str | None = None) -> None:
        validate_key(key)
        if etag is not None and (not isinstance(etag, str) or etag == ""):
            raise ValueError("etag must be None or a non-empty string")
        await self._ensure_container()
        conditions: dict[str, Any] = {}
        if etag is not None:
            conditions = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        try:
            await self._blob(key).delete_blob(
                delete_snapshots="include", timeout=self._timeout, **conditions
            )
        except HttpResponseError as exc:
            if exc.status_code == 404 and not _container_missing(exc):
                return
            if etag is not None and exc.status_code in _CONFLICT_STATUSES:
                if not await self._exists(key):  # If-Match on an absent blob is a 412 too
                    return
                raise ConflictError(f"{key!r} was changed (stale etag): not deleted") from exc
            raise _storage_error("delete", key, exc) from exc
        except (AzureError, OSError) as exc:
            raise _storage_error("delete", key, exc) from exc

    async def _exists(self, key: str) -> bool:
        try:
            return bool(await self._blob(key).exists(timeout=self._timeout))
        except (AzureError, OSError) as exc:
            raise _storage_error("delete", key, exc) from exc

    async def keys(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        await self._ensure_container()
        found: list[str] = []
        try:
            names = self._container.list_blob_names(
                name_starts_with=prefix or None, timeout=self._timeout
            )
            async for name in names:
                try:
                    found.append(validate_key(name))
                except ValueError:
                    continue  # not one of ours
        except (AzureError, OSError) as exc:
            raise _storage_error("list", prefix, exc) from exc
        return sorted(found)

    async def close(self) -> None:
        if not self._owner:
            return
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
            if not await self._container.exists(timeout=self._timeout):
                try:
                    await self._container.create_container(timeout=self._timeout)
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
