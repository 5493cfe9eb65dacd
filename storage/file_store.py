"""The embedded local record store: one file per key in one private directory.

Layout: ``<root>/<key with "/" as "%">.json`` (``%`` never occurs in a key, so the mapping is
one to one and the directory stays flat), holding ``{"format": 1, "etag": <hex>, "record":
<the codec's JSON>}`` (files written before records were generic say ``"conversation"``; both
read). Every save writes a fresh random etag into the same file as the data, so the etag changes
on every save even if the content is identical, and data and etag always change together.

One ``FileStore`` reads and writes one type through its ``Codec``; ``with_codec`` gives a store
of another type over the same directory (the bot keeps its delivery records beside the
conversations, under other keys).

Contract (see ``storage.protocols``): create with ``etag=None`` only if absent, replace (and
delete, when given an etag) only if the stored etag matches, else ``ConflictError``; ``load`` of unreadable bytes is ``CorruptState``;
OS errors are ``StorageError``.

Safety:
- Writes are atomic: a temporary file in the same directory, ``fsync``, ``os.replace``, then an
  ``fsync`` of the directory. Readers never take a lock; they see the old or the new file.
- The compare-and-swap (read stored etag, compare, replace) and deletes hold an exclusive
  ``fcntl.flock`` on ``<name>.lock`` next to the data file, so they are safe across processes and
  across store instances in one process. Lock files are left behind after a delete (removing them
  would race with a waiting writer); they are empty.
- Blocking file I/O (and waiting for the lock) runs in the store's own small thread pool, shared
  by its ``with_codec`` views, so file I/O never waits behind other work in asyncio's default
  pool (token and key fetches of the Bot Framework SDK run there).
- The directory is created ``0o700`` and files ``0o600``: this is confidential HR data.

POSIX only (``fcntl``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import json
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Generic, TypeVar

from storage.errors import ConflictError, CorruptState, StorageError
from storage.keys import validate_key, validate_prefix
from storage.protocols import Store
from storage.serialization import Codec, SerializationError

T = TypeVar("T")
U = TypeVar("U")
R = TypeVar("R")

FORMAT = 1
_SUFFIX = ".json"
_LOCK_SUFFIX = ".lock"
_DIR_MODE = 0o700
_FILE_MODE = 0o600
_FIELDS = ("record", "conversation")  # where a file holds its record, newest name first
WORKERS = 8


class FileStore(Generic[T]):
    """Records of one type in local files; see the module docstring for the contract."""

    def __init__(
        self,
        root: Path | str,
        codec: Codec[T],
        *,
        _pool: ThreadPoolExecutor | None = None,
    ) -> None:
        self._root = Path(root)
        self._root_ready = False
        self._codec = codec
        self._owns_pool = _pool is None
        self._pool = _pool or ThreadPoolExecutor(WORKERS, thread_name_prefix="file-store")

    def with_codec(self, codec: Codec[U]) -> Store[U]:
        """A store of another record type over the same directory and thread pool."""
        return FileStore(self._root, codec, _pool=self._pool)

    async def _run(self, work: Callable[..., R], *args: Any) -> R:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    @property
    def root(self) -> Path:
        return self._root

    def path_for(self, key: str) -> Path:
        """The data file of ``key`` (for operations and tests; the format is internal)."""
        return self._root / (_file_stem(validate_key(key)) + _SUFFIX)

    # -- the protocol -------------------------------------------------------------------------

    async def load(self, key: str) -> tuple[T | None, str | None]:
        path = self.path_for(key)
        raw = await self._run(self._read, key, path)
        if raw is None:
            return None, None
        return self._decode(key, raw)

    async def save(self, key: str, record: T, etag: str | None) -> str:
        path = self.path_for(key)
        if etag is not None and (not isinstance(etag, str) or etag == ""):
            raise ValueError("etag must be None or a non-empty string")
        data = self._codec.dumps(record)
        return await self._run(self._save_sync, key, path, data, etag)

    async def delete(self, key: str, etag: str | None = None) -> None:
        path = self.path_for(key)
        if etag is not None and (not isinstance(etag, str) or etag == ""):
            raise ValueError("etag must be None or a non-empty string")
        await self._run(self._delete_sync, key, path, etag)

    async def keys(self, prefix: str = "") -> list[str]:
        validate_prefix(prefix)
        return await self._run(self._keys_sync, prefix)

    async def close(self) -> None:
        """Every operation opens and closes its own files; the owner stops the thread pool."""
        if self._owns_pool:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _decode(self, key: str, raw: bytes) -> tuple[T, str]:
        doc = _parse(key, raw)
        field = next(name for name in _FIELDS if name in doc)
        try:
            record = self._codec.from_dict(doc[field])
        except SerializationError as exc:
            raise CorruptState(f"stored state of {key!r} is not a {self._codec.name}") from exc
        return record, doc["etag"]

    # -- blocking parts, run in a worker thread -----------------------------------------------

    def _read(self, key: str, path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read {key!r}: {_os_reason(exc)}") from exc

    def _save_sync(self, key: str, path: Path, data: bytes, etag: str | None) -> str:
        try:
            self._ensure_root()
            with self._locked(path):
                stored = self._read(key, path)
                if etag is None:
                    if stored is not None:
                        raise ConflictError(f"{key!r} already exists")
                else:
                    if stored is None:
                        raise ConflictError(f"{key!r} no longer exists")
                    if _stored_etag(stored) != etag:
                        raise ConflictError(f"{key!r} was changed by someone else (stale etag)")
                new_etag = uuid.uuid4().hex
                self._write_atomically(path, _encode(new_etag, data))
                return new_etag
        except StorageError:
            raise
        except OSError as exc:
            raise StorageError(f"cannot save {key!r}: {_os_reason(exc)}") from exc

    def _delete_sync(self, key: str, path: Path, etag: str | None) -> None:
        try:
            if not path.exists():
                return
            with self._locked(path), contextlib.suppress(FileNotFoundError):
                if etag is not None:
                    stored = self._read(key, path)
                    if stored is None:
                        return
                    if _stored_etag(stored) != etag:
                        raise ConflictError(f"{key!r} was changed by someone else (stale etag)")
                path.unlink()
                self._fsync_dir()
        except StorageError:
            raise
        except OSError as exc:
            raise StorageError(f"cannot delete {key!r}: {_os_reason(exc)}") from exc

    def _keys_sync(self, prefix: str) -> list[str]:
        try:
            names = os.listdir(self._root)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageError(f"cannot list keys: {_os_reason(exc)}") from exc
        found = []
        for name in names:
            if not name.endswith(_SUFFIX) or name.startswith("."):
                continue
            key = name[: -len(_SUFFIX)].replace("%", "/")
            try:
                validate_key(key)
            except ValueError:
                continue  # not one of ours
            if key.startswith(prefix):
                found.append(key)
        return sorted(found)

    def _ensure_root(self) -> None:
        if self._root_ready:
            return
        self._root.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
        if self._root.stat().st_mode & 0o077:
            os.chmod(self._root, _DIR_MODE)
        self._root_ready = True

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        lock_path = path.with_name(path.name[: -len(_SUFFIX)] + _LOCK_SUFFIX)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _write_atomically(self, path: Path, payload: bytes) -> None:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _FILE_MODE)
        try:
            try:
                view = memoryview(payload)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        self._fsync_dir()

    def _fsync_dir(self) -> None:
        fd = os.open(self._root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        except OSError as exc:  # some file systems cannot fsync a directory
            if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
                raise
        finally:
            os.close(fd)


def _file_stem(key: str) -> str:
    return key.replace("/", "%")


def _encode(etag: str, data: bytes) -> bytes:
    return b'{"format":%d,"etag":"%s","record":%s}' % (FORMAT, etag.encode("ascii"), data)


def _parse(key: str, raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptState(f"stored state of {key!r} is not JSON") from exc
    if (
        not isinstance(doc, dict)
        or doc.get("format") != FORMAT
        or not isinstance(doc.get("etag"), str)
        or not doc["etag"]
        or not any(name in doc for name in _FIELDS)
    ):
        raise CorruptState(f"stored state of {key!r} has an unknown layout")
    return doc


def _stored_etag(raw: bytes) -> str | None:
    """The etag of a stored file, or None if it is unreadable (then no etag matches it)."""
    try:
        return str(_parse("", raw)["etag"])
    except CorruptState:
        return None


def _os_reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
