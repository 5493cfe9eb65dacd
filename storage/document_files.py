"""The embedded local document store: one private file per document under ``root``.

Layout: ``<root>/conversations/<conversation_id>/<name>-v<version>.<extension>`` (the document
path, see ``storage.documents``). Directories are ``0o700`` and files ``0o600`` (confidential HR
documents); an existing, more open directory is tightened.

Create-only, atomically: the bytes go to a temporary file in the same directory (``O_EXCL``,
``fsync``), which is then hard-linked to the final name with ``os.link`` (fails with
``FileExistsError`` if that name exists: the version is taken) and unlinked. So a reader never
sees a partial document, a document is never overwritten, and two writers (threads, processes)
can never get the same version. Blocking work runs in the store's own small thread pool, so
slow disks never hold up DNS lookups or the state store's files (which have pools of their own).

Links are the bot's signed URLs (``storage.links``), signed with ``link_secret`` (the setting
``DOCUMENT_LINK_SECRET`` or the file ``LOCAL_STORAGE_DIR/link-secret``); ``download`` gives the
route (``bot.downloads``) the bytes, which it serves itself.

POSIX only (``os.link``, directory ``fsync``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from storage.documents import (
    MAX_ATTEMPTS,
    MAX_VERSION,
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
from storage.links import DocumentLinks

R = TypeVar("R")
WORKERS = 2  # documents are written once per plan and read once per download
_DIR_MODE = 0o700
_FILE_MODE = 0o600


class FileDocumentStore:
    """Documents in local files; see ``storage.documents`` for the contract."""

    def __init__(
        self,
        root: Path | str,
        *,
        base_url: str,
        link_secret: bytes,
        link_clock: Callable[[], float] = time.time,
    ) -> None:
        self._root = Path(root)
        self._links = DocumentLinks(base_url, link_secret, clock=link_clock)
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="documents")

    async def _run(self, work: Callable[..., R], *args: Any) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    @property
    def root(self) -> Path:
        return self._root

    @property
    def links(self) -> DocumentLinks:
        return self._links

    def file_for(self, path: str) -> Path:
        """The file of a document path (``ValueError`` for an invalid path)."""
        return self._root / parse_path(path).path

    # -- the protocol -------------------------------------------------------------------------

    async def add_version(
        self, conversation_id: str, name: str, files: Mapping[str, tuple[bytes, str]]
    ) -> list[StoredDocument]:
        validate_conversation_id(conversation_id)
        validate_name(name)
        checked = validate_files(files)
        return await self._run(self._add_version_sync, conversation_id, name, checked)

    async def versions(self, conversation_id: str, name: str = "plan") -> list[StoredDocument]:
        validate_conversation_id(conversation_id)
        validate_name(name)
        return await self._run(self._versions_sync, conversation_id, name)

    async def read(self, path: str) -> bytes:
        file = self.file_for(path)
        return await self._run(self._read_sync, path, file)

    async def link(self, path: str, *, ttl: timedelta, filename: str | None = None) -> str:
        document = parse_path(path)
        validate_ttl(ttl)
        attachment = None if filename is None else download_filename(document, filename)
        file = self._root / document.path
        exists = await self._run(_is_file, path, file)
        if not exists:
            raise DocumentNotFound(f"no document at {path!r}")
        return await self._links.url(document.path, ttl, attachment)

    async def download(
        self, path: str, *, filename: str | None = None
    ) -> DocumentBytes | DocumentRedirect:
        document = parse_path(path)
        download_filename(document, filename)
        file = self._root / document.path
        return DocumentBytes(await self._run(self._read_sync, path, file))

    async def delete_conversation(self, conversation_id: str) -> int:
        validate_conversation_id(conversation_id)
        return await self._run(self._delete_conversation_sync, conversation_id)

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- blocking parts, run in a worker thread -----------------------------------------------

    def _add_version_sync(
        self, conversation_id: str, name: str, files: list[tuple[str, bytes]]
    ) -> list[StoredDocument]:
        directory = self._root / conversation_prefix(conversation_id)
        try:
            self._ensure_dir(directory)
            version = self._highest_version(directory, conversation_id, name) + 1
            for _ in range(MAX_ATTEMPTS):
                if version > MAX_VERSION:
                    break
                created = self._create_all(directory, conversation_id, name, version, files)
                if created is not None:
                    _fsync_dir(directory)
                    return created
                version += 1
        except OSError as exc:
            raise StorageError(
                f"cannot store {name!r} for conversation {conversation_id!r}: {_reason(exc)}"
            ) from exc
        raise ConflictError(
            f"no free version of {name!r} for conversation {conversation_id!r} "
            f"after {MAX_ATTEMPTS} attempts"
        )

    def _create_all(
        self,
        directory: Path,
        conversation_id: str,
        name: str,
        version: int,
        files: list[tuple[str, bytes]],
    ) -> list[StoredDocument] | None:
        """Create every file of ``version``; None (and nothing left behind) if it is taken."""
        created: list[Path] = []
        stored: list[StoredDocument] = []
        try:
            for extension, data in files:
                document = DocumentPath(conversation_id, name, version, extension)
                final = directory / document.filename
                if not _create_exclusive(final, data):
                    for path in created:  # ours: we created them a moment ago
                        with contextlib.suppress(FileNotFoundError):
                            path.unlink()
                    return None
                created.append(final)
                stored.append(document.stored(len(data)))
        except BaseException:
            for path in created:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        return stored

    def _highest_version(self, directory: Path, conversation_id: str, name: str) -> int:
        return max(
            (d.version for d in self._scan(directory, conversation_id) if d.name == name),
            default=0,
        )

    def _scan(self, directory: Path, conversation_id: str) -> list[DocumentPath]:
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            return []
        found = []
        for entry in names:
            document = try_parse_path(f"conversations/{conversation_id}/{entry}")
            if document is not None:
                found.append(document)
        return found

    def _versions_sync(self, conversation_id: str, name: str) -> list[StoredDocument]:
        directory = self._root / conversation_prefix(conversation_id)
        try:
            result = []
            for document in self._scan(directory, conversation_id):
                if document.name != name:
                    continue
                try:
                    size = (directory / document.filename).stat().st_size
                except FileNotFoundError:
                    continue  # deleted meanwhile
                result.append(document.stored(size))
        except OSError as exc:
            raise StorageError(
                f"cannot list {name!r} of conversation {conversation_id!r}: {_reason(exc)}"
            ) from exc
        return sorted(result, key=lambda d: (d.version, d.extension))

    def _read_sync(self, path: str, file: Path) -> bytes:
        try:
            return file.read_bytes()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise DocumentNotFound(f"no document at {path!r}") from exc
        except OSError as exc:
            raise StorageError(f"cannot read {path!r}: {_reason(exc)}") from exc

    def _delete_conversation_sync(self, conversation_id: str) -> int:
        directory = self._root / conversation_prefix(conversation_id)
        count = 0
        try:
            try:
                entries = os.listdir(directory)
            except FileNotFoundError:
                return 0
            for entry in entries:
                is_document = try_parse_path(f"conversations/{conversation_id}/{entry}") is not None
                is_temporary = entry.startswith(".") and entry.endswith(".tmp")
                if not (is_document or is_temporary):
                    continue
                try:
                    (directory / entry).unlink()
                except FileNotFoundError:
                    continue
                count += is_document
            _fsync_dir(directory)
            try:
                directory.rmdir()
            except OSError as exc:  # a concurrent add_version, or a stranger's file: keep it
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                    raise
        except OSError as exc:
            raise StorageError(
                f"cannot delete the documents of conversation {conversation_id!r}: {_reason(exc)}"
            ) from exc
        return count

    def _ensure_dir(self, directory: Path) -> None:
        """Create root/conversations/<id> (each level 0o700, tightening existing ones)."""
        for level in (self._root, self._root / "conversations", directory):
            level.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
            if level.stat().st_mode & 0o077:
                os.chmod(level, _DIR_MODE)


def _create_exclusive(final: Path, data: bytes) -> bool:
    """Write ``data`` to ``final`` unless it exists (then False); atomic, never overwrites."""
    tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _FILE_MODE)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, final)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _is_file(path: str, file: Path) -> bool:
    try:
        return file.is_file()
    except OSError as exc:
        raise StorageError(f"cannot look up {path!r}: {_reason(exc)}") from exc


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
