"""Documents in Azure Blob Storage (or Azurite): one block blob per document, private container.

The blob name is the document path (``storage.documents``); the blob's content type is the one of
its extension, and its metadata holds only non-personal values: ``conversation`` (the bot's
conversation id), ``document`` (the name, e.g. ``plan``) and ``version``.

- ``add_version`` uploads create-only (``overwrite=False``: ``If-None-Match: *``). An HTTP 409 or
  412 (by status code, whatever exception class the SDK chose) means the version is taken: this
  call's blobs of that version are deleted again (each only if still the one we wrote, by ETag)
  and it retries with the next version, at most ``MAX_ATTEMPTS`` times.
- ``link`` checks that the blob exists and gives the bot's own signed link (``storage.links``):
  every plan link points at the bot, so an expired, tampered or erased link gets the bot's own
  page (``bot.downloads``), never Azure's XML error.
- ``download`` (the route, after it checked the link) checks that the blob exists and gives a
  ``DocumentRedirect`` to a read-only SAS for exactly that blob, valid from a minute ago (clock
  skew) until now + ``REDIRECT_TTL`` (two minutes), that makes the service answer with
  ``Content-Disposition: attachment; filename="…"``, the document's content type and
  ``Cache-Control: no-store``; https-only when the endpoint is https.
  - With an account key (a connection string: Azurite, or a key in settings) it is a service SAS
    signed with the account key.
  - Without one (managed identity / ``DefaultAzureCredential``) it is a **user delegation SAS**
    signed with a user delegation key from ``service_client_for_delegation`` (needs the role
    *Storage Blob Delegator* or *Storage Blob Data Contributor/Reader* on the account). The key
    is asked for once an hour (``_KEY_LIFETIME``), not per download. A SAS can be revoked by
    revoking the user delegation keys, and it is audited under the identity that made it.
- The link secret: ``link_secret`` when given (the setting ``DOCUMENT_LINK_SECRET``), else a
  random key kept as the private blob ``link-secret`` in this container (outside
  ``conversations/``), created on first use with ``If-None-Match: *``: the first instance's key
  wins and every other instance reads it, so all agree without a secret for anyone to manage.
  Whoever can read the key can read the plans beside it anyway. Deleting the blob (and
  restarting every instance) rotates the key; outstanding links stop working.
- ``delete_conversation`` deletes every blob under ``conversations/<id>/`` (with snapshots).
  Note: if blob versioning or soft delete is enabled on the account, Azure keeps previous
  versions / soft-deleted blobs according to that policy; keep both off for the documents
  container's account, or set a lifecycle rule that purges them.
- Every ``AzureError`` / ``OSError`` is ``StorageError``; a missing blob is ``DocumentNotFound``.

The container is created on first use when missing, always private (no public access). The
store owns its ``ContainerClient`` and ``service_client_for_delegation`` and closes them in
``close()``; a credential is closed only when the store was told it owns it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, HttpResponseError
from azure.storage.blob import (
    BlobSasPermissions,
    ContentSettings,
    UserDelegationKey,
    generate_blob_sas,
)
from azure.storage.blob.aio import BlobClient, BlobServiceClient, ContainerClient

from storage.documents import (
    MAX_ATTEMPTS,
    MAX_VERSION,
    REDIRECT_TTL,
    DocumentBytes,
    DocumentNotFound,
    DocumentPath,
    DocumentRedirect,
    StoredDocument,
    conversation_prefix,
    download_filename,
    parse_path,
    try_parse_path,
    validate_conversation_id,
    validate_files,
    validate_name,
    validate_ttl,
)
from storage.errors import ConflictError, StorageError
from storage.links import DocumentLinks, decode_secret, new_secret_text

LINK_SECRET_BLOB = "link-secret"
_TAKEN_STATUSES = (409, 412)
_CLOCK_SKEW = timedelta(minutes=1)
_KEY_LIFETIME = timedelta(hours=1)  # a user delegation key is reused this long ...
_KEY_MARGIN = timedelta(minutes=10)  # ... until this little of it is left


class _VersionTaken(Exception):
    pass


class BlobDocumentStore:
    """Documents in one private blob container; see the module docstring for the contract."""

    def __init__(
        self,
        container_client: ContainerClient,
        *,
        account_name: str,
        account_key: str | None,
        base_url: str,
        link_secret: bytes | None = None,
        service_client_for_delegation: BlobServiceClient | None = None,
        credential_to_close: Any = None,
        clock: Callable[[], float] = time.time,
        link_clock: Callable[[], float] = time.time,
    ) -> None:
        if not account_key and service_client_for_delegation is None:
            raise ValueError(
                "downloads need an account key or a service client for user delegation keys"
            )
        self._container = container_client
        self._account_name = account_name
        self._account_key = account_key or None
        self._service = service_client_for_delegation
        self._credential_to_close = credential_to_close
        self._clock = clock
        self._container_ready = False
        self._delegation_key: tuple[UserDelegationKey, datetime] | None = None
        self._links = DocumentLinks(
            base_url, link_secret or self._stored_link_secret, clock=link_clock
        )

    @classmethod
    def from_connection_string(
        cls,
        conn_str: str,
        container_name: str,
        *,
        base_url: str,
        link_secret: bytes | None = None,
        link_clock: Callable[[], float] = time.time,
        **client_kwargs: Any,
    ) -> BlobDocumentStore:
        """A store on ``container_name``, redirecting downloads to account-key SAS URLs (the
        connection string must hold an ``AccountKey``); ``client_kwargs`` go to the SDK client."""
        container = ContainerClient.from_connection_string(
            conn_str, container_name=container_name, **client_kwargs
        )
        account_key = getattr(container.credential, "account_key", None)
        if not isinstance(account_key, str) or not account_key:
            raise ValueError(
                "the storage connection string has no AccountKey (needed for downloads)"
            )
        return cls(
            container,
            account_name=container.account_name or "",
            account_key=account_key,
            base_url=base_url,
            link_secret=link_secret,
            link_clock=link_clock,
        )

    @classmethod
    def from_account_url(
        cls,
        account_url: str,
        container_name: str,
        credential: Any,
        *,
        base_url: str,
        link_secret: bytes | None = None,
        link_clock: Callable[[], float] = time.time,
        owns_credential: bool = False,
        **client_kwargs: Any,
    ) -> BlobDocumentStore:
        """A store signed in with an Entra ID credential; downloads redirect to user delegation
        SAS URLs.

        The caller made the credential and closes it, unless ``owns_credential`` is true.
        """
        service = BlobServiceClient(account_url, credential=credential, **client_kwargs)
        container = service.get_container_client(container_name)
        return cls(
            container,
            account_name=service.account_name or "",
            account_key=None,
            base_url=base_url,
            link_secret=link_secret,
            link_clock=link_clock,
            service_client_for_delegation=service,
            credential_to_close=credential if owns_credential else None,
        )

    @property
    def container(self) -> ContainerClient:
        """The underlying container client (for operations and tests)."""
        return self._container

    @property
    def links(self) -> DocumentLinks:
        return self._links

    # -- the protocol -------------------------------------------------------------------------

    async def add_version(
        self, conversation_id: str, name: str, files: Mapping[str, tuple[bytes, str]]
    ) -> list[StoredDocument]:
        validate_conversation_id(conversation_id)
        validate_name(name)
        checked = validate_files(files)
        await self._ensure_container()
        what = f"{name!r} of conversation {conversation_id!r}"
        try:
            version = await self._highest_version(conversation_id, name) + 1
            for _ in range(MAX_ATTEMPTS):
                if version > MAX_VERSION:
                    break
                try:
                    return await self._create_all(conversation_id, name, version, checked)
                except _VersionTaken:
                    version += 1
        except HttpResponseError as exc:
            raise _storage_error("store", what, exc) from exc
        except (AzureError, OSError) as exc:
            raise _storage_error("store", what, exc) from exc
        raise ConflictError(f"no free version of {what} after {MAX_ATTEMPTS} attempts")

    async def versions(self, conversation_id: str, name: str = "plan") -> list[StoredDocument]:
        validate_conversation_id(conversation_id)
        validate_name(name)
        await self._ensure_container()
        found = []
        try:
            async for blob in self._container.list_blobs(
                name_starts_with=f"{conversation_prefix(conversation_id)}{name}-v"
            ):
                document = try_parse_path(blob.name)
                if document is not None and document.name == name:
                    found.append(document.stored(int(blob.size or 0)))
        except (AzureError, OSError) as exc:
            raise _storage_error("list", f"{name!r} of {conversation_id!r}", exc) from exc
        return sorted(found, key=lambda d: (d.version, d.extension))

    async def read(self, path: str) -> bytes:
        document = parse_path(path)
        await self._ensure_container()
        try:
            downloader = await self._container.download_blob(document.path)
            data: bytes = await downloader.readall()
        except HttpResponseError as exc:
            if exc.status_code == 404:
                raise DocumentNotFound(f"no document at {path!r}") from exc
            raise _storage_error("read", repr(path), exc) from exc
        except (AzureError, OSError) as exc:
            raise _storage_error("read", repr(path), exc) from exc
        return data

    async def link(self, path: str, *, ttl: timedelta, filename: str | None = None) -> str:
        document = parse_path(path)
        validate_ttl(ttl)
        attachment = None if filename is None else download_filename(document, filename)
        await self._existing(document, "link")
        return await self._links.url(document.path, ttl, attachment)

    async def download(
        self, path: str, *, filename: str | None = None
    ) -> DocumentBytes | DocumentRedirect:
        document = parse_path(path)
        attachment = download_filename(document, filename)
        blob = await self._existing(document, "download")
        now = datetime.fromtimestamp(self._clock(), UTC).replace(microsecond=0)
        start, expiry = now - _CLOCK_SKEW, now + REDIRECT_TTL
        sas_kwargs: dict[str, Any] = {
            "permission": BlobSasPermissions(read=True),
            "start": start,
            "expiry": expiry,
            "protocol": "https" if blob.scheme == "https" else "https,http",
            "content_disposition": f'attachment; filename="{attachment}"',
            "content_type": document.content_type,
            "cache_control": "no-store",
        }
        if self._account_key is not None:
            sas_kwargs["account_key"] = self._account_key
        else:
            sas_kwargs["user_delegation_key"] = await self._user_delegation_key(now, path)
        sas = generate_blob_sas(
            self._account_name, self._container.container_name, document.path, **sas_kwargs
        )
        return DocumentRedirect(f"{blob.url}?{sas}")

    async def delete_conversation(self, conversation_id: str) -> int:
        prefix = conversation_prefix(validate_conversation_id(conversation_id))
        await self._ensure_container()
        count = 0
        try:
            names = [n async for n in self._container.list_blob_names(name_starts_with=prefix)]
            for name in names:
                try:
                    await self._container.delete_blob(name, delete_snapshots="include")
                except HttpResponseError as exc:
                    if exc.status_code == 404:
                        continue  # deleted meanwhile
                    raise
                count += try_parse_path(name) is not None
        except (AzureError, OSError) as exc:
            raise _storage_error("delete", f"conversation {conversation_id!r}", exc) from exc
        return count

    async def close(self) -> None:
        try:
            await self._container.close()
            if self._service is not None:
                await self._service.close()
        finally:
            if self._credential_to_close is not None:
                credential, self._credential_to_close = self._credential_to_close, None
                await credential.close()

    # -- helpers ------------------------------------------------------------------------------

    async def _existing(self, document: DocumentPath, operation: str) -> BlobClient:
        """The blob of ``document``; ``DocumentNotFound`` when it does not exist."""
        await self._ensure_container()
        blob = self._container.get_blob_client(document.path)
        try:
            await blob.get_blob_properties()
        except HttpResponseError as exc:
            if exc.status_code == 404:
                raise DocumentNotFound(f"no document at {document.path!r}") from exc
            raise _storage_error(operation, repr(document.path), exc) from exc
        except (AzureError, OSError) as exc:
            raise _storage_error(operation, repr(document.path), exc) from exc
        return blob

    async def _user_delegation_key(self, now: datetime, path: str) -> UserDelegationKey:
        """A user delegation key valid beyond now + ``REDIRECT_TTL``; asked for once an hour."""
        cached = self._delegation_key
        if cached is not None and cached[1] - now >= _KEY_MARGIN:
            return cached[0]
        assert self._service is not None  # the constructor ensures a key or a service client
        start, expiry = now - _CLOCK_SKEW, now + _KEY_LIFETIME
        try:
            key = await self._service.get_user_delegation_key(start, expiry)
        except (AzureError, OSError) as exc:
            raise _storage_error("get a user delegation key for", repr(path), exc) from exc
        self._delegation_key = (key, expiry)
        return key

    async def _stored_link_secret(self) -> bytes:
        """The link secret kept in the blob ``link-secret``; created (If-None-Match) if absent."""
        await self._ensure_container()
        blob = self._container.get_blob_client(LINK_SECRET_BLOB)
        text = new_secret_text()
        try:
            try:
                await blob.upload_blob(
                    text.encode("ascii"),
                    overwrite=False,  # If-None-Match: *: the first instance's key wins
                    content_settings=ContentSettings(
                        content_type="text/plain", cache_control="no-store"
                    ),
                )
            except HttpResponseError as exc:
                if exc.status_code not in _TAKEN_STATUSES:
                    raise
                downloader = await blob.download_blob()
                text = (await downloader.readall()).decode("ascii", errors="replace")
        except (AzureError, OSError) as exc:
            raise _storage_error("read or create", "the link secret", exc) from exc
        try:
            return decode_secret(text, f"the blob {LINK_SECRET_BLOB!r}")
        except ValueError as exc:
            raise StorageError(
                f"{exc}: delete the blob so that a new one is made (outstanding links then "
                "stop working)"
            ) from exc

    async def _highest_version(self, conversation_id: str, name: str) -> int:
        highest = 0
        async for blob_name in self._container.list_blob_names(
            name_starts_with=f"{conversation_prefix(conversation_id)}{name}-v"
        ):
            document = try_parse_path(blob_name)
            if document is not None and document.name == name:
                highest = max(highest, document.version)
        return highest

    async def _create_all(
        self, conversation_id: str, name: str, version: int, files: list[tuple[str, bytes]]
    ) -> list[StoredDocument]:
        """Upload every file of ``version``; ``_VersionTaken`` (nothing left behind) if taken."""
        created: list[tuple[str, str]] = []  # (blob name, etag)
        stored: list[StoredDocument] = []
        try:
            for extension, data in files:
                document = DocumentPath(conversation_id, name, version, extension)
                blob = self._container.get_blob_client(document.path)
                try:
                    result = await blob.upload_blob(
                        data,
                        overwrite=False,  # If-None-Match: *
                        content_settings=ContentSettings(content_type=document.content_type),
                        metadata={
                            "conversation": conversation_id,
                            "document": name,
                            "version": str(version),
                        },
                    )
                except HttpResponseError as exc:
                    if exc.status_code in _TAKEN_STATUSES:
                        raise _VersionTaken from exc
                    raise
                created.append((document.path, str(result["etag"])))
                stored.append(document.stored(len(data)))
        except BaseException:
            await self._remove(created)
            raise
        return stored

    async def _remove(self, created: list[tuple[str, str]]) -> None:
        """Delete blobs this call created, each only if it is still the one we wrote."""
        for blob_name, etag in created:
            try:
                await self._container.delete_blob(
                    blob_name, etag=etag, match_condition=MatchConditions.IfNotModified
                )
            except (AzureError, OSError):
                continue  # best effort: the storage is failing anyway

    async def _ensure_container(self) -> None:
        """Create the container (private) the first time it is needed, if it does not exist."""
        if self._container_ready:
            return
        name = self._container.container_name
        try:
            if not await self._container.exists():
                try:
                    await self._container.create_container()  # no public_access: private
                except HttpResponseError as exc:
                    if exc.status_code != 409:
                        raise
        except (AzureError, OSError) as exc:
            raise _storage_error("open container", repr(name), exc) from exc
        self._container_ready = True


def _storage_error(operation: str, what: str, exc: BaseException) -> StorageError:
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
    return StorageError(f"blob storage {operation} {what} failed ({detail})")
