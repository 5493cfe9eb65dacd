"""The document store contract (file store and Azurite), and its downloads over HTTP.

- One contract suite, parametrized over ``FileDocumentStore`` and ``BlobDocumentStore`` (whose
  link secret is the one kept in the container), with an injected clock for link expiry.
- Links are the bot's own for both stores; the route that serves them is tested through the
  served app in ``tests/app/test_downloads.py``.
- Blob downloads: account-key SAS redirects against the shared Azurite; user delegation SAS
  against a second Azurite with HTTPS and OAuth (a self-signed certificate, an unsigned token).
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import ssl
import stat
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from azure.core.credentials import AccessToken
from azure.storage.blob.aio import BlobServiceClient, ContainerClient

from storage.document_blobs import LINK_SECRET_BLOB, BlobDocumentStore
from storage.document_files import FileDocumentStore
from storage.documents import (
    CONTENT_TYPES,
    REDIRECT_TTL,
    DocumentBytes,
    DocumentNotFound,
    DocumentRedirect,
    DocumentStore,
    StoredDocument,
)
from storage.errors import StorageError
from storage.factory import open_document_store
from storage.links import LinkCheck
from tests.support.azurite import AZURITE_BLOB, _free_port, _wait_for_port

DOCX = CONTENT_TYPES["docx"]
PDF = CONTENT_TYPES["pdf"]
CID = "c-0001"
SECRET = bytes(range(32, 64))
TTL = timedelta(minutes=15)
BASE_URL = "https://bot.example.dk/samtaleguide"


def docx_bytes(tag: str) -> bytes:
    return b"PK\x03\x04 fake docx " + tag.encode() + b" \x00\xff" + os.urandom(8)


def pdf_bytes(tag: str) -> bytes:
    return b"%PDF-1.7 fake pdf " + tag.encode() + b"\n%%EOF\n" + os.urandom(8)


def both(tag: str) -> dict[str, tuple[bytes, str]]:
    return {"docx": (docx_bytes(tag), DOCX), "pdf": (pdf_bytes(tag), PDF)}


# -- backends ------------------------------------------------------------------------------------


class Clock:
    """The links' clock: a test moves it on instead of waiting."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class DocBackend:
    kind: str
    make: Callable[[], DocumentStore]
    clock: Clock
    root: Path | None = None
    connection_string: str = ""
    container_name: str = ""
    opened: list[DocumentStore] = field(default_factory=list)

    def new_store(self) -> DocumentStore:
        store = self.make()
        self.opened.append(store)
        return store

    async def close_all(self) -> None:
        for store in self.opened:
            await store.close()
        self.opened.clear()


BACKENDS = [
    pytest.param("file", id="file"),
    pytest.param("blob", id="blob", marks=pytest.mark.azurite),
]


@pytest.fixture(params=BACKENDS)
def doc_backend(request: pytest.FixtureRequest, tmp_path: Path) -> DocBackend:
    clock = Clock()
    if request.param == "file":
        root = tmp_path / "documents"
        return DocBackend(
            "file",
            lambda: FileDocumentStore(
                root, base_url=BASE_URL, link_secret=SECRET, link_clock=clock
            ),
            clock,
            root=root,
        )
    azurite = request.getfixturevalue("azurite")
    container_name = request.getfixturevalue("blob_container_name")
    conn = azurite.connection_string
    return DocBackend(
        "blob",
        # no link secret given: the one kept in the container (created on first use)
        lambda: BlobDocumentStore.from_connection_string(
            conn, container_name, base_url=BASE_URL, link_clock=clock
        ),
        clock,
        connection_string=conn,
        container_name=container_name,
    )


@pytest.fixture
async def docs(doc_backend: DocBackend) -> AsyncIterator[DocumentStore]:
    try:
        yield doc_backend.new_store()
    finally:
        await doc_backend.close_all()


# -- the contract --------------------------------------------------------------------------------


async def test_store_keeps_the_protocol(docs: DocumentStore) -> None:
    assert isinstance(docs, DocumentStore)


