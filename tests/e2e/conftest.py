"""The browser end-to-end setup: the bot, a recording proxy, the Agents Playground, Chromium.

    Chromium (driver.mjs) ──> Agents Playground ──> proxy ──> bot (python app.py)
                                      ^               |
                                      └─── proxy <────┘  (the bot's Bot Connector calls)

- The bot runs as ``python app.py`` (as in production and scripts/run-local.sh) on a free
  loopback port, with its file store in the test's temporary directory.
- The proxy (in this process) stands between the playground and the bot in both directions,
  so every HTTP exchange is recorded (``Traffic``) and shown when the test fails. It also sets
  the activities' locale to da-DK: the playground always sends ``en-US``, and the bot answers an
  English-locale user in English; a Danish municipality's Teams sends ``da-DK``.
- The playground (npm @microsoft/m365agentsplayground) runs with ``BOT_ENDPOINT`` and
  ``--service-url`` pointing at the proxy, in a temporary working directory (it writes a log
  file there).
- ``driver.mjs`` (Node, playwright-core from npm) drives Debian's Chromium, headless.

Everything is stopped at the end, also on failure. A missing Chromium, Node or node_modules
package fails the test (CI installs them with scripts/setup.sh); it never skips.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

REPO_ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND_BIN = REPO_ROOT / "node_modules" / ".bin" / "agentsplayground"
PLAYWRIGHT_CORE = REPO_ROOT / "node_modules" / "playwright-core"
DRIVER = Path(__file__).with_name("driver.mjs")
SETUP_HINT = "run `bash scripts/setup.sh` (as root it installs the Debian packages too)"
LOCALE = "da-DK"
# Settings from the developer's shell that would take the bot off the local, unauthenticated
# setup (Azure storage, a Bot Framework app id, another concept).
BOT_SETTINGS_TO_CLEAR = (
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT_URL",
    "AZURE_STORAGE_CONTAINER",
    "CONCEPT_FILE",
)
START_TIMEOUT = 15.0
# The playground's configuration file (``.m365agentsplayground.yml`` in its directory): its
# built-in one, except that the current user (the leader, Alex Wilber) has an Entra object id
# that is a real GUID (the built-in one has 13 digits in its last group), so that, named in
# HR_VIEWERS, they can ask for "nøgletal".
HR_VIEWER = "00000000-0000-4000-8000-000000000020"
PLAYGROUND_CONFIG = f"""\
version: "0.1.1"
tenantId: 00000000-0000-0000-0000-0000000000001
bot:
  id: 00000000-0000-0000-0000-00000000000011
  name: Test Bot
currentUser:
  id: user-id-0
  name: Alex Wilber
  userPrincipleName: alexw@example.com
  aadObjectId: {HR_VIEWER}
  givenName: Alex
  surname: Wilber
  email: alexw@example.com
users:
  - id: user-id-1
    name: Megan Bowen
    userPrincipleName: meganb@example.com
    aadObjectId: 00000000-0000-0000-0000-0000000000021
    givenName: Megan
    surname: Bowen
    email: meganb@example.com
  - id: user-id-2
    name: Adele Vance
    userPrincipleName: adelev@example.com
    aadObjectId: 00000000-0000-0000-0000-0000000000022
    givenName: Adele
    surname: Vance
    email: adelev@example.com
  - id: user-id-3
    name: Isaiah Langer
    userPrincipleName: isaiahl@example.com
    aadObjectId: 00000000-0000-0000-0000-0000000000023
    givenName: Isaiah
    surname: Langer
    email: isaiahl@example.com
  - id: user-id-4
    name: Patti Fernandez
    userPrincipleName: pattif@example.com
    aadObjectId: 00000000-0000-0000-0000-0000000000024
    givenName: Patti
    surname: Fernandez
    email: pattif@example.com
  - id: user-id-5
    name: Lynne Robbins
    userPrincipleName: lynner@example.com
    aadObjectId: 00000000-0000-0000-0000-0000000000025
    givenName: Lynne
    surname: Robbins
    email: lynner@example.com
personalChat:
  id: __PERSONAL_CHAT_ID__
groupChat:
  id: __GROUP_CHAT_ID__
  name: Group Chat
team:
  id: team-id
  name: My Team
  aadGroupId: 00000000-0000-0000-0000-000000000031
  channels:
    - id: channel-announcements-id
      name: Announcements
"""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "e2e: drives the Agents Playground in Chromium (tests/e2e; about 20 s)"
    )


def chromium_path() -> str:
    """Debian's Chromium (CHROMIUM_PATH overrides); fails with a hint when it is missing."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.fail(f"Chromium is not installed ({path} not found): {SETUP_HINT}", pytrace=False)
    return path


