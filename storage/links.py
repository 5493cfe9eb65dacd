"""Signed, expiring download links to documents; every plan link, for both stores, is one.

A link is ``{base_url}/documents/{path}?expires=<unix seconds>&sig=<hex>[&filename=<name>]``,
served by the bot's own route (``bot.downloads``), whatever store holds the document. HR's
figures are signed the same way as the path ``figures/noegletal.csv`` under ``{base_url}/``, so
a figures link can never be read as a document's and the other way round. ``sig`` is
HMAC-SHA256 with a server secret over (a version tag, the path, ``expires``, the filename or
""), encoded unambiguously (a JSON array), so a signature is good for exactly one document, one
expiry and one download filename. ``LinkSigner.check`` compares in constant time and tells a
good link (``LinkCheck.VALID``) from one whose time is up (``EXPIRED``: the signature is right,
so the expiry was not tampered with) and from anything else (``INVALID``: malformed, another
path, expiry or filename, another secret). Links are never listable: there is one per document
and nothing in the route enumerates documents.

``DocumentLinks(base_url, secret, clock=...)`` makes and checks a store's links. ``secret`` is
the key itself, or an async function that gets it (called once, on first use, and again after a
failure): the Azure store keeps a random key as a private blob (``storage.document_blobs``), so
several instances agree on one key without a secret for anyone to manage.

``secret_from(value, fallback_file)``: the local store's secret from a setting (base64 or hex,
at least 32 bytes), else from a local file created once (``0o600``, 32 random bytes as hex), so
several local processes share it and nothing secret lives in the repository.
``decode_secret(text, where)`` decodes a setting's value. Rotating the secret invalidates every
outstanding link (they are short-lived anyway).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import enum
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from storage.documents import validate_ttl

ROUTE = "/documents/{path:.+}"
PREFIX = "/documents/"
MIN_SECRET_BYTES = 32
_TAG = "samtaleguide-document-link/v1"
_EXPIRES_PATTERN = re.compile(r"[0-9]{1,12}")
_SIG_PATTERN = re.compile(r"[0-9a-f]{64}")
_HEX_PATTERN = re.compile(r"(?:[0-9a-fA-F]{2})+")
_FILE_MODE = 0o600
_DIR_MODE = 0o700
_BASE_URL_PATTERN = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")


class LinkCheck(enum.Enum):
    """What a link's signature says: good, good but expired, or not ours."""

    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