async def test_add_version_twice_makes_v1_then_v2_and_never_overwrites(
    docs: DocumentStore,
) -> None:
    first = docx_bytes("first")
    second = docx_bytes("second")

    [v1] = await docs.add_version(CID, "plan", {"docx": (first, DOCX)})
    [v2] = await docs.add_version(CID, "plan", {"docx": (second, DOCX)})

    assert v1 == StoredDocument(
        path=f"conversations/{CID}/plan-v1.docx",
        conversation_id=CID,
        name="plan",
        version=1,
        extension="docx",
        content_type=DOCX,
        size=len(first),
    )
    assert (v2.path, v2.version, v2.size) == (f"conversations/{CID}/plan-v2.docx", 2, len(second))
    assert await docs.read(v1.path) == first
    assert await docs.read(v2.path) == second


async def test_docx_and_pdf_share_one_version(docs: DocumentStore) -> None:
    files = both("plan")
    await docs.add_version(CID, "plan", {"pdf": (pdf_bytes("only pdf"), PDF)})

    stored = await docs.add_version(CID, "plan", files)

    assert [(d.version, d.extension) for d in stored] == [(2, "docx"), (2, "pdf")]
    assert [d.content_type for d in stored] == [DOCX, PDF]
    for document in stored:
        assert await docs.read(document.path) == files[document.extension][0]
        assert document.size == len(files[document.extension][0])


async def test_versions_lists_one_name_sorted_by_version_then_extension(
    docs: DocumentStore,
) -> None:
    assert await docs.versions(CID) == []
    a = await docs.add_version(CID, "plan", both("1"))
    b = await docs.add_version(CID, "plan", {"pdf": (pdf_bytes("2"), PDF)})
    c = await docs.add_version(CID, "plan", both("3"))
    # neighbours that must not be listed: other names sharing a prefix, other conversations
    await docs.add_version(CID, "plan-v", both("x"))
    await docs.add_version(CID, "plan2", both("y"))
    await docs.add_version("c-00010", "plan", both("z"))
    await docs.add_version(CID, "summary", {"pdf": (pdf_bytes("s"), PDF)})

    listed = await docs.versions(CID)

    assert listed == [*a, *b, *c]
    assert [(d.version, d.extension) for d in listed] == [
        (1, "docx"),
        (1, "pdf"),
        (2, "pdf"),
        (3, "docx"),
        (3, "pdf"),
    ]
    assert [d.path for d in await docs.versions(CID, "plan-v")] == [
        f"conversations/{CID}/plan-v-v1.docx",
        f"conversations/{CID}/plan-v-v1.pdf",
    ]
    assert [d.version for d in await docs.versions(CID, "summary")] == [1]
    assert await docs.versions("c-0002") == []


async def test_versions_are_per_name_and_per_conversation(docs: DocumentStore) -> None:
    await docs.add_version(CID, "plan", both("a"))
    await docs.add_version(CID, "plan", both("b"))
    [other] = await docs.add_version("c-0002", "plan", {"docx": (docx_bytes("c"), DOCX)})
    [summary] = await docs.add_version(CID, "summary", {"pdf": (pdf_bytes("d"), PDF)})
    assert other.version == 1
    assert summary.version == 1


async def test_read_of_an_absent_document_is_document_not_found(docs: DocumentStore) -> None:
    absent = f"conversations/{CID}/plan-v1.docx"
    with pytest.raises(DocumentNotFound) as caught:
        await docs.read(absent)
    assert isinstance(caught.value, StorageError)
    with pytest.raises(DocumentNotFound):
        await docs.link(absent, ttl=TTL)
    with pytest.raises(DocumentNotFound):
        await docs.download(absent)
    await docs.add_version(CID, "plan", {"docx": (docx_bytes("x"), DOCX)})
    with pytest.raises(DocumentNotFound):
        await docs.read(f"conversations/{CID}/plan-v1.pdf")
    with pytest.raises(DocumentNotFound):
        await docs.link(f"conversations/{CID}/plan-v2.docx", ttl=TTL)
    with pytest.raises(DocumentNotFound):
        await docs.download(f"conversations/{CID}/plan-v1.pdf", filename="plan.pdf")


