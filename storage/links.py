"""Signed, expiring download links for the local document store, and the route that serves them.

A link is ``{base_url}/documents/{path}?expires=<unix seconds>&sig=<hex>[&filename=<name>]``.
``sig`` is HMAC-SHA256 with a server secret over (a version tag, the path, ``expires``, the
filename or ""), encoded unambiguously (a JSON array), so a signature is good for exactly one
document, one expiry and one download filename. ``verify`` compares in constant time and rejects
expired, malformed and other-path signatures.

``secret_from(value, fallback_file)``: the secret from a setting (base64 or hex, at least 32
bytes), else from a local file created once (``0o600``, 32 random bytes as hex), so several
local processes share it and nothing secret lives in the repository. Rotating the secret
invalidates every outstanding link (they are short-lived anyway).

``download_route(store, signer)``: an aiohttp handler for ``GET /documents/{path:.+}``
(``ROUTE``): 403 for a missing, malformed, wrong or expired signature (checked before anything
is looked up, so nothing leaks about which documents exist), 404 for an invalid path or an
absent document, 503 when the store fails; short plain bodies, never a traceback, never a 500.
A good request gets the bytes with the document's content type, ``Content-Disposition:
attachment``, ``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import logging
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

from aiohttp import web

from storage.documents import (
    DocumentNotFound,
    DocumentStore,
    download_filename,
    parse_path,
    validate_ttl,
)
from storage.errors import StorageError

ROUTE = "/documents/{path:.+}"
PREFIX = "/documents/"
MIN_SECRET_BYTES = 32
_TAG = "samtaleguide-document-link/v1"
_EXPIRES_PATTERN = re.compile(r"[0-9]{1,12}")
_SIG_PATTERN = re.compile(r"[0-9a-f]{64}")
_HEX_PATTERN = re.compile(r"(?:[0-9a-fA-F]{2})+")
_FILE_MODE = 0o600
_DIR_MODE = 0o700

log = logging.getLogger(__name__)


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

    def url(self, base_url: str, path: str, ttl: timedelta, filename: str | None = None) -> str:
        """``{base_url}/documents/{path}?expires=…&sig=…[&filename=…]``."""
        expires, sig = self.sign(path, ttl, filename)
        query = {"expires": str(expires), "sig": sig}
        if filename is not None:
            query["filename"] = filename
        return f"{base_url.rstrip('/')}{PREFIX}{quote(path, safe='/')}?{urlencode(query)}"

    def verify(self, path: str, expires: str, sig: str, filename: str | None = None) -> bool:
        """True only for an unexpired signature made for exactly this path (and filename)."""
        if not all(isinstance(v, str) for v in (path, expires, sig)):
            return False
        if filename is not None and not isinstance(filename, str):
            return False
        if not _EXPIRES_PATTERN.fullmatch(expires) or not _SIG_PATTERN.fullmatch(sig):
            return False
        try:
            _check_part("path", path)
            if filename is not None:
                _check_part("filename", filename)
        except ValueError:
            return False
        expected = self._signature(path, expires, filename)
        if not hmac.compare_digest(expected.encode("ascii"), sig.encode("ascii")):
            return False
        return int(expires) > self._clock()

    def _signature(self, path: str, expires: str, filename: str | None) -> str:
        message = json.dumps([_TAG, path, expires, filename or ""], ensure_ascii=True)
        return hmac.new(self._secret, message.encode("ascii"), hashlib.sha256).hexdigest()


def _check_part(what: str, value: str) -> None:
    if not isinstance(value, str) or not value or len(value) > 1024:
        raise ValueError(f"invalid {what} to sign")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError(f"invalid {what} to sign (control characters)")


# -- the secret ----------------------------------------------------------------------------------


def secret_from(value: str | None, fallback_file: Path) -> bytes:
    """The link secret: ``value`` (hex or base64, ≥ 32 bytes) when set, else the fallback file's.

    The file is created when missing (parent directories ``0o700``, the file ``0o600``, 32 random
    bytes as hex); creation is atomic (``os.link`` of a finished temporary file), so processes
    starting together agree on one secret. ``ValueError`` for a value or file that is not a
    secret of at least 32 bytes.
    """
    if value is not None and value.strip():
        return _decode_secret(value.strip(), "the link secret setting")
    path = Path(fallback_file)
    with contextlib.suppress(FileNotFoundError):
        return _read_secret_file(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _FILE_MODE)
    try:
        try:
            os.write(fd, (secrets.token_hex(MIN_SECRET_BYTES) + "\n").encode("ascii"))
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
    return _decode_secret(text, f"the link secret file {path}")


def _decode_secret(text: str, where: str) -> bytes:
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


# -- the download route --------------------------------------------------------------------------


def download_route(
    store: DocumentStore, signer: LinkSigner
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler for ``GET /documents/{path:.+}`` (register with ``ROUTE``)."""

    async def download(request: web.Request) -> web.StreamResponse:
        try:
            return await _download(request, store, signer)
        except Exception:  # never a 500, never a traceback to the client
            log.exception("document download failed")
            return _plain(503, "Unavailable")

    return download


async def _download(
    request: web.Request, store: DocumentStore, signer: LinkSigner
) -> web.StreamResponse:
    path = request.match_info.get("path", "")
    expires = _single(request, "expires")
    sig = _single(request, "sig")
    filename_values = request.query.getall("filename", [])
    if expires is None or sig is None or len(filename_values) > 1:
        return _plain(403, "Forbidden")
    filename = filename_values[0] if filename_values else None
    if not signer.verify(path, expires, sig, filename):
        return _plain(403, "Forbidden")
    try:
        document = parse_path(path)
        attachment = download_filename(document, filename)
    except ValueError:
        return _plain(404, "Not found")
    try:
        data = await store.read(document.path)
    except (DocumentNotFound, ValueError):
        return _plain(404, "Not found")
    except StorageError:
        log.warning("document download of %s failed: storage unavailable", document.path)
        return _plain(503, "Unavailable")
    return web.Response(
        body=data,
        status=200,
        headers={
            "Content-Type": document.content_type,
            "Content-Disposition": f'attachment; filename="{attachment}"',
            **_SAFE_HEADERS,
        },
    )


_SAFE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Robots-Tag": "noindex, nofollow",
}


def _single(request: web.Request, name: str) -> str | None:
    values = request.query.getall(name, [])
    return values[0] if len(values) == 1 else None


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain", headers=_SAFE_HEADERS)
