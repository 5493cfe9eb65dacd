"""The conversation-state store contract, shared by every backend.

A store maps a key (see ``storage.keys``) to one ``Conversation`` plus an opaque ETag that
changes on every save, even when the saved content is identical. Writers use optimistic
concurrency; ``storage.update.update`` wraps the load → transition → save → retry loop.

- ``load(key)``: ``(conversation, etag)``, or ``(None, None)`` when nothing is stored.
  ``CorruptState`` when the stored bytes do not read as a conversation.
- ``save(key, conversation, etag)``: with ``etag=None`` create only if absent (If-None-Match: *);
  with an etag replace only if the stored etag still matches (If-Match). Returns the new etag.
  Anything else (exists on create, stale or missing on replace) is ``ConflictError``, and the
  stored value is unchanged.
- ``delete(key)``: removes the state; deleting an absent key is fine (idempotent).
- ``keys(prefix="")``: the stored keys starting with ``prefix``, sorted.
- ``close()``: release connections; the store is not used afterwards.

Every method raises ``ValueError`` for an invalid key, ``StorageError`` when the backend cannot
be reached or answers unexpectedly; nothing else escapes.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from dialogs.conversation import Conversation


@runtime_checkable
class ConversationStore(Protocol):
    async def load(self, key: str) -> tuple[Conversation | None, str | None]:
        """The stored conversation and its etag, or ``(None, None)`` when absent."""
        ...

    async def save(self, key: str, conversation: Conversation, etag: str | None) -> str:
        """Create (``etag=None``) or replace (If-Match ``etag``); returns the new etag."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the state; idempotent."""
        ...

    async def keys(self, prefix: str = "") -> list[str]:
        """Stored keys starting with ``prefix``, sorted."""
        ...

    async def close(self) -> None:
        """Release connections and other resources."""
        ...