INVALID_CONVERSATION_IDS = ["", "a" * 65, "c/1", "c..1", "c_1", "c 1", "c.1", "æ", "../c", "c%2F"]
INVALID_NAMES = ["", "Plan", "1plan", "-plan", "plan_v", "plan.v", "plan/x", "p" * 32, "pl an"]
INVALID_PATHS = [
    "",
    "conversations/c-0001/plan-v1.txt",
    "conversations/c-0001/plan-v0.docx",
    "conversations/c-0001/plan-v01.docx",
    "conversations/c-0001/plan-1.docx",
    "conversations/c-0001/plan-v1.docx/",
    "/conversations/c-0001/plan-v1.docx",
    "conversations/c-0001/../c-0002/plan-v1.docx",
    "conversations/c_1/plan-v1.docx",
    "other/c-0001/plan-v1.docx",
    "conversations/c-0001/Plan-v1.docx",
    "conversations/c-0001/plan-v1.DOCX",
    "conversations/c-0001/x/plan-v1.docx",
    "conversations/c-0001/plan-v1.docx\x00",
    "../../etc/passwd",
]


@pytest.mark.parametrize("conversation_id", INVALID_CONVERSATION_IDS)
async def test_invalid_conversation_ids_are_rejected(
    docs: DocumentStore, conversation_id: str
) -> None:
    with pytest.raises(ValueError):
        await docs.add_version(conversation_id, "plan", both("x"))
    with pytest.raises(ValueError):
        await docs.versions(conversation_id)
    with pytest.raises(ValueError):
        await docs.delete_conversation(conversation_id)


@pytest.mark.parametrize("name", INVALID_NAMES)
async def test_invalid_names_are_rejected(docs: DocumentStore, name: str) -> None:
    with pytest.raises(ValueError):
        await docs.add_version(CID, name, both("x"))
    with pytest.raises(ValueError):
        await docs.versions(CID, name)


@pytest.mark.parametrize("path", INVALID_PATHS)
async def test_invalid_paths_are_rejected(docs: DocumentStore, path: str) -> None:
    with pytest.raises(ValueError):
        await docs.read(path)
    with pytest.raises(ValueError):
        await docs.link(path, ttl=TTL)
    with pytest.raises(ValueError):
        await docs.download(path)


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"txt": (b"x", "text/plain")},
        {"DOCX": (b"x", DOCX)},
        {"html": (b"<script>", "text/html")},
        {"pdf": (b"x", "text/html")},  # the content type follows the extension
        {"docx": (b"x", PDF)},
        {"pdf": ("text", PDF)},
        {"pdf": (b"x",)},
        {"pdf": b"x"},
    ],
    ids=repr,
)
async def test_invalid_files_are_rejected_and_nothing_is_stored(
    docs: DocumentStore, files: Any
) -> None:
    with pytest.raises(ValueError):
        await docs.add_version(CID, "plan", files)
    assert await docs.versions(CID) == []


async def test_content_type_parameters_and_case_are_tolerated(docs: DocumentStore) -> None:
    [document] = await docs.add_version(CID, "plan", {"pdf": (b"%PDF", "Application/PDF; x=y")})
    assert document.content_type == PDF


@pytest.mark.parametrize(
    ("ttl", "filename"),
    [
        (timedelta(0), None),
        (timedelta(days=8), None),
        (TTL, "plan.pdf"),  # wrong extension for a docx
        (TTL, 'a".docx'),
        (TTL, "a/b.docx"),
        (TTL, "../a.docx"),
        (TTL, "udviklings plan.docx"),
        (TTL, "æ.docx"),
        (TTL, "a\r\nSet-Cookie: x.docx"),
    ],
)
async def test_invalid_link_arguments_are_rejected(
    docs: DocumentStore, ttl: timedelta, filename: str | None
) -> None:
    [document] = await docs.add_version(CID, "plan", {"docx": (docx_bytes("x"), DOCX)})
    with pytest.raises(ValueError):
        await docs.link(document.path, ttl=ttl, filename=filename)
    if filename is not None:
        with pytest.raises(ValueError):
            await docs.download(document.path, filename=filename)


