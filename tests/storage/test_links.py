"""Signed document links (``storage.links``): sign and check with an injected clock, a store's
``DocumentLinks`` (with a secret loaded once), and the local secret."""

from __future__ import annotations

import base64
import os
import stat
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from storage.errors import StorageError
from storage.links import DocumentLinks, LinkCheck, LinkSigner, decode_secret, secret_from

SECRET = bytes(range(32))
PATH = "conversations/c-0001/plan-v3.docx"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer(clock: Clock) -> LinkSigner:
    return LinkSigner(SECRET, clock=clock)


def test_a_signature_verifies_until_it_expires(signer: LinkSigner, clock: Clock) -> None:
    expires, sig = signer.sign(PATH, timedelta(minutes=15))

    assert expires == 1_700_000_000 + 15 * 60
    assert len(sig) == 64 and int(sig, 16) >= 0
    assert signer.verify(PATH, str(expires), sig)
    clock.now = expires - 0.5
    assert signer.verify(PATH, str(expires), sig)
    clock.now = expires
    assert not signer.verify(PATH, str(expires), sig)
    clock.now = expires + 3600
    assert not signer.verify(PATH, str(expires), sig)


def test_check_tells_expired_from_invalid(signer: LinkSigner, clock: Clock) -> None:
    expires, sig = signer.sign(PATH, timedelta(minutes=15), "udviklingsplan-v3.docx")
    name = "udviklingsplan-v3.docx"

    assert signer.check(PATH, str(expires), sig, name) is LinkCheck.VALID
    clock.now = expires
    assert signer.check(PATH, str(expires), sig, name) is LinkCheck.EXPIRED
    # once expired, a changed expiry, path, filename or signature is still just invalid
    assert signer.check(PATH, str(expires + 3600), sig, name) is LinkCheck.INVALID
    assert signer.check(PATH.replace("v3", "v2"), str(expires), sig, name) is LinkCheck.INVALID
    assert signer.check(PATH, str(expires), sig) is LinkCheck.INVALID
    assert signer.check(PATH, str(expires), sig[::-1], name) is LinkCheck.INVALID
    assert signer.check(PATH, "", sig, name) is LinkCheck.INVALID


def test_expiry_rounds_up_so_a_link_never_lives_shorter_than_asked(clock: Clock) -> None:
    clock.now = 100.25
    expires, _ = LinkSigner(SECRET, clock=clock).sign(PATH, timedelta(seconds=10))
    assert expires == 111


def test_a_signature_is_for_exactly_one_path_expiry_and_filename(signer: LinkSigner) -> None:
    expires, sig = signer.sign(PATH, timedelta(minutes=5), "udviklingsplan-v3.docx")

    assert signer.verify(PATH, str(expires), sig, "udviklingsplan-v3.docx")
    assert not signer.verify(PATH, str(expires), sig)  # filename dropped
    assert not signer.verify(PATH, str(expires), sig, "other.docx")
    assert not signer.verify("conversations/c-0001/plan-v2.docx", str(expires), sig)
    assert not signer.verify("conversations/c-0002/plan-v3.docx", str(expires), sig)
    assert not signer.verify(PATH, str(expires + 3600), sig, "udviklingsplan-v3.docx")
    assert not signer.verify(PATH, str(expires - 1), sig, "udviklingsplan-v3.docx")


def test_another_secret_does_not_verify(signer: LinkSigner, clock: Clock) -> None:
    expires, sig = signer.sign(PATH, timedelta(minutes=5))
    other = LinkSigner(bytes(range(1, 33)), clock=clock)
    assert not other.verify(PATH, str(expires), sig)


@pytest.mark.parametrize(
    ("expires", "sig"),
    [
        ("", "GOOD"),
        ("-1", "GOOD"),
        ("+99999999999", "GOOD"),
        ("1e20", "GOOD"),
        ("GOOD ", "GOOD"),
        ("0x10", "GOOD"),
        ("9" * 13, "GOOD"),
        ("GOOD", ""),
        ("GOOD", "GOOD"[:-1]),
        ("GOOD", "UPPER"),
        ("GOOD", "GOOD!"),
        ("GOOD", "z" * 64),
        ("GOOD", "0" * 64),
    ],
)
def test_malformed_values_are_rejected(signer: LinkSigner, expires: str, sig: str) -> None:
    good_expires, good_sig = signer.sign(PATH, timedelta(minutes=5))
    expires = expires.replace("GOOD", str(good_expires))
    if sig == "GOOD"[:-1]:
        sig = good_sig[:-1]
    elif sig == "UPPER":
        sig = good_sig.upper()
    elif sig == "GOOD!":
        sig = good_sig + "0"
    else:
        sig = sig.replace("GOOD", good_sig)
    assert not signer.verify(PATH, expires, sig)


