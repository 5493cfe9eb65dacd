"""Issue 11 point 10 over HTTP: every plan link points at the bot, for both stores, and what a
person's browser sees when a link cannot be used is a small Danish (or English) page.

For the local store and for Azurite, through the served app (``BotServer``) with real requests:
a fresh link from »Nyt link« downloads the plan (Azure: a 302 to a two-minute SAS URL of that
blob, followed to Azurite); expired (410), tampered (403) and erased (404) links get the page;
an English browser gets it in English; the pages carry the security headers and name nothing.
Link expiry runs on an injected clock, never on waiting.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiohttp
import pytest

from bot.observability import JsonFormatter, configure_logging
from settings import Settings
from storage.documents import CONTENT_TYPES, REDIRECT_TTL
from tests.app.harness import BotServer, Chat, Client, User
from tests.app.test_live_flow import EVERYONE, MEMBERS, prepared_grus
from tests.support.connector import ConnectorStandIn

REPO = Path(__file__).resolve().parents[2]
DOCX = CONTENT_TYPES["docx"]
PDF = CONTENT_TYPES["pdf"]
MINUTES = 5
WORD, PDF_LABEL = "Hent Word-dokumentet", "Hent PDF"
ENGLISH = "en-US,en;q=0.9,da;q=0.5"

STORES = [
    pytest.param("files", id="files"),
    pytest.param("blob", id="blob", marks=pytest.mark.azurite),
]


class Clock:
    """The links' clock (unix seconds); a test moves it on instead of waiting. It starts on a
    whole second, so a link made now expires exactly ``MINUTES`` later."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@dataclass
class Served:
    kind: str
    server: BotServer
    clock: Clock
    env: dict[str, str]  # the settings, for manage.py and a second instance
    blob_endpoint: str = ""


def store_env(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[dict[str, str], str]:
    common = {"PLAN_LINK_MINUTES": str(MINUTES), "REMINDER_INTERVAL_SECONDS": "0"}
    if kind == "files":
        return {**common, "LOCAL_STORAGE_DIR": str(tmp_path / "data")}, ""
    azurite = request.getfixturevalue("azurite")
    container = request.getfixturevalue("blob_container_name")
    env = {
        **common,
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "AZURE_STORAGE_CONTAINER": container,
        "AZURE_STORAGE_DOCUMENTS_CONTAINER": container + "-docs",
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
    }
    return env, f"{azurite.account_url}/{container}-docs/"


async def start(env: dict[str, str], clock: Clock) -> BotServer:
    server = await BotServer(Settings.from_env(env), link_clock=clock).start()
    server.parts.teams.policy = type(server.parts.teams.policy)(attempts=6, base=0.01, cap=0.05)
    return server


@pytest.fixture(params=STORES)
async def served(
    request: pytest.FixtureRequest, tmp_path: Path, connector: ConnectorStandIn
) -> AsyncIterator[Served]:
    # Depends on the stand-in so that the bot stops (finishing its background work) first.
    env, blob_endpoint = store_env(request.param, request, tmp_path)
    clock = Clock()
    server = await start(env, clock)
    yield Served(request.param, server, clock, env, blob_endpoint)
    await server.stop()


@dataclass
class Plan:
    conversation_id: str
    files: dict[str, tuple[bytes, str]]
    word: str  # the links on the owner's card
    pdf: str
    owner: User
    personal: Chat


async def new_link(served: Served, plan: Plan) -> dict[str, str]:
    """The owner presses »Nyt link« in their own 1:1 chat; the links on the card it answers."""
    client = Client(served.server)
    status, card = await client.press(
        plan.personal, plan.owner, "plan.link", {"conversation": plan.conversation_id}
    )
    assert status == 200 and card is not None
    return {a["title"]: a["url"] for a in card["actions"] if a.get("type") == "Action.OpenUrl"}


async def stored_plan(served: Served, connector: ConnectorStandIn) -> Plan:
    """A GRUS with a stored plan (known bytes), and the owner's fresh links to it."""
    client = Client(served.server)
    group = Chat(f"19:downloads-{uuid.uuid4().hex[:8]}@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (served.server,), connector, group)
    files = {
        "docx": (b"PK\x03\x04 the plan " + os.urandom(16), DOCX),
        "pdf": (b"%PDF-1.7 the plan " + os.urandom(16) + b"\n%%EOF\n", PDF),
    }
    await served.server.parts.documents.add_version(conversation_id, "plan", files)
    owner = MEMBERS[0]
    chat_id = next(
        cid
        for cid, c in connector.conversations.items()
        if not c.get("isGroup") and c["members"][0]["id"] == owner.id
    )
    plan = Plan(conversation_id, files, "", "", owner, Chat(chat_id, False, connector.service_url))
    links = await new_link(served, plan)
    plan.word, plan.pdf = links[WORD], links[PDF_LABEL]
    return plan


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


async def get(url: str, *, language: str | None = None, follow: bool = False) -> Answer:
    headers = {"Accept-Language": language} if language else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers=headers, allow_redirects=follow) as response,
    ):
        return Answer(response.status, await response.read(), dict(response.headers))