async def test_ten_concurrent_add_versions_get_ten_distinct_versions(
    doc_backend: DocBackend,
) -> None:
    a, b = doc_backend.new_store(), doc_backend.new_store()
    try:
        payloads = [both(f"writer {i}") for i in range(10)]
        results = await asyncio.gather(
            *((a, b)[i % 2].add_version(CID, "plan", files) for i, files in enumerate(payloads))
        )

        versions = [r[0].version for r in results]
        assert sorted(versions) == list(range(1, 11))
        for files, result in zip(payloads, results, strict=True):
            assert len({d.version for d in result}) == 1
            for document in result:
                assert await a.read(document.path) == files[document.extension][0]
        listed = await b.versions(CID)
        assert len(listed) == 20
        assert [d.version for d in listed] == [v for v in range(1, 11) for _ in range(2)]
    finally:
        await doc_backend.close_all()


async def test_concurrent_writers_of_different_formats_never_mix_a_version(
    doc_backend: DocBackend,
) -> None:
    """Writers of (docx, pdf) race writers of pdf only: a version taken half-way is given up
    whole (this writer's files of it removed), so each version holds one writer's files."""
    store = doc_backend.new_store()
    try:
        payloads: list[dict[str, tuple[bytes, str]]] = [
            both(f"w{i}") if i % 2 else {"pdf": (pdf_bytes(f"w{i}"), PDF)} for i in range(10)
        ]
        results = await asyncio.gather(
            *(store.add_version(CID, "plan", files) for files in payloads)
        )

        by_version: dict[int, list[StoredDocument]] = {}
        for files, result in zip(payloads, results, strict=True):
            assert [d.extension for d in result] == sorted(files)
            (version,) = {d.version for d in result}
            assert version not in by_version
            by_version[version] = result
            for document in result:
                assert await store.read(document.path) == files[document.extension][0]
        listed = await store.versions(CID)
        assert listed == sorted(
            (d for r in results for d in r), key=lambda d: (d.version, d.extension)
        )
    finally:
        await doc_backend.close_all()


async def test_delete_conversation_removes_all_and_only_its_documents(
    docs: DocumentStore,
) -> None:
    await docs.add_version(CID, "plan", both("1"))
    await docs.add_version(CID, "plan", both("2"))
    await docs.add_version(CID, "summary", {"pdf": (pdf_bytes("s"), PDF)})
    [keep] = await docs.add_version("c-00010", "plan", {"docx": (docx_bytes("k"), DOCX)})
    [keep2] = await docs.add_version("c-000", "plan", {"pdf": (pdf_bytes("k2"), PDF)})

    assert await docs.delete_conversation(CID) == 5

    assert await docs.versions(CID) == []
    assert await docs.versions(CID, "summary") == []
    with pytest.raises(DocumentNotFound):
        await docs.read(f"conversations/{CID}/plan-v1.docx")
    assert await docs.read(keep.path)
    assert await docs.read(keep2.path)
    assert await docs.delete_conversation(CID) == 0
    assert await docs.delete_conversation("never-seen") == 0
    # a deleted conversation starts again at v1
    [again] = await docs.add_version(CID, "plan", {"docx": (docx_bytes("x"), DOCX)})
    assert again.version == 1


async def test_links_point_at_the_bot_signed_for_one_document_filename_and_time(
    doc_backend: DocBackend, docs: DocumentStore
) -> None:
    [docx, pdf] = await docs.add_version(CID, "plan", both("linked"))

    url = await docs.link(docx.path, ttl=TTL, filename="udviklingsplan-v1.docx")

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "bot.example.dk")
    assert parts.path == f"/samtaleguide/documents/{docx.path}"
    query = parse_qs(parts.query)
    assert sorted(query) == ["expires", "filename", "sig"]
    expires, sig = query["expires"][0], query["sig"][0]
    assert int(expires) == math.ceil(doc_backend.clock.now + TTL.total_seconds())
    assert query["filename"] == ["udviklingsplan-v1.docx"]
    check = docs.links.check
    assert await check(docx.path, expires, sig, "udviklingsplan-v1.docx") is LinkCheck.VALID
    # for exactly that document, filename and expiry
    assert await check(pdf.path, expires, sig, "udviklingsplan-v1.docx") is LinkCheck.INVALID
    assert await check(docx.path, expires, sig) is LinkCheck.INVALID
    assert await check(docx.path, expires, sig, "plan-v1.docx") is LinkCheck.INVALID
    later = str(int(expires) + 3600)
    assert await check(docx.path, later, sig, "udviklingsplan-v1.docx") is LinkCheck.INVALID
    # the default filename is not in the link
    default = parse_qs(urlsplit(await docs.link(pdf.path, ttl=TTL)).query)
    assert sorted(default) == ["expires", "sig"]
    # and it expires with the clock
    doc_backend.clock.now += TTL.total_seconds() - 1
    assert await check(docx.path, expires, sig, "udviklingsplan-v1.docx") is LinkCheck.VALID
    doc_backend.clock.now += 1
    assert await check(docx.path, expires, sig, "udviklingsplan-v1.docx") is LinkCheck.EXPIRED


