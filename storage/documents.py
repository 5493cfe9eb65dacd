"""Documents (the development plan files): the store contract, value types and the name scheme.

A conversation's documents are immutable, versioned files: ``add_version`` writes a new version
of a named document (e.g. ``"plan"``) in one or more formats (``docx``, ``pdf``); nothing is
ever overwritten. Each document has a path (also its blob name):

    conversations/{conversation_id}/{name}-v{version}.{extension}

- ``conversation_id``: ``^[A-Za-z0-9-]{1,64}$`` (the bot's own conversation id, never a raw
  Teams id);
- ``name``: ``^[a-z][a-z0-9-]{0,30}$``, e.g. ``"plan"``;
- ``version``: ``1, 2, ...`` (decimal, no leading zeros);
- ``extension``: ``docx`` or ``pdf``; the content type follows from it (``CONTENT_TYPES``).

Anything else is ``ValueError``. Paths contain no ``..``, no ``%``, no spaces, so they are safe
as file paths, blob names and URL path segments without encoding.

Contract (``DocumentStore``):
- ``add_version(conversation_id, name, files)``: ``files`` maps an extension to ``(bytes,
  content_type)``; every file gets the SAME new version ``n`` = the highest existing version of
  ``name`` in that conversation + 1. Files are created create-only (O_EXCL / If-None-Match: *);
  when version ``n`` is taken by a concurrent writer (of any of the extensions), this call's
  already created files of version ``n`` are removed again and it retries with ``n + 1``, at most
  ``MAX_ATTEMPTS`` times (then ``ConflictError``). ``content_type`` must be the one of the
  extension (``CONTENT_TYPES``, parameters and case ignored), else ``ValueError``: what a link
  serves is decided by the extension, never by the caller. Returns the new documents sorted by
  extension.
- ``versions(conversation_id, name="plan")``: the stored documents of ``name``, sorted by
  version, then extension.
- ``read(path)``: the bytes; ``DocumentNotFound`` when absent.
- ``link(path, *, ttl, filename=None)``: a URL that downloads exactly this document for ``ttl``
  (``0 < ttl <= MAX_LINK_TTL``), as an attachment named ``filename`` (default: the last path
  segment, e.g. ``plan-v3.docx``). ``filename`` must match ``FILENAME_PATTERN`` and end with the
  document's extension. ``DocumentNotFound`` when absent. For every store it is the bot's own
  signed link, ``{base_url}/documents/{path}?expires=…&sig=…[&filename=…]`` (``storage.links``),
  made and checked by the store's ``links``; the route ``bot.downloads`` serves it.
- ``links``: the store's ``DocumentLinks`` (base URL, secret, clock), which the route checks a
  link with before it asks the store for anything.
- ``download(path, *, filename=None)``: how the route answers a link it has checked: either
  ``DocumentBytes`` (the bytes, which the route serves itself: the local store) or
  ``DocumentRedirect`` (a URL that downloads exactly this document, read-only, as an attachment
  named ``filename`` with its content type, valid for ``REDIRECT_TTL`` only: a SAS URL in Azure).
  ``filename`` as for ``link``; ``DocumentNotFound`` when absent.
- ``delete_conversation(conversation_id)``: delete every document of the conversation
  (data protection); returns how many were deleted. Idempotent.
- ``close()``.

A store may keep its link secret beside the documents (the blob ``link-secret`` in Azure),
outside ``conversations/``: it is never a document, never listed, and ``delete_conversation``
leaves it.

Every method raises ``ValueError`` for invalid input and ``StorageError`` (or a subclass) when
the backend fails; messages hold paths and ids, never document content. Stored metadata (blobs)
is non-personal only: conversation id, document name ("plan"), version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from storage.errors import StorageError

if TYPE_CHECKING:
    from storage.links import DocumentLinks

CONVERSATION_ID_PATTERN = re.compile(r"[A-Za-z0-9-]{1,64}")
NAME_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,30}")
EXTENSION_PATTERN = re.compile(r"docx|pdf")
PATH_PATTERN = re.compile(
    r"conversations/(?P<conversation_id>[A-Za-z0-9-]{1,64})/"
    r"(?P<name>[a-z][a-z0-9-]{0,30})-v(?P<version>[1-9][0-9]{0,8})\.(?P<extension>docx|pdf)"
)
FILENAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")

CONTENT_TYPES: dict[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
MAX_ATTEMPTS = 50
MAX_VERSION = 999_999_999
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_LINK_TTL = timedelta(days=7)  # also Azure's limit for a user delegation key
REDIRECT_TTL = timedelta(minutes=2)  # a redirect's URL is followed at once by the browser


class DocumentNotFound(StorageError):
    """No document is stored at that path."""


@dataclass(frozen=True)
class StoredDocument:
    path: str  # e.g. "conversations/<conversation_id>/plan-v3.docx"
    conversation_id: str
    name: str  # "plan"
    version: int  # 3
    extension: str  # "docx" | "pdf"
    content_type: str
    size: int

    @property
    def filename(self) -> str:
        """The last path segment, e.g. ``plan-v3.docx``."""
        return self.path.rsplit("/", 1)[1]


@dataclass(frozen=True)
class DocumentBytes:
    """``download``: the route serves these bytes itself."""

    data: bytes


@dataclass(frozen=True)
class DocumentRedirect:
    """``download``: the route redirects to this short-lived URL of exactly the document."""

    url: str


@runtime_checkable
class DocumentStore(Protocol):
    async def add_version(
        self, conversation_id: str, name: str, files: Mapping[str, tuple[bytes, str]]
    ) -> list[StoredDocument]:
        """Store ``files`` (extension → (bytes, content type)) as the next version of ``name``."""
        ...

    async def versions(self, conversation_id: str, name: str = "plan") -> list[StoredDocument]:
        """The stored documents of ``name``, sorted by version, then extension."""
        ...

    async def read(self, path: str) -> bytes:
        """The bytes of one document; ``DocumentNotFound`` when absent."""
        ...

    async def link(self, path: str, *, ttl: timedelta, filename: str | None = None) -> str:
        """A URL that downloads exactly this document for ``ttl``; ``DocumentNotFound``."""
        ...

    @property
    def links(self) -> DocumentLinks:
        """The store's links (base URL, secret, clock): the route checks a link with them."""
        ...

    async def download(
        self, path: str, *, filename: str | None = None
    ) -> DocumentBytes | DocumentRedirect:
        """How to answer a checked link: the bytes or a short redirect; ``DocumentNotFound``."""
        ...

    async def delete_conversation(self, conversation_id: str) -> int:
        """Delete all documents of a conversation; returns how many were deleted."""
        ...

    async def close(self) -> None:
        """Release connections and other resources."""
        ...