class LinkSigner:
    """Signs and verifies ``(path, expires, filename)`` with HMAC-SHA256."""

    def __init__(self, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"a link secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._clock = clock

    def sign(self, path: str, ttl: timedelta, filename: str | None = None) -> tuple[int, str]:
        """``(expires, sig)``: valid until ``expires`` (unix seconds, now + ttl rounded up)."""
        _check_part("path", path)
        if filename is not None:
            _check_part("filename", filename)
        validate_ttl(ttl)
        expires = math.ceil(self._clock() + ttl.total_seconds())
        return expires, self._signature(path, str(expires), filename)

    def url(
        self,
        base_url: str,
        path: str,
        ttl: timedelta,
        filename: str | None = None,
        *,
        prefix: str = PREFIX,
    ) -> str:
        """``{base_url}{prefix}{path}?expires=…&sig=…[&filename=…]``: ``prefix`` is
        ``/documents/`` for documents; HR's figures sign ``figures/…`` under ``/``."""
        expires, sig = self.sign(path, ttl, filename)
        query = {"expires": str(expires), "sig": sig}
        if filename is not None:
            query["filename"] = filename
        return f"{base_url.rstrip('/')}{prefix}{quote(path, safe='/')}?{urlencode(query)}"

    def check(self, path: str, expires: str, sig: str, filename: str | None = None) -> LinkCheck:
        """``VALID`` for an unexpired signature made for exactly this path (and filename);
        ``EXPIRED`` when that signature's time is up; ``INVALID`` for anything else."""
        if not all(isinstance(v, str) for v in (path, expires, sig)):
            return LinkCheck.INVALID
        if filename is not None and not isinstance(filename, str):
            return LinkCheck.INVALID
        if not _EXPIRES_PATTERN.fullmatch(expires) or not _SIG_PATTERN.fullmatch(sig):
            return LinkCheck.INVALID
        try:
            _check_part("path", path)
            if filename is not None:
                _check_part("filename", filename)
        except ValueError:
            return LinkCheck.INVALID
        expected = self._signature(path, expires, filename)
        if not hmac.compare_digest(expected.encode("ascii"), sig.encode("ascii")):
            return LinkCheck.INVALID
        return LinkCheck.VALID if int(expires) > self._clock() else LinkCheck.EXPIRED

    def verify(self, path: str, expires: str, sig: str, filename: str | None = None) -> bool:
        """True only for an unexpired signature made for exactly this path (and filename)."""
        return self.check(path, expires, sig, filename) is LinkCheck.VALID

    def _signature(self, path: str, expires: str, filename: str | None) -> str:
        message = json.dumps([_TAG, path, expires, filename or ""], ensure_ascii=True)
        return hmac.new(self._secret, message.encode("ascii"), hashlib.sha256).hexdigest()


def _check_part(what: str, value: str) -> None:
    if not isinstance(value, str) or not value or len(value) > 1024:
        raise ValueError(f"invalid {what} to sign")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError(f"invalid {what} to sign (control characters)")


# -- a store's links ----------------------------------------------------------------------------


class DocumentLinks:
    """A store's download links: made with ``url``, checked with ``check`` (by the route).

    ``base_url`` is where people's browsers reach the bot (``PUBLIC_BASE_URL``); ``secret`` the
    key, or an async function that gets it, awaited once on first use (a failure, e.g. storage
    being down, is raised to that caller and the next call tries again).
    """

    def __init__(
        self,
        base_url: str,
        secret: bytes | Callable[[], Awaitable[bytes]],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(base_url, str) or not _BASE_URL_PATTERN.fullmatch(base_url.rstrip("/")):
            raise ValueError(f"links need an http(s) base URL, not {base_url!r}")
        self._base_url = base_url.rstrip("/")
        self._clock = clock
        self._signer: LinkSigner | None = None
        self._load: Callable[[], Awaitable[bytes]] | None = None
        if isinstance(secret, bytes):
            self._signer = LinkSigner(secret, clock)
        elif callable(secret):
            self._load = secret
        else:
            raise ValueError("a link secret must be bytes or an async function returning bytes")
        self._lock = asyncio.Lock()

    @property
    def base_url(self) -> str:
        return self._base_url

    async def signer(self) -> LinkSigner:
        """The signer, with the secret loaded (once)."""
        if self._signer is None:
            async with self._lock:
                if self._signer is None:
                    assert self._load is not None
                    self._signer = LinkSigner(await self._load(), self._clock)
        return self._signer

    async def url(
        self, path: str, ttl: timedelta, filename: str | None = None, *, prefix: str = PREFIX
    ) -> str:
        """``{base_url}/documents/{path}?expires=…&sig=…[&filename=…]``, good for ``ttl``
        (another route's ``prefix``: see ``LinkSigner.url``)."""
        return (await self.signer()).url(self._base_url, path, ttl, filename, prefix=prefix)

    async def check(
        self, path: str, expires: str, sig: str, filename: str | None = None
    ) -> LinkCheck:
        return (await self.signer()).check(path, expires, sig, filename)


# -- the secret ----------------------------------------------------------------------------------


def secret_from(value: str | None, fallback_file: Path) -> bytes:
    """The link secret: ``value`` (hex or base64, ≥ 32 bytes) when set, else the fallback file's.

    The file is created when missing (parent directories ``0o700``, the file ``0o600``, 32 random
    bytes as hex); creation is atomic (``os.link`` of a finished temporary file), so processes
    starting together agree on one secret. ``ValueError`` for a value or file that is not a
    secret of at least 32 bytes.
    """
    if value is not None and value.strip():
        return decode_secret(value.strip(), "the link secret setting")
    path = Path(fallback_file)
    with contextlib.suppress(FileNotFoundError):
        return _read_secret_file(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _FILE_MODE)
    try:
        try:
            os.write(fd, new_secret_text().encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process was first: use theirs
            os.link(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return _read_secret_file(path)


def _read_secret_file(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & 0o077:
        os.chmod(path, _FILE_MODE)
    text = path.read_text(encoding="ascii", errors="replace").strip()
    return decode_secret(text, f"the link secret file {path}")


def new_secret_text() -> str:
    """A fresh secret as stored: 32 random bytes as hex, with a newline."""
    return secrets.token_hex(MIN_SECRET_BYTES) + "\n"


def decode_secret(text: str, where: str) -> bytes:
    """A secret from hex or (standard or URL-safe) base64; ``ValueError`` naming ``where``
    unless it decodes to at least 32 bytes."""
    text = text.strip()
    data: bytes | None = None
    if _HEX_PATTERN.fullmatch(text):
        data = bytes.fromhex(text)
    else:
        standard = text.replace("-", "+").replace("_", "/")  # urlsafe base64 too
        try:
            data = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        except (binascii.Error, ValueError):
            data = None
    if data is None:
        raise ValueError(f"{where} is neither hex nor base64")
    if len(data) < MIN_SECRET_BYTES:
        raise ValueError(f"{where} is shorter than {MIN_SECRET_BYTES} bytes")
    return data