async def test_download_delivers_exactly_that_document_as_an_attachment(
    doc_backend: DocBackend, docs: DocumentStore, http: aiohttp.ClientSession
) -> None:
    """The bytes (local store), or a redirect to a read-only SAS URL of exactly that blob,
    valid for ``REDIRECT_TTL``, on which Blob Storage names the attachment (Azure)."""
    files = both("delivered")
    [docx, pdf] = await docs.add_version(CID, "plan", files)
    await docs.add_version("c-0002", "plan", both("other"))

    for document, filename, attachment in (
        (docx, "udviklingsplan-v1.docx", "udviklingsplan-v1.docx"),
        (pdf, None, "plan-v1.pdf"),
    ):
        delivery = await docs.download(document.path, filename=filename)
        expected = files[document.extension][0]
        if doc_backend.kind == "file":
            assert delivery == DocumentBytes(expected)
            continue
        assert isinstance(delivery, DocumentRedirect)
        status, body, headers = await _get(http, delivery.url)
        assert (status, body) == (200, expected)
        assert headers["Content-Type"] == document.content_type
        assert headers["Content-Disposition"] == f'attachment; filename="{attachment}"'
        assert headers["Cache-Control"] == "no-store"
        query = parse_qs(urlsplit(delivery.url).query)
        assert query["sp"] == ["r"]  # read only
        assert query["sr"] == ["b"]  # one blob
        start, expiry = (datetime.fromisoformat(query[k][0]) for k in ("st", "se"))
        assert expiry - start == REDIRECT_TTL + timedelta(minutes=1)  # from a minute ago


async def test_stores_on_the_same_storage_agree_on_their_links(doc_backend: DocBackend) -> None:
    """Five instances starting together (for Azure: racing to create the key blob) make the
    same link, and each accepts the others'."""
    stores = [doc_backend.new_store() for _ in range(5)]
    try:
        [document] = await stores[0].add_version(CID, "plan", {"pdf": (pdf_bytes("x"), PDF)})

        urls = await asyncio.gather(*(s.link(document.path, ttl=TTL) for s in stores))

        assert len(set(urls)) == 1
        query = parse_qs(urlsplit(urls[0]).query)
        for store in stores:
            check = await store.links.check(document.path, query["expires"][0], query["sig"][0])
            assert check is LinkCheck.VALID
    finally:
        await doc_backend.close_all()


async def test_the_link_secret_is_never_a_document(
    doc_backend: DocBackend, docs: DocumentStore
) -> None:
    [document] = await docs.add_version(CID, "plan", {"docx": (docx_bytes("x"), DOCX)})
    url = await docs.link(document.path, ttl=TTL)

    assert await docs.versions(CID) == [document]
    assert await docs.delete_conversation(CID) == 1
    # the key survives the erasure: a new instance accepts a link made before
    other = doc_backend.new_store()
    query = parse_qs(urlsplit(url).query)
    check = await other.links.check(document.path, query["expires"][0], query["sig"][0])
    assert check is LinkCheck.VALID
    if doc_backend.kind == "blob":
        async with ContainerClient.from_connection_string(
            doc_backend.connection_string, doc_backend.container_name
        ) as container:
            assert [n async for n in container.list_blob_names()] == [LINK_SECRET_BLOB]
            properties = await container.get_blob_client(LINK_SECRET_BLOB).get_blob_properties()
            assert properties.metadata == {}
            assert properties.content_settings.content_type == "text/plain"


