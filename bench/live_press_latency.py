"""Live-card press latency over HTTP on Azurite, against a bare Agents SDK echo bot.

``meetings`` live GRUS of ``size`` people each (stored through the real blob store on Azurite,
then started with a real ``live.start`` press, so the live card is posted and kept edited
through the Bot Connector stand-in). Each round, every participant of every meeting presses at
the same moment: alternately ``note.add`` and ``keyword.mark`` (toggling one of their own
keywords), so every press is a real change of a conversation eight people write to at once.
Right after each burst, the same number of presses in the same HTTP shape go to a bare
Agents SDK echo bot (an ``ActivityHandler`` under ``CloudAdapter`` on aiohttp answering every
invoke with a tiny card). Latency is measured client-side, per request, on one keep-alive
session; the app, the echo bot and the stand-in each run in their own process.

    .venv/bin/python -m bench.live_press_latency            # 10 meetings x 8, 6 rounds
    .venv/bin/python -m bench.live_press_latency --quick    # 3 meetings x 4, 2 rounds
    .venv/bin/python -m bench.live_press_latency --profile  # plus cProfile of the app process
    .venv/bin/python -m bench.live_press_latency --teams-delay 10  # Teams answers after 10 s

Targets: app p50 within 3x the echo bot's p50; app p99 under 100 ms; with Teams slow
(``--teams-delay``: the Bot Connector stand-in answers every edit of a card that many seconds
late, so every live card has an edit in flight the whole time; the posts at the start are
answered at once, so the meetings can start), the same: a press never waits on Teams.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.common import (
    Child,
    Presser,
    Timed,
    azurite_blob,
    blob_env,
    concept,
    cpu_seconds,
    group_chat,
    grus,
    header,
    latency_ms,
    people,
    press_activity,
    result_line,
    store_grus,
    table,
)
from bot.conversations import key
from bot.deliveries import DELIVERY
from bot.deliveries import key as delivery_key
from storage.blob_store import BlobStore
from storage.schemas import CONVERSATION
from tests.app.harness import Chat, User
from tests.support.azurite import Azurite

TARGET_RATIO = 3.0
TARGET_P99_MS = 100.0


@dataclass
class Config:
    meetings: int = 10
    size: int = 8
    rounds: int = 6
    warmup: int = 1
    spread: float = 0.0  # seconds over which a round's presses are spread (0: all at once)
    profile: bool = False
    profile_path: str | None = None
    teams_delay: float = 0.0  # seconds the Bot Connector stand-in takes to answer


@dataclass
class Meeting:
    conversation_id: str
    chat: Chat
    everyone: list[User]
    keywords: dict[str, str]  # user id -> the keyword they toggle
    covered: dict[str, bool] = field(default_factory=dict)
    notes: int = 0


@dataclass
class Outcome:
    app: list[float]
    echo: list[float]
    errors: int
    notes_expected: int
    notes_stored: int
    seconds: float
    profile: str = ""
    counters: dict[str, int] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per measured request

    def numbers(self) -> dict[str, Any]:
        app, echo = latency_ms(self.app), latency_ms(self.echo)
        return {
            "presses": len(self.app),
            "app_p50_ms": app["p50"],
            "app_p95_ms": app["p95"],
            "app_p99_ms": app["p99"],
            "echo_p50_ms": echo["p50"],
            "echo_p95_ms": echo["p95"],
            "echo_p99_ms": echo["p99"],
            "p50_ratio": app["p50"] / echo["p50"],
            "app_cpu_ms_per_press": self.cpu_ms.get("app", math.nan),
            "echo_cpu_ms_per_press": self.cpu_ms.get("echo", math.nan),
            "errors": self.errors,
            "notes_kept": f"{self.notes_stored}/{self.notes_expected}",
        }


async def _setup(
    cfg: Config, store: BlobStore, service_url: str, presser: Presser, app_url: str
) -> list[Meeting]:
    the_concept = concept()
    meetings = []
    for m in range(cfg.meetings):
        chat = group_chat(f"bench-live-{m}", service_url)
        everyone = people(1000 + m * 100, cfg.size)
        conversation_id = f"bench-live-{m}-{uuid.uuid4().hex[:8]}"
        conversation = grus(the_concept, conversation_id, chat, everyone)
        await store_grus(store, conversation, chat)
        keywords = {p.user_id: p.keywords[0] for p in conversation.participants}
        meetings.append(Meeting(conversation_id, chat, everyone, keywords))
    started = await asyncio.gather(
        *(
            presser.post(
                app_url,
                press_activity(
                    m.chat, m.everyone[0], "live.start", {"conversation": m.conversation_id}
                ),
            )
            for m in meetings
        )
    )
    assert all(t.status == 200 for t in started), [t.status for t in started]
    deadline = time.monotonic() + 30
    for m in meetings:  # the live card is posted after the answer; wait until it is recorded
        while True:
            record, _ = await store.with_codec(DELIVERY).load(delivery_key(m.conversation_id))
            if record is not None and record.live:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the live cards were not posted")
            await asyncio.sleep(0.05)
    return meetings


def _press(meeting: Meeting, index: int, round_no: int) -> dict[str, Any]:
    person = meeting.everyone[index]
    data: dict[str, Any] = {"conversation": meeting.conversation_id}
    if (index + round_no) % 2 == 0:
        meeting.notes += 1
        data |= {
            "note.perspective": ("adfaerd", "struktur", "opgaver")[round_no % 3],
            "note.text": f"{person.name}: runde {round_no}, vi skal tale om overleveringen.",
        }
        return press_activity(meeting.chat, person, "note.add", data)
    covered = not meeting.covered.get(person.id, False)
    meeting.covered[person.id] = covered
    data |= {"owner": person.id, "keyword": meeting.keywords[person.id], "covered": covered}
    return press_activity(meeting.chat, person, "keyword.mark", data)


async def _burst(
    presser: Presser, url: str, activities: list[dict[str, Any]], spread: float
) -> list[Timed]:
    async def one(n: int, activity: dict[str, Any]) -> Timed:
        if spread:
            await asyncio.sleep(spread * n / len(activities))
        return await presser.post(url, activity)

    return list(await asyncio.gather(*(one(n, a) for n, a in enumerate(activities))))


async def run(cfg: Config, azurite: Azurite | None = None) -> Outcome:
    if azurite is None:
        with azurite_blob() as fresh:
            return await run(cfg, fresh)
    container = f"bench-{uuid.uuid4().hex[:12]}"
    connector = Child("connector", {"slow": cfg.teams_delay, "slow_ops": ["update"]}).launch()
    echo = Child("echo", {}).launch()
    app = Child(
        "app",
        {"env": blob_env(azurite, container)},
        profile=cfg.profile,
        profile_path=cfg.profile_path,
    ).launch()
    store = BlobStore.from_connection_string(azurite.connection_string, container, CONVERSATION)
    presser = Presser()
    try:
        service_url = connector.ready()
        echo_url, app_url = echo.ready(), app.ready()
        meetings = await _setup(cfg, store, service_url, presser, app_url)
        app_times: list[float] = []
        echo_times: list[float] = []
        errors = 0
        cpu = {"app": 0.0, "echo": 0.0}
        began = time.perf_counter()
        for round_no in range(cfg.warmup + cfg.rounds):
            pressed = [
                _press(m, i, round_no) for i in range(cfg.size) for m in meetings
            ]  # interleaved, so the meetings' presses arrive mixed
            echoed = [
                press_activity(
                    m.chat,
                    m.everyone[i],
                    a["value"]["action"]["verb"],
                    a["value"]["action"]["data"],
                )
                for a, (m, i) in zip(
                    pressed, [(m, i) for i in range(cfg.size) for m in meetings], strict=True
                )
            ]
            app_cpu = cpu_seconds(app.pid)
            answers = await _burst(presser, app_url, pressed, cfg.spread)
            await asyncio.sleep(0.3)  # the background card edits of this burst, mostly
            app_cpu = cpu_seconds(app.pid) - app_cpu
            echo_cpu = cpu_seconds(echo.pid)
            echoes = await _burst(presser, echo_url, echoed, cfg.spread)
            echo_cpu = cpu_seconds(echo.pid) - echo_cpu
            errors += sum(t.status != 200 for t in answers + echoes)
            if round_no >= cfg.warmup:
                app_times += [t.seconds for t in answers]
                echo_times += [t.seconds for t in echoes]
                cpu["app"] += app_cpu * 1000
                cpu["echo"] += echo_cpu * 1000
            await asyncio.sleep(0.3)
        seconds = time.perf_counter() - began
        stored_notes = 0
        for m in meetings:
            stored, _ = await store.load(key(m.conversation_id))
            assert stored is not None
            stored_notes += len(stored.notes)
        expected = sum(m.notes for m in meetings)
    finally:
        await presser.close()
        await store.close()
        measured = app.stop()
        echo.stop()
        connector.stop()
    return Outcome(
        app_times,
        echo_times,
        errors,
        expected,
        stored_notes,
        seconds,
        measured.get("profile", ""),
        measured.get("counters", {}),
        {name: total / max(1, len(app_times)) for name, total in cpu.items()},
    )


def report(cfg: Config, outcome: Outcome) -> str:
    app, echo = latency_ms(outcome.app), latency_ms(outcome.echo)
    rows = [
        ["Samtaleguide", len(outcome.app), app["p50"], app["p95"], app["p99"], app["max"]],
        ["echo bot", len(outcome.echo), echo["p50"], echo["p95"], echo["p99"], echo["max"]],
        [
            "ratio",
            "",
            app["p50"] / echo["p50"],
            app["p95"] / echo["p95"],
            app["p99"] / echo["p99"],
            "",
        ],
    ]
    numbers = outcome.numbers()
    passed = numbers["p50_ratio"] <= TARGET_RATIO and numbers["app_p99_ms"] < TARGET_P99_MS
    how = f"spread over {cfg.spread:g} s" if cfg.spread else "at once"
    if cfg.teams_delay:
        how += f", Teams answering after {cfg.teams_delay:g} s"
    presses = cfg.meetings * cfg.size * (cfg.rounds + cfg.warmup) + cfg.meetings
    per_press = ", ".join(
        f"{name} {count / presses:.2f}" for name, count in sorted(outcome.counters.items())
    )
    lines = [
        header("live_press_latency"),
        f"{cfg.meetings} meetings x {cfg.size} participants pressing {how}, "
        f"{cfg.rounds} rounds (+{cfg.warmup} warm-up); client-side latency in ms",
        table(["server", "presses", "p50", "p95", "p99", "max"], rows),
        f"errors: {outcome.errors}; notes kept exactly: {numbers['notes_kept']}",
        f"app calls per press (incl. background card edits): {per_press}",
        "CPU per press (server process, user+system): "
        + ", ".join(f"{name} {ms:.1f} ms" for name, ms in outcome.cpu_ms.items()),
        f"targets: p50 ratio <= {TARGET_RATIO:g}, app p99 < {TARGET_P99_MS:g} ms -> "
        + ("met" if passed else "MISSED"),
        result_line("live_press_latency", {**numbers, "target_met": passed}),
    ]
    if outcome.profile:
        lines.insert(-1, "cProfile of the app process:\n" + outcome.profile)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 meetings x 4, 2 rounds")
    parser.add_argument("--meetings", type=int)
    parser.add_argument("--size", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--spread", type=float, default=0.0, help="spread each round (s)")
    parser.add_argument("--profile", action="store_true", help="cProfile the app process")
    parser.add_argument("--profile-out", help="write the app's raw cProfile stats here")
    parser.add_argument(
        "--teams-delay", type=float, default=0.0, help="the Bot Connector answers this late (s)"
    )
    args = parser.parse_args(argv)
    cfg = Config(meetings=3, size=4, rounds=2) if args.quick else Config()
    cfg.meetings = args.meetings or cfg.meetings
    cfg.size = args.size or cfg.size
    cfg.rounds = args.rounds or cfg.rounds
    cfg.spread = args.spread
    cfg.profile = args.profile
    cfg.profile_path = args.profile_out
    cfg.teams_delay = args.teams_delay
    print(report(cfg, asyncio.run(run(cfg))), flush=True)


if __name__ == "__main__":
    main()
