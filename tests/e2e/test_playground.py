"""End to end in a browser: one GRUS journey through the Microsoft 365 Agents Playground.

The fixture ``stack`` (conftest.py) starts the bot, a recording proxy and the playground;
``driver.mjs`` drives headless Chromium through the journey (greeting and help card in the
personal chat; ``hjælp`` and ``ny GRUS`` in the group chat; the setup saved; in the personal
chat the preparation card measured (it must fit on about two screens: at most
``MAX_CARD_HEIGHT`` px tall at the playground's Teams-like card width of about 480 px), a fourth
keyword refused with the message right above the button, three keywords saved and the card
folded to its summary, "Ret" opening the form again; the keywords shared; the live card started, moved on, an agreement
added; the conversation finished; the development plan announced in the group chat and linked in
the personal chat; "mine samtaler" and "mine aftaler" there list the GRUS and its agreement, and
"nøgletal" shows the leader, named in ``HR_VIEWERS``, its figures as "< 5" without a name),
waiting for the Danish texts of ``cards/texts/da.py``. The test then asserts
that no exchange between the playground and the bot failed (4xx/5xx), that the bot logged no
error and that the plan's links download a Word document and a PDF.

The playground has one user, the leader (Alex Wilber); the mock users cannot act in it, so the
leader shares the keywords instead of waiting for everyone's choice.

Screenshots go to the test's temporary directory; set ``E2E_SCREENSHOT_DIR=docs/screenshots``
to refresh the ones in the repository. The preparation card's shots are of the card alone, whole;
``pytest -s`` prints the measured card sizes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cards.texts.da import TEXTS
from dialogs.concept import FOLLOW_UP, default_concept_path, load_concept
from tests.e2e.conftest import (
    DRIVER,
    REPO_ROOT,
    Stack,
    Traffic,
    chromium_path,
    die_with_parent,
    node_path,
)

pytestmark = pytest.mark.e2e

DRIVER_TIMEOUT = 80.0
MAX_SCREENSHOT_BYTES = 250 * 1024
MAX_CARD_HEIGHT = 1800  # about two screens of Teams desktop
SCREENSHOTS = (
    "01-help-personal.png",
    "02-setup-group.png",
    "03-status-group.png",
    "04-preparation-personal.png",
    "05-fourth-keyword-refused-personal.png",
    "06-keywords-saved-personal.png",
    "07-live-question1-group.png",
    "08-agreement-saved-group.png",
    "09-finished-group.png",
    "10-plan-personal.png",
    "11-my-conversations-personal.png",
    "12-my-agreements-personal.png",
    "13-figures-personal.png",
)


async def playground_config(url: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
        session.get(f"{url}/_internal/v1/config") as response,
    ):
        response.raise_for_status()
        body = await response.json()
    return dict(body["config"])


def driver_config(playground: dict[str, Any], stack: Stack, screenshots: Path) -> dict[str, Any]:
    concept = load_concept(default_concept_path())
    names = {user["id"]: user["name"] for user in playground["users"]}
    group = playground["groupChats"][0]
    follow_up = concept.agreement_field(FOLLOW_UP)
    assert follow_up is not None
    return {
        "playgroundUrl": stack.playground_url,
        "chromium": chromium_path(),
        "screenshotDir": str(screenshots),
        "artifactDir": str(stack.workdir),
        "stepTimeoutMs": 15000,
        "texts": TEXTS,
        "botName": playground["bot"]["name"],
        "currentUser": playground["currentUser"]["name"],
        "mockUsers": [names[member] for member in group["members"]],
        "personalChat": playground["personalChat"]["name"],
        "groupChat": group["name"],
        "keywords": [concept.keywords[i] for i in (0, 4, 9)],
        # One with spaces: its toggle's id ("keyword.Mål og retning") must survive the trip.
        "fourthKeyword": next(k for k in concept.keywords if " " in k and not k.isascii()),
        "perspectives": [perspective.name for perspective in concept.perspectives],
        # The agreement form's follow-up date, labelled as the concept declares it.
        "followUpLabel": follow_up.prompt("da"),
        "maxCardHeight": MAX_CARD_HEIGHT,
        # A GRUS asks in the plural (I-form).
        "questions": [question.plural for question in concept.questions[:2]],
    }


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


async def run_driver(config_path: Path, log_path: Path) -> tuple[int | None, str]:
    """Run driver.mjs; returns its exit status (None if it timed out) and its output."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            node_path(),
            str(DRIVER),
            str(config_path),
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    status: int | None = None
    try:
        status = await asyncio.wait_for(process.wait(), DRIVER_TIMEOUT)
    except TimeoutError:
        pass
    finally:
        # Playwright starts Chromium in a process group of its own and closes it on SIGTERM;
        # SIGKILL the driver's group only if that does not end it.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 5)
    output = read_text(log_path)
    if status is None:
        output += f"\n(the browser driver did not finish within {DRIVER_TIMEOUT:.0f} s)\n"
    return status, output