def assert_page(answer: Answer, status: int, title: str, *, language: str = "da") -> None:
    """A refusal page: its status, its words, and the headers that keep it safe."""
    assert answer.status == status, answer.text
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Content-Language"] == language
    assert answer.headers["Vary"] == "Accept-Language"
    assert "Location" not in answer.headers
    csp = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script" not in csp and "unsafe" not in csp
    style = re.search(r"<style>(.*?)</style>", answer.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp  # the one inline stylesheet, by its hash
    page = answer.text
    assert page.startswith("<!doctype html>")
    assert f'<html lang="{language}">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script" not in page.lower()
    assert re.search(r"<[^>]*\son\w+\s*=", page) is None  # no event handler attributes
    assert "http" not in page  # nothing to load, nothing to follow
    assert f"<h1>{title}</h1>" in page
    assert ("»Nyt link«" if language == "da" else "“New link”") in page


def assert_names_nothing(answer: Answer, plan: Plan) -> None:
    page = answer.text
    for secret in (plan.conversation_id, "plan-v", "udviklingsplan-v", "conversations/"):
        assert secret not in page
    for url in (plan.word, plan.pdf):
        assert parse_qs(urlsplit(url).query)["sig"][0] not in page
    for person in EVERYONE:
        assert person.name not in page and person.id not in page


def with_query(url: str, **changes: str | None) -> str:
    """``url`` with query parameters changed (None removes one), kept in order."""
    base, _, query = url.partition("?")
    pairs = [p.split("=", 1) for p in query.split("&")]
    out = []
    for name, value in pairs:
        if name in changes:
            new = changes[name]
            if new is None:
                continue
            value = new
        out.append(f"{name}={value}")
    return f"{base}?{'&'.join(out)}"


# -- a fresh link --------------------------------------------------------------------------------


async def test_a_fresh_link_downloads_the_plan(served: Served, connector: ConnectorStandIn) -> None:
    plan = await stored_plan(served, connector)
    server = served.server
    for url, extension in ((plan.word, "docx"), (plan.pdf, "pdf")):
        assert url.startswith(f"{server.url}/documents/conversations/{plan.conversation_id}/")
        expected = plan.files[extension][0]
        disposition = f'attachment; filename="udviklingsplan-v1.{extension}"'

        answer = await get(url)

        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        if served.kind == "files":
            assert (answer.status, answer.body) == (200, expected)
            assert answer.headers["Content-Type"] == CONTENT_TYPES[extension]
            assert answer.headers["Content-Disposition"] == disposition
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            continue
        # Azure: a redirect to a SAS URL of exactly this blob, valid for two minutes ...
        assert answer.status == 302 and answer.body == b""
        location = answer.headers["Location"]
        assert location.startswith(
            f"{served.blob_endpoint}conversations/{plan.conversation_id}/plan-v1.{extension}?"
        )
        query = parse_qs(urlsplit(location).query)
        assert (query["sp"], query["sr"]) == (["r"], ["b"])
        start, expiry = (datetime.fromisoformat(query[k][0]) for k in ("st", "se"))
        assert expiry - start == REDIRECT_TTL + timedelta(minutes=1)
        # ... on which Azurite gives the bytes, as an attachment with the plan's name
        followed = await get(location)
        assert (followed.status, followed.body) == (200, expected)
        assert followed.headers["Content-Type"] == CONTENT_TYPES[extension]
        assert followed.headers["Content-Disposition"] == disposition
        assert followed.headers["Cache-Control"] == "no-store"
        # and what a browser does, in one go
        browser = await get(url, follow=True)
        assert (browser.status, browser.body) == (200, expected)


# -- expired, tampered, erased -------------------------------------------------------------------


async def test_an_expired_link_answers_410_with_the_page(
    served: Served, connector: ConnectorStandIn
) -> None:
    plan = await stored_plan(served, connector)
    ok = 200 if served.kind == "files" else 302

    served.clock.now += MINUTES * 60 - 1
    assert (await get(plan.word)).status == ok
    served.clock.now += 1
    answer = await get(plan.word)

    assert_page(answer, 410, "Linket er udløbet")
    assert_names_nothing(answer, plan)
    assert_page(await get(plan.pdf), 410, "Linket er udløbet")
    # »Nyt link« gives one that works again
    fresh = await new_link(served, plan)
    assert (await get(fresh[WORD], follow=True)).body == plan.files["docx"][0]


async def test_a_tampered_link_answers_403_with_the_page(
    served: Served, connector: ConnectorStandIn
) -> None:
    plan = await stored_plan(served, connector)
    url = plan.word
    query = parse_qs(urlsplit(url).query)
    sig, expires = query["sig"][0], query["expires"][0]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    other = await stored_plan(served, connector)
    other_path = urlsplit(other.word).path

    tampered = {
        "another format": url.replace("plan-v1.docx", "plan-v1.pdf"),
        "another version": url.replace("plan-v1.docx", "plan-v2.docx"),
        "another conversation": url.replace(urlsplit(url).path, other_path),
        "a later expiry": with_query(url, expires=str(int(expires) + 3600)),
        "an earlier expiry": with_query(url, expires=str(int(expires) - 60)),
        "a changed signature": with_query(url, sig=flipped),
        "a truncated signature": with_query(url, sig=sig[:-1]),
        "no signature": with_query(url, sig=None),
        "no expiry": with_query(url, expires=None),
        "two signatures": f"{url}&sig={sig}",
        "another filename": with_query(url, filename="min-plan.docx"),
        "no filename": with_query(url, filename=None),
        "no query at all": url.split("?")[0],
    }
    for what, bad in tampered.items():
        answer = await get(bad)
        assert answer.status == 403, what
        assert_page(answer, 403, "Linket virker ikke")
        assert_names_nothing(answer, plan)
    # the real one still works
    assert (await get(url, follow=True)).body == plan.files["docx"][0]


async def test_a_link_to_a_plan_erased_with_manage_py_forget_answers_404(
    served: Served, connector: ConnectorStandIn
) -> None:
    plan = await stored_plan(served, connector)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "manage.py",
        "forget",
        plan.owner.id,
        cwd=REPO,
        env={**os.environ, **served.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert "erased from 1 conversation" in out.decode()

    for url in (plan.word, plan.pdf):
        answer = await get(url)
        assert_page(answer, 404, "Udviklingsplanen findes ikke længere")
        assert_names_nothing(answer, plan)
        assert "»Lav udviklingsplanen igen«" in answer.text


async def test_a_link_to_a_plan_past_retention_answers_404(
    served: Served, connector: ConnectorStandIn
) -> None:
    plan = await stored_plan(served, connector)
    housekeeping = served.server.parts.housekeeping
    assert await housekeeping.purge_expired(datetime.now() + timedelta(days=181)) == 1

    answer = await get(plan.word, language=ENGLISH)

    assert_page(answer, 404, "The development plan no longer exists", language="en")
    assert_names_nothing(answer, plan)
    # once expired as well, it is the expiry that counts (nothing is looked up)
    served.clock.now += MINUTES * 60
    assert_page(await get(plan.word), 410, "Linket er udløbet")


# -- the language --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        (None, "da"),
        ("da", "da"),
        ("da-DK,da;q=0.9,en-US;q=0.8,en;q=0.7", "da"),
        (ENGLISH, "en"),
        ("en", "en"),
        ("de-DE,de;q=0.9,en;q=0.3", "en"),
        ("en;q=0.5,da;q=0.6", "da"),
        ("en;q=0.5,da;q=0.5", "da"),
        ("fr-FR", "da"),
        ("*", "da"),
        ("en;q=nonsense", "da"),
    ],
)
async def test_the_page_speaks_english_when_the_browser_prefers_it(
    server: BotServer, accept_language: str | None, language: str
) -> None:
    """The local server of tests/app/conftest.py: refusals are looked at before any store."""
    url = f"{server.url}/documents/conversations/c-1/plan-v1.docx?expires=1&sig={'0' * 64}"

    answer = await get(url, language=accept_language)

    title = "Linket virker ikke" if language == "da" else "This link does not work"
    assert_page(answer, 403, title, language=language)


