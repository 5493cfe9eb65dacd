"""``python app.py`` as a process: it refuses to serve unauthenticated beyond loopback unless told,
says at every start that authentication is off, and cuts off idle and half-sent requests with the
production bounds (``bot.serving.ServerLimits``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.serving import ServerLimits
from tests.app.test_slow_clients import HALF_HEADER, closed_after

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = ServerLimits()
MARGIN = 3.0
AUTH_OFF = "authentication is off"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """No bot settings from the developer's shell: only what the test sets."""
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "TMPDIR") if k in os.environ}
    return {**keep, "LOCAL_STORAGE_DIR": str(tmp_path / "data"), **settings}


async def run_to_exit(env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "app.py",
        cwd=REPO,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, err.decode()


@contextlib.asynccontextmanager
async def running(env: dict[str, str], port: int, log: Path) -> AsyncIterator[list[int]]:
    """The bot serving on ``port`` (its stderr in ``log``); yields ``[exit status]`` filled in
    after SIGTERM."""
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "app.py",
            cwd=REPO,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
        )
    status: list[int] = []
    try:
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as session:
            while True:
                assert process.returncode is None, text_of(log)
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                assert time.monotonic() < deadline, text_of(log)
                await asyncio.sleep(0.05)
        yield status
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                status.append(await asyncio.wait_for(process.wait(), timeout=25))
            except TimeoutError:
                process.kill()
                await process.wait()
                raise


def text_of(log: Path) -> str:
    return log.read_text("utf-8", "replace")


def log_lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text_of(log).splitlines()]


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
async def test_unauthenticated_beyond_loopback_is_refused_naming_the_setting(
    tmp_path: Path, host: str
) -> None:
    code, err = await run_to_exit(clean_env(tmp_path, HOST=host, PORT=str(free_port())))
    assert code == 2, err
    assert "cannot start: setting MicrosoftAppId: is empty" in err
    assert f"HOST {host!r}" in err and "ALLOW_UNAUTHENTICATED=true" in err
    assert "Traceback" not in err


async def test_every_start_without_authentication_says_so(tmp_path: Path) -> None:
    for start in range(2):
        port = free_port()
        log = tmp_path / f"start-{start}.log"
        async with running(clean_env(tmp_path, PORT=str(port)), port, log) as status:
            pass
        assert status == [0]
        warnings = [e for e in log_lines(log) if e["message"].startswith(AUTH_OFF)]
        assert [e["level"] for e in warnings] == ["WARNING"], text_of(log)


async def test_told_to_it_serves_all_interfaces_and_cuts_off_idle_clients(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "bot.log"
    env = clean_env(tmp_path, HOST="0.0.0.0", PORT=str(port), ALLOW_UNAUTHENTICATED="true")
    async with running(env, port, log) as status:
        assert [e["level"] for e in log_lines(log) if e["message"].startswith(AUTH_OFF)] == [
            "WARNING"
        ]
        opened = time.monotonic()
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
        half = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]
        for _, writer in half:
            writer.write(HALF_HEADER)
            await writer.drain()
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/readyz") as response,
        ):
            assert (response.status, await response.json()) == (200, {"status": "ready"})
        waiting = time.monotonic()
        results = await asyncio.gather(
            *(closed_after(reader, PRODUCTION.idle + MARGIN) for reader, _ in [*idle, *half])
        )
        closed = [waiting + seconds - opened for seconds, _ in results]
        assert all(received == b"" for _, received in results)
        assert PRODUCTION.idle * 0.8 <= min(closed) and max(closed) < PRODUCTION.idle + MARGIN
        for _, writer in [*idle, *half]:
            writer.close()
    assert status == [0]
    assert "Traceback" not in text_of(log)
