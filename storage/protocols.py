"""The record-store contract, shared by every backend (``FileStore``, ``BlobStore``).

A store maps a key (see ``storage.keys``) to one record of its type (a ``Conversation``, or one
of the bot's own records) plus an opaque ETag that changes on every save, even when the saved
content is identical. Writers use optimistic concurrency; ``storage.update.update`` wraps the
load → transition → save → retry loop.

- ``load(key)``: ``(record, etag)``, or ``(None, None)`` when nothing is stored.
  ``CorruptState`` when the stored bytes do not read as a record of the store's type.
- ``save(key, record, etag)``: with ``etag=None`` create only if absent (If-None-Match: *);
  with an etag replace only if the stored etag still matches (If-Match). Returns the new etag.
  Anything else (exists on create, stale or missing on replace) is ``ConflictError``, and the
  stored value is unchanged.
- ``delete(key, etag=None)``: removes the state; deleting an absent key is fine (idempotent).
  With an etag it removes the state only while the stored etag still matches (If-Match), else
  ``ConflictError`` and the stored value is unchanged (an absent key is still fine): a record
  that became empty is deleted only if nobody wrote to it since it was read.
- ``keys(prefix="")``: the stored keys starting with ``prefix``, sorted.
- ``close()``: release connections; the store is not used afterwards.
- ``with_codec(codec)``: a view for records of another type over the same backend.

Every method raises ``ValueError`` for an invalid key, ``StorageError`` when the backend cannot
be reached or answers unexpectedly; nothing else escapes.
"""

from __future__ import annotations

from typing import Protocol, TypeVar, runtime_checkable

from dialogs.conversation import Conversation
from storage.serialization import Codec

T = TypeVar("T")
U = TypeVar("U")


@runtime_checkable
class Store(Protocol[T]):
    async def load(self, key: str) -> tuple[T | None, str | None]:
        """The stored record and its etag, or ``(None, None)`` when absent."""
        ...

    async def save(self, key: str, record: T, etag: str | None) -> str:
        """Create (``etag=None``) or replace (If-Match ``etag``); returns the new etag."""
        ...

    async def delete(self, key: str, etag: str | None = None) -> None:
        """Remove the state (only if its etag is still ``etag``, when given); idempotent."""
        ...

    async def keys(self, prefix: str = "") -> list[str]:
        """Stored keys starting with ``prefix``, sorted."""
        ...

    async def close(self) -> None:
        """Release connections and other resources."""
        ...

    def with_codec(self, codec: Codec[U]) -> Store[U]:
        """A store of another record type on the same backend (same container or directory,
        same connections); closing it releases nothing, the original store owns them."""
        ...


ConversationStore = Store[Conversation]