def bot_errors(log: str) -> list[str]:
    """Lines the bot logged at ERROR or worse, plain or JSON, and tracebacks."""
    found = []
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            if str(record.get("level", "")).upper() in ("ERROR", "CRITICAL"):
                found.append(line)
        elif re.search(r"\b(ERROR|CRITICAL)\b", line) or line.startswith("Traceback"):
            found.append(line)
    return found


def plan_links(traffic: Traffic) -> set[str]:
    """The document links (Action.OpenUrl to the bot's /documents/) the bot sent."""
    links: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            url = node.get("url")
            if (
                node.get("type") == "Action.OpenUrl"
                and isinstance(url, str)
                and "/documents/" in url
            ):
                links.add(url)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for exchange in traffic.exchanges:
        if exchange.direction == "bot→playground":
            walk(exchange.request)
    return links


async def check_documents(links: set[str]) -> list[str]:
    """Each plan link downloads a Word document (a zip) or a PDF."""
    problems = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for url in sorted(links):
            path = url.split("?", 1)[0]
            magic = b"PK" if path.endswith(".docx") else b"%PDF" if path.endswith(".pdf") else b""
            try:
                async with session.get(url) as response:
                    status, body = response.status, await response.read()
            except (aiohttp.ClientError, TimeoutError) as error:
                problems.append(f"GET {path} failed: {error!r}")
                continue
            if status != 200 or not body.startswith(magic):
                problems.append(f"GET {path} -> {status}, starts {body[:8]!r}")
    return problems


async def test_grus_journey_in_the_agents_playground(stack: Stack) -> None:
    playground = await playground_config(stack.playground_url)
    screenshots = Path(os.environ.get("E2E_SCREENSHOT_DIR") or stack.workdir / "screenshots")
    if not screenshots.is_absolute():
        screenshots = REPO_ROOT / screenshots
    screenshots.mkdir(parents=True, exist_ok=True)
    config_path = stack.workdir / "driver.json"
    config_path.write_text(
        json.dumps(driver_config(playground, stack, screenshots), ensure_ascii=False),
        encoding="utf-8",
    )

    status, output = await run_driver(config_path, stack.workdir / "driver.log")
    for line in output.splitlines():
        if line.startswith("card "):
            print(line)  # the measured card sizes (pytest -s)

    bot_log = stack.bot.log_tail(100_000)
    problems: list[str] = []
    if status != 0:
        problems.append(f"the browser journey failed (exit status {status})")
    failed_calls = stack.traffic.errors()
    if failed_calls:
        problems.append(
            "HTTP errors between the playground and the bot:\n"
            + "\n".join(x.line(stack.traffic.started) for x in failed_calls)
        )
    if errors := bot_errors(bot_log):
        problems.append("the bot logged errors:\n" + "\n".join(errors[:20]))
    if "plan.ready_personal" in TEXTS:
        links = plan_links(stack.traffic)
        if not links:
            problems.append("the bot sent no links to the development plan")
        problems += await check_documents(links)
    for name in SCREENSHOTS:
        path = screenshots / name
        if not path.exists():
            if status == 0:
                problems.append(f"no screenshot {name}")
        elif path.stat().st_size > MAX_SCREENSHOT_BYTES:
            size = path.stat().st_size
            problems.append(f"{name} is {size // 1024} KB (limit {MAX_SCREENSHOT_BYTES // 1024})")
    if problems:
        stack.traffic.dump(stack.workdir / "traffic.jsonl")
        pytest.fail(
            "\n\n".join(problems)
            + f"\n\n--- browser driver ---\n{output}"
            + f"\n--- HTTP traffic (bodies in {stack.workdir / 'traffic.jsonl'}) ---\n"
            + stack.traffic.report()
            + f"\n--- bot log (tail) ---\n{stack.bot.log_tail(30)}",
            pytrace=False,
        )