async def test_every_page_in_english(served: Served, connector: ConnectorStandIn) -> None:
    plan = await stored_plan(served, connector)
    invalid = await get(with_query(plan.word, sig="f" * 64), language=ENGLISH)
    assert_page(invalid, 403, "This link does not work", language="en")
    served.clock.now += MINUTES * 60
    expired = await get(plan.word, language=ENGLISH)
    assert_page(expired, 410, "This link has expired", language="en")
    assert "“Nyt link” in Danish" in expired.text
    for answer in (invalid, expired):
        assert_names_nothing(answer, plan)


# -- never listable, never outside the store, never a signature in the logs ----------------------


async def test_documents_are_never_listed(served: Served, connector: ConnectorStandIn) -> None:
    plan = await stored_plan(served, connector)
    signer = await served.server.parts.documents.links.signer()
    base = served.server.url
    for path in (
        "conversations",
        "conversations/",
        f"conversations/{plan.conversation_id}",
        f"conversations/{plan.conversation_id}/",
        f"conversations/{plan.conversation_id}/plan-v1",
        "link-secret",
    ):
        unsigned = await get(f"{base}/documents/{path}")
        assert_page(unsigned, 403, "Linket virker ikke")
        # even with a valid signature (which no stranger has) there is nothing to list
        signed = await get(signer.url(base, path, timedelta(minutes=1)))
        assert_page(signed, 404, "Udviklingsplanen findes ikke længere")
        assert_names_nothing(signed, plan)
    bare = await get(f"{base}/documents/")
    assert bare.status == 404 and plan.conversation_id.encode() not in bare.body


