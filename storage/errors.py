"""Errors of the storage layer.

Every backend raises only these (plus ``ValueError`` for an invalid key), whatever its SDK or the
operating system raised underneath; the original exception is chained as ``__cause__`` for logs.
Messages name the operation and the key, never conversation content (confidential HR data).

- ``StorageError``: the store cannot be reached or answered something unexpected.
- ``ConflictError``: optimistic concurrency said no: a stale ETag on replace, or a create of a key
  that already exists (HTTP 412 or 409, whatever exception class the SDK chose).
- ``CorruptState``: the stored bytes exist but do not read as a record of the store's type.
"""

from __future__ import annotations


class StorageError(Exception):
    """The store cannot be reached or answered unexpectedly."""


class ConflictError(StorageError):
    """A stale ETag, or a create of a key that already exists."""


class CorruptState(StorageError):
    """The stored bytes do not deserialize to a record of the store's type."""