async def test_the_storage_is_private(doc_backend: DocBackend, docs: DocumentStore) -> None:
    stored = await docs.add_version(CID, "plan", both("private"))
    await docs.add_version(CID, "plan", both("private 2"))

    if doc_backend.kind == "blob":
        async with ContainerClient.from_connection_string(
            doc_backend.connection_string, doc_backend.container_name
        ) as container:
            properties = await container.get_container_properties()
            assert properties.public_access is None
            blob = await container.get_blob_client(stored[0].path).get_blob_properties()
            assert blob.content_settings.content_type == DOCX
            assert blob.metadata == {"conversation": CID, "document": "plan", "version": "1"}
        return

    assert doc_backend.root is not None
    directory = doc_backend.root / "conversations" / CID
    for level in (doc_backend.root, doc_backend.root / "conversations", directory):
        assert stat.S_IMODE(level.stat().st_mode) == 0o700, level
    assert sorted(os.listdir(directory)) == [
        "plan-v1.docx",
        "plan-v1.pdf",
        "plan-v2.docx",
        "plan-v2.pdf",
    ]  # no temporary files left
    for name in os.listdir(directory):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name


async def test_file_store_tightens_open_directories(tmp_path: Path) -> None:
    root = tmp_path / "documents"
    (root / "conversations").mkdir(parents=True, mode=0o755)
    os.chmod(root, 0o755)
    os.chmod(root / "conversations", 0o777)
    store = FileDocumentStore(root, base_url=BASE_URL, link_secret=SECRET)
    await store.add_version(CID, "plan", both("x"))
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "conversations").stat().st_mode) == 0o700


async def test_file_store_reports_os_errors_as_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    store = FileDocumentStore(blocker / "documents", base_url=BASE_URL, link_secret=SECRET)
    with pytest.raises(StorageError):
        await store.add_version(CID, "plan", both("x"))


async def test_blob_store_reports_an_unreachable_endpoint_as_storage_error() -> None:
    port = _free_port()
    conn = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
        "K1SZFPTOtr/KBHBeksoGMGw==;"
        f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    store = BlobDocumentStore.from_connection_string(
        conn, "documents", base_url=BASE_URL, retry_total=0, connection_timeout=2
    )
    try:
        for call in (
            store.add_version(CID, "plan", both("x")),
            store.versions(CID),
            store.read(f"conversations/{CID}/plan-v1.pdf"),
            store.link(f"conversations/{CID}/plan-v1.pdf", ttl=TTL),
            store.download(f"conversations/{CID}/plan-v1.pdf"),
            store.links.check(f"conversations/{CID}/plan-v1.pdf", "1", "0" * 64),  # the key
            store.delete_conversation(CID),
        ):
            with pytest.raises(StorageError) as caught:
                await call
            assert not isinstance(caught.value, DocumentNotFound)
    finally:
        await store.close()


def test_blob_store_needs_a_way_to_sign_links() -> None:
    sas_only = (
        "BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;SharedAccessSignature=sv=2020&sig=x"
    )
    with pytest.raises(ValueError):
        BlobDocumentStore.from_connection_string(sas_only, "documents", base_url=BASE_URL)
    with pytest.raises(ValueError):
        BlobDocumentStore(
            ContainerClient("http://127.0.0.1:1/devstoreaccount1", "documents"),
            account_name="devstoreaccount1",
            account_key=None,
            base_url=BASE_URL,
        )


@pytest.mark.parametrize(
    "base_url", ["", "bot.example.dk", "ftp://bot.example.dk", "https://x/?a=b", "https://x/#f"]
)
def test_a_store_needs_a_base_url_for_its_links(tmp_path: Path, base_url: str) -> None:
    with pytest.raises(ValueError):
        FileDocumentStore(tmp_path, base_url=base_url, link_secret=SECRET)


