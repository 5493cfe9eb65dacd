"""Storage: conversation state and other records with ETags (local files or Azure Blob Storage).

- ``storage.protocols.Store``: the contract every backend keeps (``ConversationStore`` is the
  store of conversations).
- ``storage.file_store.FileStore``: the embedded local default.
- ``storage.blob_store.BlobStore``: Azure Blob Storage / Azurite (imported on demand, so
  importing ``storage`` does not load the Azure SDK).
- ``storage.serialization.Codec``: versioned JSON per record type, with migrations;
  ``storage.schemas.CONVERSATION`` is the conversation's.
- ``storage.update.update``: load → transition → conditional save, retried on conflicts
  (``change``: the same for a record that may be deleted; ``retrying``: the conflict loop).
- ``storage.commit.GroupCommit``: the changes to one record that arrive while its save is in
  flight share the next load → apply → save.
- ``storage.deadline``: a press's deadline; no save starts once its time is up.
- ``storage.bounded.bounded``: many store calls at once, a few in flight.
- ``storage.keys``: key validation and ``key_for`` for raw Teams ids.
- ``storage.factory.open_conversation_store``: pick the backend from settings.
- ``storage.errors``: ``StorageError`` ⊃ ``ConflictError``, ``CorruptState``.
- ``storage.documents``: the ``DocumentStore`` contract for the plan documents (versioned,
  create-only), ``StoredDocument``, ``DocumentNotFound``; backends ``storage.document_files``
  (local: the bot serves the bytes) and ``storage.document_blobs`` (a short SAS redirect);
  ``storage.factory.open_document_store`` picks one. Every store's links are the bot's own,
  signed by ``storage.links``.
"""

from storage.documents import DocumentNotFound, DocumentStore, StoredDocument
from storage.errors import ConflictError, CorruptState, StorageError
from storage.factory import open_conversation_store, open_document_store
from storage.file_store import FileStore
from storage.keys import key_for, validate_key
from storage.protocols import ConversationStore, Store
from storage.update import update

__all__ = [
    "ConflictError",
    "ConversationStore",
    "CorruptState",
    "DocumentNotFound",
    "DocumentStore",
    "FileStore",
    "StorageError",
    "Store",
    "StoredDocument",
    "key_for",
    "open_conversation_store",
    "open_document_store",
    "update",
    "validate_key",
]