TRAVERSALS = [
    "../outside.docx",
    "../../outside.docx",
    "conversations/../../outside.docx",
    "conversations/c-0001/../../../outside.docx",
    "%2e%2e/outside.docx",
    "%2E%2E%2Foutside.docx",
    "conversations%2F..%2F..%2Foutside.docx",
    "conversations/c-0001/..%2f..%2f..%2foutside.docx",
    "..%5c..%5coutside.docx",
    "%252e%252e%252foutside.docx",
    "/" + "{root}/outside.docx",
    "conversations/c-0001/plan-v1.docx%00.docx",
]


async def _raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """A GET with the request target sent byte for byte (no client-side normalisation)."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@pytest.mark.parametrize("raw", TRAVERSALS)
async def test_path_traversal_never_serves_a_file_outside_the_store(
    server: BotServer, raw: str
) -> None:
    root = server.settings.local_storage_dir / "documents"
    secret = b"NOT FOR DOWNLOAD " + os.urandom(8)
    root.mkdir(parents=True, exist_ok=True)
    (root.parent / "outside.docx").write_bytes(secret)
    documents = server.parts.documents
    await documents.add_version("c-0001", "plan", {"docx": (b"PK inside", DOCX)})
    signer = await documents.links.signer()
    raw = raw.replace("{root}", str(root.parent).lstrip("/"))

    # Even with a valid signature for the decoded path (which no attacker has), nothing outside
    # the store is served.
    for signed in {raw, unquote(raw), unquote(unquote(raw))}:
        if "\x00" in signed:
            continue
        expires, sig = signer.sign(signed, timedelta(minutes=5))
        status, body = await _raw_get(server.url, f"/documents/{raw}?expires={expires}&sig={sig}")
        assert status in (400, 403, 404), (raw, signed, status)
        assert secret not in body
    # and without one
    status, body = await _raw_get(server.url, f"/documents/{raw}")
    assert status in (400, 403, 404)
    assert secret not in body


async def test_downloads_log_no_signature(
    served: Served, connector: ConnectorStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG")  # as `LOG_LEVEL=DEBUG python app.py` would
    logging.getLogger().addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        plan = await stored_plan(served, connector)
        redirect = await get(plan.word)
        await get(plan.word, follow=True)
        await get(with_query(plan.word, sig="0" * 64))
        served.clock.now += MINUTES * 60
        await get(plan.pdf)
    finally:
        logging.getLogger().handlers.clear()

    text = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert '"document link refused"' in text
    for url in (plan.word, plan.pdf):
        assert parse_qs(urlsplit(url).query)["sig"][0] not in text
    if served.kind == "blob":
        assert parse_qs(urlsplit(redirect.headers["Location"]).query)["sig"][0] not in text


# -- several instances ---------------------------------------------------------------------------


@pytest.mark.azurite
async def test_two_azure_instances_agree_on_one_link_key(
    azurite: Any, blob_container_name: str, connector: ConnectorStandIn, tmp_path: Path
) -> None:
    """Two instances on one storage account, neither configured with a secret: a link made by
    one works on the other (the key blob, created once)."""
    env = {
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "AZURE_STORAGE_CONTAINER": blob_container_name,
        "AZURE_STORAGE_DOCUMENTS_CONTAINER": blob_container_name + "-docs",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "REMINDER_INTERVAL_SECONDS": "0",
    }
    clock = Clock()
    first, second = await start(env, clock), await start(env, clock)
    try:
        data = b"%PDF-1.7 shared " + os.urandom(8)
        [document] = await first.parts.documents.add_version("c-0001", "plan", {"pdf": (data, PDF)})
        made_by_first = await first.parts.documents.link(document.path, ttl=timedelta(minutes=5))
        made_by_second = await second.parts.documents.link(document.path, ttl=timedelta(minutes=5))

        on_second = made_by_first.replace(first.url, second.url)
        assert (await get(on_second, follow=True)).body == data
        assert made_by_second.replace(second.url, first.url) == made_by_first
    finally:
        await first.stop()
        await second.stop()
