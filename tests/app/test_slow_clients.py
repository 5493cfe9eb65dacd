"""Slow and idle clients are cut off by the server, over real sockets against the served app.

The app is served as ``python app.py`` serves it (``bot.serving.runner_options``), with the
bounds shortened to a second so the test does not wait out the production values; the
subprocess test in ``test_startup.py`` checks those on ``python app.py`` itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.serving import ServerLimits
from settings import Settings
from tests.app.harness import BotServer, Chat, Client, user
from tests.support.connector import ConnectorStandIn

LIMITS = ServerLimits(idle=1.0, body=1.0, linger=0.5, shutdown=1.0)
MARGIN = 3.0  # seconds beyond a bound within which the server must have closed
IDLE_SOCKETS = 200
HALF_HEADERS = 20
HALF_HEADER = b"POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: applic"


@pytest.fixture
async def bounded(tmp_path: Path, connector: ConnectorStandIn) -> AsyncIterator[BotServer]:
    settings = Settings.from_env({"LOCAL_STORAGE_DIR": str(tmp_path / "data")})
    server = await BotServer(settings, limits=LIMITS).start()
    yield server
    await server.stop()


def address(server: BotServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


async def closed_after(reader: asyncio.StreamReader, deadline: float) -> tuple[float, bytes]:
    """Seconds from now until the server closed the connection (``TimeoutError`` when it has
    not within ``deadline``), and what it sent before."""
    started = time.monotonic()
    received = b""
    try:
        async with asyncio.timeout(deadline):
            while chunk := await reader.read(65536):
                received += chunk
    except ConnectionResetError:
        pass
    return time.monotonic() - started, received


async def test_idle_and_half_sent_requests_are_closed_while_others_are_served(
    bounded: BotServer, connector: ConnectorStandIn
) -> None:
    host, port = address(bounded)
    opened = time.monotonic()
    connections = [await asyncio.open_connection(host, port) for _ in range(IDLE_SOCKETS)]
    half = [await asyncio.open_connection(host, port) for _ in range(HALF_HEADERS)]
    for _, writer in half:
        writer.write(HALF_HEADER)
        await writer.drain()

    # With all of them open, a normal request is answered at once.
    client = Client(bounded)
    chat = Chat("a:1-slow-clients", False, connector.service_url)
    started = time.monotonic()
    assert await client.say(chat, user(1), "hjælp") == 202
    assert time.monotonic() - started < LIMITS.idle

    waiting = time.monotonic()
    results = await asyncio.gather(
        *(closed_after(reader, LIMITS.idle + MARGIN) for reader, _ in [*connections, *half])
    )
    assert all(received == b"" for _, received in results)  # closed, without an answer
    closed = [waiting + seconds - opened for seconds, _ in results]
    assert min(closed) >= LIMITS.idle * 0.8  # kept open until the bound, not refused at once
    assert max(closed) < LIMITS.idle + MARGIN
    for _, writer in [*connections, *half]:
        writer.close()

    # And the server still serves.
    assert await client.say(chat, user(1), "hjælp") == 202


async def test_a_keep_alive_connection_is_closed_when_idle_after_an_answer(
    bounded: BotServer,
) -> None:
    reader, writer = await asyncio.open_connection(*address(bounded))
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n")
    await writer.drain()
    seconds, received = await closed_after(reader, LIMITS.idle + MARGIN)
    assert received.startswith(b"HTTP/1.1 200")
    assert LIMITS.idle * 0.8 <= seconds < LIMITS.idle + MARGIN
    writer.close()


async def test_a_body_that_does_not_arrive_is_answered_408_and_closed(bounded: BotServer) -> None:
    reader, writer = await asyncio.open_connection(*address(bounded))
    writer.write(
        b"POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n" + b'{"type": "mess'
    )
    await writer.drain()
    seconds, received = await closed_after(reader, LIMITS.body + LIMITS.linger + MARGIN)
    assert received.startswith(b"HTTP/1.1 408"), received[:60]
    assert b"Connection: close" in received
    assert b"Traceback" not in received
    assert LIMITS.body * 0.8 <= seconds < LIMITS.body + LIMITS.linger + MARGIN
    writer.close()


async def test_an_unread_body_is_drained_briefly_then_the_connection_closed(
    bounded: BotServer,
) -> None:
    reader, writer = await asyncio.open_connection(*address(bounded))
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot\r\nContent-Length: 1000\r\n\r\nabc")
    await writer.drain()
    seconds, received = await closed_after(reader, LIMITS.linger + MARGIN)
    assert received.startswith(b"HTTP/1.1 200")
    assert seconds < LIMITS.linger + MARGIN
    writer.close()


@pytest.mark.parametrize(
    "request_head",
    [
        b"GET /healthz HTTP/1.1\r\nHost: bot\r\nX-Big: " + b"x" * 8200 + b"\r\n\r\n",
        b"GET /" + b"x" * 8200 + b" HTTP/1.1\r\nHost: bot\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 120 + b"\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: bot\r\nContent-Length: -5\r\n\r\n",
    ],
    ids=["long header", "long request line", "many headers", "malformed"],
)
async def test_malformed_requests_are_refused_with_400_and_no_traceback(
    bounded: BotServer, request_head: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    reader, writer = await asyncio.open_connection(*address(bounded))
    writer.write(request_head)
    await writer.drain()
    _, received = await closed_after(reader, MARGIN)
    assert received.split(b" ")[1] == b"400", received[:60]
    writer.close()
    server_log = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert [(r.levelname, r.exc_info) for r in server_log] == [("WARNING", None)]
    assert server_log[0].getMessage().startswith("malformed request refused: ")
