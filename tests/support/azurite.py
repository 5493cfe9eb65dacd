"""Pytest fixtures for the Azurite blob emulator (installed by scripts/setup.sh).

- `running_azurite(location)`: the same as a plain context manager (the benchmarks use it).
- `azurite` (session): a running azurite-blob on 127.0.0.1 and a free port, with its data in a
  temporary directory. Fails (never skips) when Azurite is not installed.
- `blob_container_name` (function): a fresh, valid container name for each test.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
AZURITE_BLOB = REPO_ROOT / "node_modules" / ".bin" / "azurite-blob"
START_TIMEOUT = 20.0

# The well-known Azurite development account (public, documented by Microsoft).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


@dataclass(frozen=True)
class Azurite:
    port: int
    location: Path
    account_name: str = ACCOUNT_NAME
    account_key: str = ACCOUNT_KEY

    @property
    def account_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.account_name}"

    @property
    def connection_string(self) -> str:
        return (
            "DefaultEndpointsProtocol=http;"
            f"AccountName={self.account_name};AccountKey={self.account_key};"
            f"BlobEndpoint={self.account_url};"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AzuriteFailed(RuntimeError):
    """azurite-blob is not installed, exited, or did not listen in time (with its log)."""


def _wait_for_port(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = log_path.read_text(errors="replace")
            raise AzuriteFailed(f"azurite-blob exited with code {proc.returncode}:\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    log = log_path.read_text(errors="replace")
    raise AzuriteFailed(
        f"azurite-blob did not listen on port {port} within {START_TIMEOUT:.0f} s:\n{log}"
    )


@contextlib.contextmanager
def running_azurite(location: Path) -> Iterator[Azurite]:
    """azurite-blob from node_modules on 127.0.0.1 and a free port, its data under ``location``;
    stopped again on exit. Raises ``AzuriteFailed`` when it cannot start."""
    if not AZURITE_BLOB.exists():
        raise AzuriteFailed(
            f"Azurite is not installed ({AZURITE_BLOB.relative_to(REPO_ROOT)} is missing): "
            "run scripts/setup.sh"
        )
    port = _free_port()
    log_path = location / "azurite.log"
    command = [str(AZURITE_BLOB), "--blobHost", "127.0.0.1", "--blobPort", str(port)]
    command += ["--location", str(location), "--skipApiVersionCheck", "--loose"]
    command += ["--disableTelemetry", "--silent"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(proc, port, log_path)
        yield Azurite(port=port, location=location)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    try:
        with running_azurite(tmp_path_factory.mktemp("azurite")) as running:
            yield running
    except AzuriteFailed as failure:  # fail (never skip) when Azurite cannot run
        pytest.fail(str(failure), pytrace=False)


@pytest.fixture
def blob_container_name() -> str:
    """A unique container name (3-63 lowercase letters, digits and hyphens)."""
    return f"test-{uuid.uuid4().hex}"
