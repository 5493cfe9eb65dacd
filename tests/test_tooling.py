"""Tests of the test tooling itself: the network guard, the Azurite fixture and the scripts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError
from azure.storage.blob.aio import BlobServiceClient

from tests.support.azurite import Azurite
from tests.support.netguard import is_local_host

REPO_ROOT = Path(__file__).resolve().parents[1]
BLOCKED = "network access blocked in tests"


# --- network guard ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("0.0.0.0", True),
        (None, True),
        ("example.com", False),
        ("10.0.0.1", False),
        ("192.0.2.1", False),
        ("2001:db8::1", False),
        ("localhost.example.com", False),
    ],
)
def test_is_local_host(host: str | None, local: bool) -> None:
    assert is_local_host(host) is local


def test_getaddrinfo_and_create_connection_are_blocked() -> None:
    with pytest.raises(RuntimeError, match=f"{BLOCKED}: 'example.com'"):
        socket.getaddrinfo("example.com", 80)
    with pytest.raises(RuntimeError, match=BLOCKED):
        socket.create_connection(("example.com", 80), timeout=1)
    assert socket.getaddrinfo("localhost", 80)


def test_socket_connect_is_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(RuntimeError, match=f"{BLOCKED}: '192.0.2.1'"):
            sock.connect(("192.0.2.1", 80))
        with pytest.raises(RuntimeError, match=BLOCKED):
            sock.connect_ex(("192.0.2.1", 80))


def test_unix_sockets_are_allowed(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)


@pytest.mark.parametrize("url", ["http://example.com:80/", "http://192.0.2.1:80/"])
async def test_aiohttp_remote_request_is_blocked(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(RuntimeError, match=BLOCKED):
            await session.get(url)


@pytest.fixture
async def local_server() -> AsyncIterator[int]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield int(runner.addresses[0][1])
    await runner.cleanup()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_aiohttp_local_request_works(local_server: int, host: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{host}:{local_server}/") as response,
    ):
        assert response.status == 200
        assert await response.text() == "hello"


# --- Azurite ---------------------------------------------------------------------------------


async def test_azurite_blob_round_trip_and_stale_etag(
    azurite: Azurite, blob_container_name: str
) -> None:
    assert azurite.account_name == "devstoreaccount1"
    assert azurite.account_url in azurite.connection_string
    async with BlobServiceClient.from_connection_string(azurite.connection_string) as service:
        container = await service.create_container(blob_container_name)
        blob = container.get_blob_client("state.json")

        first = await blob.upload_blob(b'{"v": 1}')
        downloaded = await (await blob.download_blob()).readall()
        assert downloaded == b'{"v": 1}'

        await blob.upload_blob(b'{"v": 2}', overwrite=True)
        with pytest.raises(HttpResponseError) as excinfo:
            await blob.upload_blob(
                b'{"v": 3}',
                overwrite=True,
                etag=first["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        assert excinfo.value.status_code == 412
        assert await (await blob.download_blob()).readall() == b'{"v": 2}'


def test_blob_container_names_are_unique_and_valid(blob_container_name: str) -> None:
    assert 3 <= len(blob_container_name) <= 63
    assert blob_container_name == blob_container_name.lower()
    assert all(c.isalnum() or c == "-" for c in blob_container_name)


# --- scripts ---------------------------------------------------------------------------------

SCRIPTS = ["scripts/setup.sh", "scripts/test.sh", "scripts/run-local.sh", ".ci/run"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_is_valid_bash(script: str) -> None:
    path = REPO_ROOT / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    subprocess.run(["bash", "-n", str(path)], check=True)


def test_ci_runs_the_readme_test_command() -> None:
    lines = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert lines[-1] == "exec bash scripts/test.sh"


def test_package_lock_is_portable() -> None:
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    package = json.loads((REPO_ROOT / "package.json").read_text())
    assert lock["packages"][""]["devDependencies"] == package["devDependencies"]
    text = (REPO_ROOT / "package-lock.json").read_text()
    for marker in ('"/', "file:", "/root/", "/home/", "/work/", "/tmp/"):
        assert marker not in text, f"package-lock.json contains a local path ({marker!r})"