async def test_factory_picks_the_backend(tmp_path: Path) -> None:
    conn = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
        "K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;"
    )
    common: dict[str, Any] = {
        "container": "samtaleguide-documents",
        "local_root": tmp_path,
        "base_url": "https://bot.example.dk",
    }
    local = open_document_store(
        connection_string="", account_url=None, link_secret=SECRET, **common
    )
    assert isinstance(local, FileDocumentStore)
    assert local.root == tmp_path
    assert local.links.base_url == "https://bot.example.dk"
    with pytest.raises(ValueError):  # the local store has no place of its own for a key
        open_document_store(connection_string="", account_url=None, link_secret=None, **common)
    blob = open_document_store(connection_string=conn, account_url=None, link_secret=None, **common)
    assert isinstance(blob, BlobDocumentStore)
    assert blob.container.container_name == "samtaleguide-documents"
    managed = open_document_store(
        connection_string=None,
        account_url="https://acct.blob.core.windows.net",
        link_secret=SECRET,
        **common,
    )
    assert isinstance(managed, BlobDocumentStore)
    assert managed.container.url == "https://acct.blob.core.windows.net/samtaleguide-documents"
    for store in (local, blob, managed):
        await store.close()


# -- blob downloads: a short SAS redirect, followed to Azurite ------------------------------------


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(
    http: aiohttp.ClientSession, url: str, **kwargs: Any
) -> tuple[int, bytes, dict[str, str]]:
    async with http.get(url, allow_redirects=False, **kwargs) as response:
        return response.status, await response.read(), dict(response.headers)


@pytest.mark.azurite
async def test_a_blob_redirect_is_for_exactly_that_blob_and_read_only(
    azurite: Any, blob_container_name: str, http: aiohttp.ClientSession
) -> None:
    store = BlobDocumentStore.from_connection_string(
        azurite.connection_string, blob_container_name, base_url=BASE_URL
    )
    try:
        files = both("redirect")
        [docx, pdf] = await store.add_version(CID, "plan", files)
        [other] = await store.add_version("c-0002", "plan", {"docx": (docx_bytes("o"), DOCX)})

        delivery = await store.download(docx.path, filename="udviklingsplan-v1.docx")
        assert isinstance(delivery, DocumentRedirect)
        url = delivery.url
        assert (await _get(http, url))[:2] == (200, files["docx"][0])

        # the same signature on another blob's URL (same and other conversation): refused
        for target in (pdf.path, other.path):
            status, body, _ = await _get(http, url.replace(docx.path, target))
            assert status == 403
            assert body not in (files["pdf"][0], b"")
        # the key blob is not readable with it either
        status, _, _ = await _get(http, url.replace(docx.path, LINK_SECRET_BLOB))
        assert status == 403

        # a write through the read-only SAS is refused
        async with http.put(url, data=b"x", headers={"x-ms-blob-type": "BlockBlob"}) as response:
            assert response.status == 403
        assert await store.read(docx.path) == files["docx"][0]
    finally:
        await store.close()


@pytest.mark.azurite
async def test_a_blob_redirect_expires_after_two_minutes(
    azurite: Any, blob_container_name: str, http: aiohttp.ClientSession
) -> None:
    """A store whose clock is three minutes behind mints a SAS that Azurite already refuses."""
    writer = BlobDocumentStore.from_connection_string(
        azurite.connection_string, blob_container_name, base_url=BASE_URL
    )
    container = ContainerClient.from_connection_string(
        azurite.connection_string, blob_container_name
    )
    behind = BlobDocumentStore(
        container,
        account_name=azurite.account_name,
        account_key=azurite.account_key,
        base_url=BASE_URL,
        clock=lambda: time.time() - REDIRECT_TTL.total_seconds() - 60,
    )
    try:
        [document] = await writer.add_version(CID, "plan", {"pdf": (pdf_bytes("x"), PDF)})
        late = await behind.download(document.path)
        assert isinstance(late, DocumentRedirect)
        assert (await _get(http, late.url))[0] == 403
        fresh = await writer.download(document.path)
        assert isinstance(fresh, DocumentRedirect)
        assert (await _get(http, fresh.url))[0] == 200
    finally:
        await writer.close()
        await behind.close()


# -- user delegation SAS, against an Azurite with HTTPS and OAuth --------------------------------


@dataclass(frozen=True)
class OAuthAzurite:
    port: int
    ca_file: Path

    @property
    def account_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/devstoreaccount1"