# -- the name scheme -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentPath:
    """A parsed, valid document path."""

    conversation_id: str
    name: str
    version: int
    extension: str

    @property
    def path(self) -> str:
        return document_path(self.conversation_id, self.name, self.version, self.extension)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]

    @property
    def filename(self) -> str:
        return f"{self.name}-v{self.version}.{self.extension}"

    def stored(self, size: int) -> StoredDocument:
        return StoredDocument(
            path=self.path,
            conversation_id=self.conversation_id,
            name=self.name,
            version=self.version,
            extension=self.extension,
            content_type=self.content_type,
            size=size,
        )


def validate_conversation_id(conversation_id: str) -> str:
    if not isinstance(conversation_id, str) or not CONVERSATION_ID_PATTERN.fullmatch(
        conversation_id
    ):
        raise ValueError(f"invalid conversation id {conversation_id!r}")
    return conversation_id


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"invalid document name {name!r}")
    return name


def validate_extension(extension: str) -> str:
    if not isinstance(extension, str) or not EXTENSION_PATTERN.fullmatch(extension):
        raise ValueError(f"invalid document extension {extension!r}")
    return extension


def conversation_prefix(conversation_id: str) -> str:
    """``conversations/{conversation_id}/`` (with the trailing slash, so ``c1`` ≠ ``c10``)."""
    return f"conversations/{validate_conversation_id(conversation_id)}/"


def document_path(conversation_id: str, name: str, version: int, extension: str) -> str:
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise ValueError(f"invalid document version {version!r}")
    return (
        f"{conversation_prefix(conversation_id)}{validate_name(name)}-v{version}."
        f"{validate_extension(extension)}"
    )


def parse_path(path: str) -> DocumentPath:
    """Parse a document path; ``ValueError`` unless it is exactly of the scheme."""
    match = PATH_PATTERN.fullmatch(path) if isinstance(path, str) else None
    if match is None:
        raise ValueError(f"invalid document path {path!r}")
    return DocumentPath(
        conversation_id=match["conversation_id"],
        name=match["name"],
        version=int(match["version"]),
        extension=match["extension"],
    )


def try_parse_path(path: str) -> DocumentPath | None:
    try:
        return parse_path(path)
    except ValueError:
        return None


def validate_files(files: Mapping[str, tuple[bytes, str]]) -> list[tuple[str, bytes]]:
    """The files of an ``add_version`` call as ``[(extension, bytes)]``, sorted by extension."""
    if not isinstance(files, Mapping) or not files:
        raise ValueError("add_version needs at least one file")
    checked = []
    for extension, value in files.items():
        validate_extension(extension)
        if not isinstance(value, tuple) or len(value) != 2:
            raise ValueError(f"file {extension!r} must be (bytes, content_type)")
        data, content_type = value
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"file {extension!r}: the content must be bytes")
        data = bytes(data)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise ValueError(f"file {extension!r} is larger than {MAX_DOCUMENT_BYTES} bytes")
        if (
            not isinstance(content_type, str)
            or _bare_type(content_type) != CONTENT_TYPES[extension]
        ):
            raise ValueError(
                f"file {extension!r}: content type must be {CONTENT_TYPES[extension]!r}"
            )
        checked.append((extension, data))
    return sorted(checked)


def validate_ttl(ttl: timedelta) -> timedelta:
    if not isinstance(ttl, timedelta) or not timedelta(0) < ttl <= MAX_LINK_TTL:
        raise ValueError(f"link ttl must be a timedelta in (0, {MAX_LINK_TTL}]")
    return ttl


def download_filename(document: DocumentPath, filename: str | None) -> str:
    """The attachment filename of a link: ``filename`` checked, or the default."""
    if filename is None:
        return document.filename
    if (
        not isinstance(filename, str)
        or not FILENAME_PATTERN.fullmatch(filename)
        or ".." in filename
        or not filename.lower().endswith("." + document.extension)
    ):
        raise ValueError(
            f"invalid download filename {filename!r} (letters, digits, '.', '_', '-'; "
            f"ending in .{document.extension})"
        )
    return filename


def _bare_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()
