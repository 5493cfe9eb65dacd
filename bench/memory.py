"""Resident memory of one app process (``python app.py``) with 1,000 open conversations.

``conversations`` realistic GRUS (6 to 14 people; half in preparation with most people prepared,
half live with keywords brought into play, notes and agreements) are written through the real
local store (``FileConversationStore``) into a temporary ``LOCAL_STORAGE_DIR``. Then ``app.py``
is started as a subprocess on that directory, and every conversation is touched through the app
over HTTP: ``prep.status`` for those in preparation, ``live.refresh`` for the live ones, twice
over. The app's RSS (``VmRSS`` in ``/proc/<pid>/status``) is read after start-up, after each
pass, and its peak (``VmHWM``) at the end.

    .venv/bin/python -m bench.memory            # 1,000 conversations
    .venv/bin/python -m bench.memory --quick    # 100 conversations

Target: under 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    REPO,
    Presser,
    card_of_answer,
    concept,
    free_port,
    group_chat,
    grus,
    header,
    people,
    press_activity,
    result_line,
    store_grus,
    table,
)
from storage.file_store import FileStore
from storage.schemas import CONVERSATION
from tests.app.harness import Chat, User
from tests.support.connector import ConnectorStandIn

TARGET_MB = 150.0


@dataclass
class Config:
    conversations: int = 1000
    concurrency: int = 16
    passes: int = 2
    settle: float = 1.0  # seconds after start-up for its own work (the first reminder scan)


@dataclass
class Outcome:
    conversations: int
    stored_mb: float
    rss_mb: list[tuple[str, float]]
    peak_mb: float
    errors: int
    seconds: float

    def numbers(self) -> dict[str, Any]:
        values: dict[str, Any] = {"conversations": self.conversations}
        values |= {f"rss_{label}_mb": mb for label, mb in self.rss_mb}
        values |= {"peak_mb": self.peak_mb, "errors": self.errors}
        return values


def memory_of(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


async def _write(root: Path, cfg: Config, service_url: str) -> list[tuple[str, Chat, User, bool]]:
    the_concept = concept()
    store = FileStore(root, CONVERSATION)
    touched = []
    batch = []
    for n in range(cfg.conversations):
        size = 6 + n % 9
        everyone = people(100_000 + n * 20, size)
        chat = group_chat(f"bench-memory-{n}", service_url)
        conversation_id = f"bench-memory-{n:05d}"
        live = n % 2 == 1
        conversation = grus(
            the_concept,
            conversation_id,
            chat,
            everyone,
            prepared=None if live else size - n % 3,
            live=live,
            notes=4 + n % 12 if live else 0,
            agreements=n % 15 if live else 0,
        )
        batch.append(store_grus(store, conversation, chat))
        if len(batch) == 50:
            await asyncio.gather(*batch)
            batch = []
        touched.append((conversation_id, chat, everyone[1], live))
    await asyncio.gather(*batch)
    return touched


def _start_app(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, str(REPO / "app.py")],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _stop_app(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def run(cfg: Config) -> Outcome:
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    connector = ConnectorStandIn()
    await connector.start()
    process: subprocess.Popen[bytes] | None = None
    presser = Presser()
    try:
        touched = await _write(workdir / "data" / "conversations", cfg, connector.service_url)
        stored = sum(f.stat().st_size for f in (workdir / "data" / "conversations").iterdir())
        port = free_port()
        env = {
            **os.environ,
            "LOCAL_STORAGE_DIR": str(workdir / "data"),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
        for name in ("MicrosoftAppId", "MicrosoftAppPassword", "AZURE_STORAGE_CONNECTION_STRING"):
            env.pop(name, None)
        process = _start_app(env, workdir / "app.log")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError((workdir / "app.log").read_text(errors="replace"))
            try:
                async with presser.session.get(f"{url}/healthz") as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("app.py did not answer /healthz")
            await asyncio.sleep(0.1)
        await asyncio.sleep(cfg.settle)
        rss = [("started", memory_of(process.pid)["VmRSS"])]
        errors = 0
        limit = asyncio.Semaphore(cfg.concurrency)

        async def touch(conversation_id: str, chat: Chat, person: User, live: bool) -> bool:
            verb = "live.refresh" if live else "prep.status"
            activity = press_activity(chat, person, verb, {"conversation": conversation_id})
            async with limit:
                answer = await presser.post(url, activity)
            return answer.status == 200 and card_of_answer(answer.body) is not None

        began = time.perf_counter()
        for number in range(1, cfg.passes + 1):
            results = await asyncio.gather(*(touch(*t) for t in touched))
            errors += results.count(False)
            rss.append((f"pass{number}", memory_of(process.pid)["VmRSS"]))
        seconds = time.perf_counter() - began
        peak = memory_of(process.pid)["VmHWM"]
    finally:
        await presser.close()
        if process is not None:
            _stop_app(process)
        await connector.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return Outcome(cfg.conversations, stored / 1024 / 1024, rss, peak, errors, seconds)


def report(cfg: Config, outcome: Outcome) -> str:
    n = outcome.numbers()
    met = outcome.peak_mb < TARGET_MB and outcome.errors == 0
    rows = [[label, mb] for label, mb in outcome.rss_mb] + [["peak (VmHWM)", outcome.peak_mb]]
    return "\n".join(
        [
            header("memory"),
            f"python app.py (local store) with {cfg.conversations} conversations "
            f"({outcome.stored_mb:.1f} MB on disk), each touched {cfg.passes}x over HTTP "
            f"({outcome.seconds:.1f} s, {cfg.concurrency} at a time); errors: {outcome.errors}",
            table(["app process", "RSS MB"], rows),
            f"target: < {TARGET_MB:g} MB -> " + ("met" if met else "MISSED"),
            result_line("memory", {**n, "target_met": met}),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 conversations")
    parser.add_argument("--conversations", type=int)
    args = parser.parse_args(argv)
    cfg = Config(conversations=100) if args.quick else Config()
    cfg.conversations = args.conversations or cfg.conversations
    print(report(cfg, asyncio.run(run(cfg))), flush=True)


if __name__ == "__main__":
    main()