def node_path() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail("node is not on PATH: install Node.js 20 or newer", pytrace=False)
    return path


def require_node_modules() -> None:
    for needed in (PLAYGROUND_BIN, PLAYWRIGHT_CORE):
        if not needed.exists():
            pytest.fail(f"{needed.relative_to(REPO_ROOT)} is missing: {SETUP_HINT}", pytrace=False)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the recording proxy ---------------------------------------------------------------------


def _card_texts(card: Any, limit: int = 3) -> list[str]:
    """The first few TextBlock texts of an Adaptive Card, to recognise it in the traffic log."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if len(found) >= limit:
            return
        if isinstance(node, dict):
            if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
                found.append(node["text"][:80])
            for key in ("body", "items", "columns", "card", "actions"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found


def summarise(body: Any) -> str:
    """One line for an activity, an invoke response or a connector answer."""
    if not isinstance(body, dict):
        return "" if body is None else str(body)[:160]
    parts: list[str] = []
    if "type" in body and ("from" in body or "conversation" in body or "text" in body):
        parts.append(str(body.get("type")))
        if body.get("name"):
            parts.append(f"name={body['name']}")
        sender = body.get("from") or {}
        if sender.get("name") or sender.get("id"):
            parts.append(f"from={sender.get('name') or sender.get('id')}")
        conversation = body.get("conversation") or {}
        if conversation.get("conversationType"):
            parts.append(f"in={conversation['conversationType']}")
        if body.get("text"):
            parts.append(f"text={body['text'][:100]!r}")
        if body.get("value") is not None:
            parts.append(f"value={json.dumps(body['value'], ensure_ascii=False)[:240]}")
        for attachment in body.get("attachments") or []:
            parts.append(f"card={_card_texts(attachment.get('content'))}")
    elif "statusCode" in body or "value" in body:  # an invoke response body
        parts.append(f"statusCode={body.get('statusCode')}")
        value = body.get("value")
        parts.append(
            f"card={_card_texts(value)}" if isinstance(value, dict) else f"value={value!r}"
        )
    else:
        parts.append(json.dumps(body, ensure_ascii=False)[:200])
    return " ".join(parts)


@dataclass
class Exchange:
    at: float
    direction: str  # "playground→bot" or "bot→playground"
    method: str
    path: str
    status: int
    request: Any
    response: Any

    def line(self, t0: float) -> str:
        return (
            f"[{self.at - t0:6.2f}s] {self.direction} {self.method} {self.path} -> {self.status}\n"
            f"          request:  {summarise(self.request)}\n"
            f"          response: {summarise(self.response)}"
        )


@dataclass
class Traffic:
    started: float = field(default_factory=time.monotonic)
    exchanges: list[Exchange] = field(default_factory=list)

    def errors(self) -> list[Exchange]:
        """Every 4xx/5xx, except the playground's HEAD probe of /api/messages (405)."""
        return [x for x in self.exchanges if x.status >= 400 and x.method != "HEAD"]

    def report(self) -> str:
        """Every exchange but the playground's HEAD probes, one summary each."""
        lines = [x.line(self.started) for x in self.exchanges if x.method != "HEAD"]
        return "\n".join(lines) or "(no traffic)"

    def dump(self, path: Path) -> None:
        with path.open("w", encoding="utf-8") as out:
            for x in self.exchanges:
                record = {
                    "at": round(x.at - self.started, 3),
                    "direction": x.direction,
                    "method": x.method,
                    "path": x.path,
                    "status": x.status,
                    "request": x.request,
                    "response": x.response,
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _json_or_text(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:500].decode("utf-8", "replace")


_HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}


class RecordingProxy:
    """Forwards /api/messages to the bot and everything else to the playground, recording both."""

    def __init__(self, traffic: Traffic) -> None:
        self.traffic = traffic
        self.port = free_port()
        self.bot_url = ""
        self.playground_url = ""
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        raw = await request.read()
        to_bot = request.path.startswith("/api/")
        body = _json_or_text(raw)
        if to_bot and isinstance(body, dict):
            body = _danish(body)
            raw = json.dumps(body, ensure_ascii=False).encode()
        base = self.bot_url if to_bot else self.playground_url
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        try:
            async with self._session.request(
                request.method, base + request.path_qs, data=raw or None, headers=headers
            ) as answer:
                status = answer.status
                answer_raw = await answer.read()
                content_type = answer.headers.get("Content-Type", "application/json")
        except aiohttp.ClientError as error:
            status, answer_raw, content_type = 502, str(error).encode(), "text/plain"
        self.traffic.exchanges.append(
            Exchange(
                at=time.monotonic(),
                direction="playground→bot" if to_bot else "bot→playground",
                method=request.method,
                path=request.path,
                status=status,
                request=body,
                response=_json_or_text(answer_raw),
            )
        )
        return web.Response(status=status, body=answer_raw, headers={"Content-Type": content_type})


