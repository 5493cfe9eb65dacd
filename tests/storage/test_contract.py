"""The one contract every ConversationStore keeps, run on the file store and on Azurite."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest
from azure.storage.blob.aio import ContainerClient

from storage.blob_store import BlobStore
from storage.errors import ConflictError, CorruptState, StorageError
from storage.factory import open_conversation_store
from storage.file_store import FileStore
from storage.keys import key_for, validate_key
from storage.protocols import ConversationStore, Store
from storage.schemas import CONVERSATION
from tests.storage import Backend, bumped, make_conversation

KEY = "conversations/c-0001"


# -- the contract --------------------------------------------------------------------------------


async def test_store_keeps_the_protocol(store: ConversationStore) -> None:
    assert isinstance(store, Store)


async def test_load_of_an_absent_key_is_none_none(store: ConversationStore) -> None:
    assert await store.load("conversations/absent") == (None, None)


async def test_create_then_load_round_trips_exactly(store: ConversationStore) -> None:
    conversation = make_conversation()
    etag = await store.save(KEY, conversation, None)
    assert isinstance(etag, str) and etag

    loaded, loaded_etag = await store.load(KEY)

    assert loaded == conversation
    assert loaded is not conversation
    assert loaded_etag == etag
    assert loaded.participants[0].name == "Søren Ærø Østergård"
    assert loaded.notes[0].text.endswith("«citat».")
    assert loaded.agreements[0].follow_up == "Opfølgning ved næste MUS 🗓️"


async def test_create_of_an_existing_key_conflicts_and_keeps_the_first(
    store: ConversationStore,
) -> None:
    first = make_conversation()
    etag = await store.save(KEY, first, None)

    with pytest.raises(ConflictError):
        await store.save(KEY, bumped(first, phase="closed"), None)

    assert await store.load(KEY) == (first, etag)


async def test_save_with_a_stale_etag_conflicts_and_changes_nothing(
    store: ConversationStore,
) -> None:
    v1 = make_conversation()
    e1 = await store.save(KEY, v1, None)
    v2 = bumped(v1, phase="closed")
    e2 = await store.save(KEY, v2, e1)

    with pytest.raises(ConflictError):
        await store.save(KEY, bumped(v1, processed=("someone-else",)), e1)

    assert await store.load(KEY) == (v2, e2)


async def test_save_with_the_current_etag_returns_a_new_etag(store: ConversationStore) -> None:
    v1 = make_conversation()
    e1 = await store.save(KEY, v1, None)
    v2 = bumped(v1, phase="closed")

    e2 = await store.save(KEY, v2, e1)

    assert e2 != e1
    assert await store.load(KEY) == (v2, e2)


async def test_the_etag_changes_even_when_the_content_is_identical(
    store: ConversationStore,
) -> None:
    conversation = make_conversation()
    e1 = await store.save(KEY, conversation, None)
    e2 = await store.save(KEY, conversation, e1)
    e3 = await store.save(KEY, conversation, e2)

    assert len({e1, e2, e3}) == 3
    with pytest.raises(ConflictError):
        await store.save(KEY, conversation, e2)
    assert (await store.load(KEY))[1] == e3


async def test_replace_of_a_deleted_key_conflicts_and_creates_nothing(
    store: ConversationStore,
) -> None:
    etag = await store.save(KEY, make_conversation(), None)
    await store.delete(KEY)

    with pytest.raises(ConflictError):
        await store.save(KEY, make_conversation(), etag)

    assert await store.load(KEY) == (None, None)


async def test_a_delete_with_an_etag_removes_only_what_was_read(store: ConversationStore) -> None:
    first = make_conversation()
    read_etag = await store.save(KEY, first, None)
    changed = bumped(first, phase="closed")
    current = await store.save(KEY, changed, read_etag)

    with pytest.raises(ConflictError):  # written since it was read: kept
        await store.delete(KEY, read_etag)
    assert await store.load(KEY) == (changed, current)

    await store.delete(KEY, current)
    assert await store.load(KEY) == (None, None)
    await store.delete(KEY, current)  # absent: fine, as without an etag
    with pytest.raises(ValueError):
        await store.delete(KEY, "")


async def test_delete_is_idempotent(store: ConversationStore) -> None:
    await store.delete(KEY)  # absent: fine
    await store.save(KEY, make_conversation(), None)

    await store.delete(KEY)
    await store.delete(KEY)

    assert await store.load(KEY) == (None, None)
    assert await store.keys() == []
    # the key can be created afresh
    await store.save(KEY, make_conversation(), None)
    assert (await store.load(KEY))[0] == make_conversation()


async def test_keys_lists_sorted_and_filters_by_prefix(store: ConversationStore) -> None:
    assert await store.keys() == []
    for key in ("conversations/b", "chats/x", "conversations/a", "conversationsX"):
        await store.save(key, make_conversation(), None)

    assert await store.keys() == ["chats/x", "conversations/a", "conversations/b", "conversationsX"]
    assert await store.keys("conversations/") == ["conversations/a", "conversations/b"]
    assert await store.keys("chats") == ["chats/x"]
    assert await store.keys("nothing/") == []

    await store.delete("conversations/a")
    assert await store.keys("conversations/") == ["conversations/b"]


INVALID_KEYS = [
    "",
    "/conversations/a",
    "conversations/../secrets",
    "..",
    "a..b",
    "a//b",
    "a/",
    "a/./b",
    "a.",
    "-leading",
    ".hidden",
    "with space",
    "æøå",
    "a\\b",
    "a\x00b",
    "a%b",
    "a@b",
    "x" * 202,
]


@pytest.mark.parametrize("key", INVALID_KEYS)
async def test_invalid_keys_are_rejected_by_every_operation(
    store: ConversationStore, key: str
) -> None:
    with pytest.raises(ValueError):
        await store.load(key)
    with pytest.raises(ValueError):
        await store.save(key, make_conversation(), None)
    with pytest.raises(ValueError):
        await store.delete(key)
    assert await store.keys() == []


async def test_invalid_prefixes_are_rejected(store: ConversationStore) -> None:
    with pytest.raises(ValueError):
        await store.keys("a b")
    with pytest.raises(ValueError):
        await store.keys("../")
    with pytest.raises(ValueError):
        await store.keys("/conversations")


async def test_the_longest_valid_key_works(store: ConversationStore) -> None:
    key = "k" * 201
    validate_key(key)
    await store.save(key, make_conversation(), None)
    assert await store.keys() == [key]


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff not json", b"", b"[]", b'{"schema_version": 99}', b'{"id": "c"}'],
    ids=["binary", "empty", "list", "future-schema", "wrong-shape"],
)
async def test_corrupt_stored_bytes_raise_corrupt_state(
    backend: Backend, store: ConversationStore, garbage: bytes
) -> None:
    await backend.write_raw(KEY, garbage)

    with pytest.raises(CorruptState) as caught:
        await store.load(KEY)

    assert isinstance(caught.value, StorageError)
    # still listed, and recoverable by deleting it
    assert await store.keys() == [KEY]
    await store.delete(KEY)
    assert await store.load(KEY) == (None, None)


async def test_corrupt_state_is_not_silently_overwritten_by_a_create(
    backend: Backend, store: ConversationStore
) -> None:
    await backend.write_raw(KEY, b"garbage")
    with pytest.raises(ConflictError):
        await store.save(KEY, make_conversation(), None)


async def test_a_conversation_reads_back_as_saved_by_another_instance(
    two_stores: tuple[ConversationStore, ConversationStore],
) -> None:
    a, b = two_stores
    etag = await a.save(KEY, make_conversation(), None)
    assert await b.load(KEY) == (make_conversation(), etag)
    e2 = await b.save(KEY, bumped(make_conversation(), phase="closed"), etag)
    with pytest.raises(ConflictError):
        await a.save(KEY, bumped(make_conversation(), phase="preparation"), etag)
    assert (await a.load(KEY))[1] == e2


# -- keys for raw Teams ids ----------------------------------------------------------------------

TEAMS_IDS = [
    "19:meeting_Zjk4YTQ1LWE5ZjAtNDk@thread.v2",
    "a:1xYz-AbC_dEf=",
    "29:1AbCdEfGh-IjK_lMn",
    "19:abc@thread.tacv2;messageid=1712345678901",
    "8:orgid:6f1c1e2a-0000-4000-8000-000000000001",
    "æøå 🙂 / ../..",
    "x" * 5000,
]


def test_key_for_makes_valid_distinct_deterministic_keys() -> None:
    keys = [key_for("chats", raw) for raw in TEAMS_IDS]
    for key in keys:
        assert validate_key(key) == key
        assert key.startswith("chats/")
    assert len(set(keys)) == len(keys)
    assert keys == [key_for("chats", raw) for raw in TEAMS_IDS]
    assert key_for("chats/", TEAMS_IDS[0]) == keys[0]
    assert key_for("chats", "19:a@thread.v2") != key_for("chats", "19:a@thread.v3")
    assert key_for("chats", "id") != key_for("conversations", "id")


def test_key_for_hashes_long_ids() -> None:
    key = key_for("chats", "x" * 5000)
    assert key.startswith("chats/sha256.")
    assert len(key) <= 201
    assert key_for("chats", "x" * 5000 + "y") != key


@pytest.mark.parametrize(
    ("prefix", "raw_id"),
    [("chats", ""), ("", "id"), ("/chats", "id"), ("a/../b", "id"), ("p" * 150, "id")],
)
def test_key_for_rejects_bad_input(prefix: str, raw_id: str) -> None:
    with pytest.raises(ValueError):
        key_for(prefix, raw_id)


async def test_keys_from_key_for_work_in_the_store(store: ConversationStore) -> None:
    keys = sorted(key_for("chats", raw) for raw in TEAMS_IDS)
    for key in keys:
        await store.save(key, make_conversation(), None)
    assert await store.keys("chats/") == keys
    for key in keys:
        assert (await store.load(key))[0] == make_conversation()


# -- file store specifics ------------------------------------------------------------------------


async def test_file_store_is_private_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "state"
    store = FileStore(root, CONVERSATION)
    etag = await store.save(KEY, make_conversation(), None)
    await store.save(KEY, bumped(make_conversation(), phase="closed"), etag)

    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    data_file = store.path_for(KEY)
    assert data_file.parent == root
    assert stat.S_IMODE(data_file.stat().st_mode) == 0o600
    for name in os.listdir(root):
        assert not name.endswith(".tmp"), name
        assert stat.S_IMODE((root / name).stat().st_mode) == 0o600, name


async def test_file_store_tightens_an_existing_open_directory(tmp_path: Path) -> None:
    root = tmp_path / "state"
    root.mkdir(mode=0o755)
    os.chmod(root, 0o755)
    await FileStore(root, CONVERSATION).save(KEY, make_conversation(), None)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


async def test_file_store_reports_os_errors_as_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    store = FileStore(blocker / "state", CONVERSATION)
    with pytest.raises(StorageError) as caught:
        await store.save(KEY, make_conversation(), None)
    assert not isinstance(caught.value, ConflictError)


# -- blob store specifics ------------------------------------------------------------------------


@pytest.mark.azurite
async def test_blob_store_writes_private_json_without_metadata(
    azurite: object, blob_container_name: str
) -> None:
    conn: str = azurite.connection_string  # type: ignore[attr-defined]
    store = BlobStore.from_connection_string(conn, blob_container_name, CONVERSATION)
    try:
        await store.save(KEY, make_conversation(), None)
    finally:
        await store.close()

    async with ContainerClient.from_connection_string(conn, blob_container_name) as container:
        policy = await container.get_container_access_policy()
        assert policy["public_access"] is None
        props = await container.get_blob_client(KEY).get_blob_properties()
        assert props.content_settings.content_type == "application/json"
        assert props.metadata == {}


@pytest.mark.azurite
async def test_blob_store_treats_a_vanished_container_as_an_error_not_as_absent(
    azurite: object, blob_container_name: str
) -> None:
    conn: str = azurite.connection_string  # type: ignore[attr-defined]
    store = BlobStore.from_connection_string(conn, blob_container_name, CONVERSATION)
    try:
        await store.save(KEY, make_conversation(), None)
        async with ContainerClient.from_connection_string(conn, blob_container_name) as container:
            await container.delete_container()
        with pytest.raises(StorageError) as caught:
            await store.load(KEY)
        assert not isinstance(caught.value, CorruptState)
    finally:
        await store.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_blob_store_reports_an_unreachable_endpoint_as_storage_error() -> None:
    port = _closed_port()
    conn = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
        "K1SZFPTOtr/KBHBeksoGMGw==;"
        f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    store = BlobStore.from_connection_string(
        conn, "conversations", CONVERSATION, retry_total=0, connection_timeout=2
    )
    try:
        for call in (
            store.load(KEY),
            store.save(KEY, make_conversation(), None),
            store.delete(KEY),
            store.keys(),
        ):
            with pytest.raises(StorageError) as caught:
                await call
            assert type(caught.value) is StorageError
            assert "Søren" not in str(caught.value)
    finally:
        await store.close()


# -- factory -------------------------------------------------------------------------------------


async def test_factory_picks_the_backend(tmp_path: Path) -> None:
    local = open_conversation_store(
        connection_string=None, account_url=None, container="c", local_root=tmp_path
    )
    assert isinstance(local, FileStore)
    assert local.root == tmp_path
    also_local = open_conversation_store(
        connection_string="", account_url="", container="c", local_root=tmp_path
    )
    assert isinstance(also_local, FileStore)

    by_conn = open_conversation_store(
        connection_string="UseDevelopmentStorage=true",
        account_url="https://ignored.blob.core.windows.net",
        container="conversations",
        local_root=tmp_path,
    )
    assert isinstance(by_conn, BlobStore)
    assert by_conn.container.container_name == "conversations"
    assert by_conn.container.account_name == "devstoreaccount1"

    by_url = open_conversation_store(
        connection_string=None,
        account_url="https://samtaleguide.blob.core.windows.net",
        container="state",
        local_root=tmp_path,
    )
    assert isinstance(by_url, BlobStore)
    assert by_url.container.account_name == "samtaleguide"
    assert by_url.container.container_name == "state"

    for store in (local, also_local, by_conn, by_url):
        await store.close()