@pytest.fixture(scope="module")
def oauth_azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAuthAzurite]:
    if not AZURITE_BLOB.exists():
        pytest.fail("Azurite is not installed: run scripts/setup.sh", pytrace=False)
    location = tmp_path_factory.mktemp("azurite-oauth")
    cert, key = location / "cert.pem", location / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log_path = location / "azurite.log"
    command = [str(AZURITE_BLOB), "--blobHost", "127.0.0.1", "--blobPort", str(port)]
    command += ["--location", str(location / "data"), "--skipApiVersionCheck", "--loose"]
    command += ["--disableTelemetry", "--silent", "--oauth", "basic"]
    command += ["--cert", str(cert), "--key", str(key)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        _wait_for_port(proc, port, log_path)
        yield OAuthAzurite(port=port, ca_file=cert)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class FakeEntraCredential:
    """An async token credential issuing unsigned JWTs that Azurite's basic OAuth accepts."""

    def __init__(self) -> None:
        self.closed = False
        self.tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
        self.object_id = str(uuid.uuid4())

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        now = int(time.time())
        claims = {
            "aud": "https://storage.azure.com",
            "iss": f"https://sts.windows.net/{self.tenant}/",
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + 3600,
            "oid": self.object_id,
            "tid": self.tenant,
        }

        def part(value: dict[str, Any]) -> str:
            raw = json.dumps(value).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        token = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"
        return AccessToken(token, now + 3600)

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> FakeEntraCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


@pytest.mark.azurite
async def test_without_an_account_key_downloads_redirect_to_user_delegation_sas(
    oauth_azurite: OAuthAzurite, http: aiohttp.ClientSession
) -> None:
    """The managed-identity path: the link secret blob is created and the SAS signed with a
    user delegation key, both through Entra ID (no account key anywhere)."""
    credential = FakeEntraCredential()
    container_name = f"test-{uuid.uuid4().hex}"
    store = BlobDocumentStore.from_account_url(
        oauth_azurite.account_url,
        container_name,
        credential,
        base_url=BASE_URL,
        owns_credential=True,
        connection_verify=str(oauth_azurite.ca_file),
    )
    tls = ssl.create_default_context(cafile=str(oauth_azurite.ca_file))
    try:
        files = both("delegated")
        [docx, pdf] = await store.add_version(CID, "plan", files)

        link = parse_qs(urlsplit(await store.link(docx.path, ttl=TTL)).query)
        check = await store.links.check(docx.path, link["expires"][0], link["sig"][0])
        assert check is LinkCheck.VALID  # the key blob was made with the credential
        delivery = await store.download(docx.path, filename="udviklingsplan-v1.docx")
        assert isinstance(delivery, DocumentRedirect)
        url = delivery.url

        query = parse_qs(urlsplit(url).query)
        assert query["skoid"] == [credential.object_id]  # signed with a user delegation key
        assert query["sktid"] == [credential.tenant]
        assert query["spr"] == ["https"]
        assert query["sp"] == ["r"]
        status, body, headers = await _get(http, url, ssl=tls)
        assert (status, body) == (200, files["docx"][0])
        assert headers["Content-Disposition"] == 'attachment; filename="udviklingsplan-v1.docx"'
        assert (await _get(http, url.replace(docx.path, pdf.path), ssl=tls))[0] == 403

        forged_query = {**query, "sig": [base64.b64encode(os.urandom(32)).decode()]}
        forged = f"{url.split('?')[0]}?{urlencode(forged_query, doseq=True)}"
        assert forged != url
        assert (await _get(http, forged, ssl=tls))[0] == 403
        again = f"{url.split('?')[0]}?{urlencode(query, doseq=True)}"  # the same, re-encoded
        assert (await _get(http, again, ssl=tls))[0] == 200

        # the next download reuses the key (the same key start and expiry) and works too
        second = await store.download(pdf.path)
        assert isinstance(second, DocumentRedirect)
        second_query = parse_qs(urlsplit(second.url).query)
        assert (second_query["skt"], second_query["ske"]) == (query["skt"], query["ske"])
        assert (await _get(http, second.url, ssl=tls))[:2] == (200, files["pdf"][0])

        async with BlobServiceClient(
            oauth_azurite.account_url,
            credential=FakeEntraCredential(),
            connection_verify=str(oauth_azurite.ca_file),
        ) as service:
            properties = await service.get_container_client(
                container_name
            ).get_container_properties()
            assert properties.public_access is None
    finally:
        await store.close()
    assert credential.closed