def _danish(activity: dict[str, Any]) -> dict[str, Any]:
    if "locale" in activity:
        activity["locale"] = LOCALE
    for entity in activity.get("entities") or []:
        if isinstance(entity, dict) and entity.get("type") == "clientInfo" and "locale" in entity:
            entity["locale"] = LOCALE
    return activity


# --- processes -------------------------------------------------------------------------------


@dataclass
class Service:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the test process dies (Linux), so a killed
    test run leaves no bot, playground or browser behind."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def start_service(
    name: str,
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log_path: Path,
    unset: tuple[str, ...] = (),
) -> Service:
    """Start a process in its own process group (so its children are stopped with it)."""
    environment = {k: v for k, v in os.environ.items() if k not in unset} | env
    log = log_path.open("wb")
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=environment,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    finally:
        log.close()
    return Service(name, process, log_path)


async def stop_service(service: Service) -> None:
    process = service.process
    if process.returncode is not None:
        return
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            await asyncio.wait_for(process.wait(), grace)
            return
        except TimeoutError:
            continue


async def wait_until(service: Service, check: Any, what: str) -> Any:
    """Poll ``check()`` until it returns something truthy; fail early if the process died."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if service.process.returncode is not None:
            pytest.fail(
                f"{service.name} exited ({service.process.returncode}) before {what}:\n"
                f"{service.log_tail()}",
                pytrace=False,
            )
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    pytest.fail(
        f"{service.name}: no {what} after {START_TIMEOUT:.0f} s:\n{service.log_tail()}",
        pytrace=False,
    )


async def http_ok(url: str) -> bool:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
            session.get(url) as response,
        ):
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


@dataclass
class Stack:
    """The running bot, proxy and playground."""

    workdir: Path
    traffic: Traffic
    bot: Service
    playground: Service
    playground_url: str
    proxy: RecordingProxy


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    chromium_path()
    node_path()
    require_node_modules()
    traffic = Traffic()
    proxy = RecordingProxy(traffic)
    services: list[Service] = []
    try:
        await proxy.start()

        bot_port = free_port()
        bot = await start_service(
            "the bot",
            [sys.executable, "app.py"],
            env={
                "HOST": "127.0.0.1",
                "PORT": str(bot_port),
                "LOCAL_STORAGE_DIR": str(tmp_path / "data"),
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                "HR_VIEWERS": HR_VIEWER,
            },
            cwd=REPO_ROOT,
            log_path=tmp_path / "bot.log",
            unset=BOT_SETTINGS_TO_CLEAR,
        )
        services.append(bot)
        proxy.bot_url = f"http://127.0.0.1:{bot_port}"
        await wait_until(bot, lambda: http_ok(f"{proxy.bot_url}/healthz"), "answer on /healthz")

        # The playground takes the asked-for port, or a random one if it is taken: read the
        # port it reports ("Listening on N").
        playground_dir = tmp_path / "playground"
        playground_dir.mkdir()
        (playground_dir / ".m365agentsplayground.yml").write_text(
            PLAYGROUND_CONFIG, encoding="utf-8"
        )
        playground = await start_service(
            "the Agents Playground",
            [
                str(PLAYGROUND_BIN),
                "--disable-telemetry",
                "-c",
                "msteams",
                "-p",
                str(free_port()),
                "--service-url",
                f"{proxy.url}/_connector",
            ],
            env={
                "BOT_ENDPOINT": f"{proxy.url}/api/messages",
                "TEAMSAPPTESTER_BROWSER": "none",
            },
            cwd=playground_dir,
            log_path=tmp_path / "playground.log",
        )
        services.append(playground)

        async def listening() -> int | None:
            found = re.search(r"Listening on (\d+)", playground.log_tail(200))
            return int(found.group(1)) if found else None

        port = await wait_until(playground, listening, "'Listening on' line")
        playground_url = f"http://127.0.0.1:{port}"
        proxy.playground_url = playground_url
        await wait_until(
            playground, lambda: http_ok(f"{playground_url}/_internal/v1/config"), "config"
        )
        yield Stack(tmp_path, traffic, bot, playground, playground_url, proxy)
    finally:
        for service in reversed(services):
            await stop_service(service)
        await proxy.stop()
        traffic.dump(tmp_path / "traffic.jsonl")