def test_non_strings_and_control_characters_are_rejected(signer: LinkSigner) -> None:
    expires, sig = signer.sign(PATH, timedelta(minutes=5))
    assert not signer.verify(PATH + "\n", str(expires), sig)
    assert not signer.verify(PATH, expires, sig)  # type: ignore[arg-type]
    assert not signer.verify(None, str(expires), sig)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        signer.sign("a\nb", timedelta(minutes=5))
    with pytest.raises(ValueError):
        signer.sign("", timedelta(minutes=5))


@pytest.mark.parametrize(
    "ttl", [timedelta(0), timedelta(seconds=-1), timedelta(days=8), 60], ids=str
)
def test_an_invalid_ttl_is_rejected(signer: LinkSigner, ttl: object) -> None:
    with pytest.raises(ValueError):
        signer.sign(PATH, ttl)  # type: ignore[arg-type]


def test_a_short_secret_is_rejected() -> None:
    with pytest.raises(ValueError):
        LinkSigner(b"x" * 31)


def test_url_carries_the_signed_query(signer: LinkSigner, clock: Clock) -> None:
    url = signer.url("https://bot.example.dk/", PATH, timedelta(minutes=5), "udviklingsplan.pdf")

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "https://bot.example.dk"
    assert parts.path == f"/documents/{PATH}"
    query = parse_qs(parts.query)
    assert query["expires"] == [str(int(clock.now) + 300)]
    assert query["filename"] == ["udviklingsplan.pdf"]
    assert signer.verify(PATH, query["expires"][0], query["sig"][0], "udviklingsplan.pdf")


# -- DocumentLinks -------------------------------------------------------------------------------


async def test_document_links_load_the_secret_once_and_retry_after_a_failure(
    clock: Clock,
) -> None:
    calls: list[int] = []

    async def load() -> bytes:
        calls.append(1)
        if len(calls) == 1:
            raise StorageError("storage down")
        return SECRET

    links = DocumentLinks("https://bot.example.dk/", load, clock=clock)
    assert links.base_url == "https://bot.example.dk"
    with pytest.raises(StorageError):
        await links.url(PATH, timedelta(minutes=5))

    url = await links.url(PATH, timedelta(minutes=5), "udviklingsplan-v3.docx")
    again = await links.url(PATH, timedelta(minutes=5), "udviklingsplan-v3.docx")

    assert url == again
    assert url == LinkSigner(SECRET, clock=clock).url(
        "https://bot.example.dk", PATH, timedelta(minutes=5), "udviklingsplan-v3.docx"
    )
    query = parse_qs(urlsplit(url).query)
    check = await links.check(PATH, query["expires"][0], query["sig"][0], "udviklingsplan-v3.docx")
    assert check is LinkCheck.VALID
    assert len(calls) == 2  # loaded once it worked, never again


@pytest.mark.parametrize(
    "base_url",
    ["", "/documents", "bot.example.dk", "javascript:alert(1)", "https://", "https://x?q=1"],
)
def test_document_links_need_an_http_base_url(base_url: str) -> None:
    with pytest.raises(ValueError):
        DocumentLinks(base_url, SECRET)


def test_document_links_keep_a_path_in_the_base_url(clock: Clock) -> None:
    links = DocumentLinks("https://kommune.example.dk/samtaleguide/", SECRET, clock=clock)
    assert links.base_url == "https://kommune.example.dk/samtaleguide"


# -- the secret ----------------------------------------------------------------------------------


def test_secret_from_creates_a_private_file_once_and_reuses_it(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "link-secret"

    first = secret_from(None, path)
    again = secret_from("", path)
    also = secret_from("   ", path)

    assert len(first) == 32
    assert first == again == also
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["link-secret"]  # no temporary file left
    assert secret_from(None, tmp_path / "other") != first  # random


def test_secret_from_tightens_an_open_file(tmp_path: Path) -> None:
    path = tmp_path / "link-secret"
    secret_from(None, path)
    os.chmod(path, 0o644)
    secret_from(None, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secret_from_prefers_the_setting_hex_or_base64(tmp_path: Path) -> None:
    raw = os.urandom(48)
    path = tmp_path / "link-secret"

    assert secret_from(raw.hex(), path) == raw
    assert secret_from(raw.hex().upper(), path) == raw
    assert secret_from(base64.b64encode(raw).decode(), path) == raw
    assert secret_from(base64.urlsafe_b64encode(raw).decode().rstrip("="), path) == raw
    assert not path.exists()  # the fallback is not touched when a setting is given


@pytest.mark.parametrize(
    "value",
    ["abc", "00" * 31, base64.b64encode(b"x" * 31).decode(), "not base64 at all!", "æøå" * 20],
)
def test_secret_from_rejects_a_short_or_malformed_setting(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValueError):
        secret_from(value, tmp_path / "link-secret")


def test_decode_secret_names_where_it_came_from() -> None:
    assert decode_secret("  " + SECRET.hex() + "\n", "x") == SECRET
    with pytest.raises(ValueError, match="the blob 'link-secret'"):
        decode_secret("", "the blob 'link-secret'")


def test_secret_from_rejects_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "link-secret"
    path.write_text("too short\n")
    with pytest.raises(ValueError):
        secret_from(None, path)
