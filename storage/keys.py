"""Storage keys: strict validation, and a safe encoding of arbitrary ids.

A key names one stored record (a conversation, a delivery record, an index record …), e.g.
``"conversations/3f2a9c"`` or ``"chats/<enc>"``.
Keys become file names and blob names, so they are validated strictly (``validate_key``):

- ``^[A-Za-z0-9][A-Za-z0-9._:/-]{0,200}$`` (so never a leading ``/``, at most 201 characters);
- no ``..`` anywhere, no empty segment (``//``), no trailing ``/`` or ``.`` (Azure advises
  against blob names ending so), no ``.`` segment.

Raw ids from Teams (``19:abc@thread.v2``, ``a:1Xy...=``, ``29:...;messageid=...``) contain
characters outside that set; ``key_for(prefix, raw_id)`` turns any raw id into a valid key,
deterministically: urlsafe base64 without padding (never contains ``.``), or, when that would be
too long, ``sha256.`` + the hex digest of the UTF-8 id (the ``.`` keeps the two forms apart).
"""

from __future__ import annotations

import base64
import hashlib
import re

KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,200}")
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9._:/-]{0,201}")
MAX_KEY_LENGTH = 201
_MAX_ENCODED = 120


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a valid storage key, else raise ``ValueError``."""
    if not isinstance(key, str) or KEY_PATTERN.fullmatch(key) is None:
        raise ValueError(f"invalid storage key {key!r}")
    if ".." in key or key.endswith(("/", ".")) or "//" in key:
        raise ValueError(f"invalid storage key {key!r}")
    if any(segment == "." for segment in key.split("/")):
        raise ValueError(f"invalid storage key {key!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """A listing prefix: empty, or the start of a possible key (key characters, no ``..``)."""
    if (
        not isinstance(prefix, str)
        or PREFIX_PATTERN.fullmatch(prefix) is None
        or ".." in prefix
        or prefix.startswith("/")
    ):
        raise ValueError(f"invalid storage key prefix {prefix!r}")
    return prefix


def encode_id(raw_id: str) -> str:
    """One key segment for an arbitrary non-empty id (same id, same segment)."""
    if not isinstance(raw_id, str) or raw_id == "":
        raise ValueError("an id to encode must be a non-empty string")
    data = raw_id.encode("utf-8")
    encoded = base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
    if len(encoded) <= _MAX_ENCODED:
        return encoded
    return "sha256." + hashlib.sha256(data).hexdigest()


def key_for(prefix: str, raw_id: str) -> str:
    """The key ``"<prefix>/<encoded raw_id>"``; ``prefix`` is a valid key itself, e.g. ``"chats"``.

    A trailing ``/`` on the prefix is tolerated. Raises ``ValueError`` for an invalid prefix or an
    empty id.
    """
    base = prefix[:-1] if isinstance(prefix, str) and prefix.endswith("/") else prefix
    validate_key(base)
    if len(base) + 1 + 71 > MAX_KEY_LENGTH:  # room for the longest segment, "sha256." + 64 hex
        raise ValueError(f"key prefix too long: {prefix!r}")
    segment = encode_id(raw_id)
    key = f"{base}/{segment}"
    if len(key) > MAX_KEY_LENGTH:
        key = f"{base}/sha256.{hashlib.sha256(raw_id.encode('utf-8')).hexdigest()}"
    return validate_key(key)


def place_of(chat_id: str) -> str:
    """An opaque, stable key for a chat (its raw Teams id hashed): what the domain records as the
    place a conversation was set up in, and the prefix of its conversations' ids."""
    return hashlib.sha256(chat_id.encode("utf-8")).hexdigest()[:16]
