"""Preparation prompt fan-out against Teams' rate limits (429 with Retry-After).

``grus`` GRUS of ``size`` people each (distinct people, so every prompt opens its own 1:1 chat)
are set up the real way: a ``setup.save`` press in each group chat, all at once, over HTTP to the
app (``create_app`` on Azurite, in this process); each press reads the roster and fans the preparation prompts out
(``Effects.prompt``: open the 1:1 chat, send the card, record the delivery). The Bot Connector
stand-in (in its own process, so it stamps arrivals on its own clock) enforces Teams' per-bot-per-thread limits and a per-app-per-tenant limit of ``limit``
requests a second, answering 429 with ``Retry-After`` when exceeded. The app paces itself with
``bot.teams``' per-tenant token bucket.

The minimum time the tenant limit allows is the number of requests the work needs (2 per
prompt, create-conversation and send, plus the roster reads) divided by ``limit``: for 2,000
prompts about 4,040 / 50 = 81 s. Measured: from the first press until all follow-up work has
finished.

    .venv/bin/python -m bench.prompt_fanout            # 40 GRUS x 50 = 2,000 prompts (~1.5 min)
    .venv/bin/python -m bench.prompt_fanout --quick    # 4 GRUS x 50 = 200 prompts

Targets: total within 1.25x the minimum; every 1:1 chat got exactly one prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.common import (
    Child,
    Presser,
    azurite_blob,
    blob_env,
    card_of_answer,
    group_chat,
    header,
    people,
    press_activity,
    result_line,
    table,
)
from bot.conversations import key
from settings import Settings
from tests.app.harness import TENANT, BotServer, card_text
from tests.support.azurite import Azurite

TARGET_RATIO = 1.25


@dataclass
class Config:
    grus: int = 40
    size: int = 50  # leader and 49 members: 50 prompts per GRUS
    limit: int = 50  # requests a second per app per tenant, enforced by the stand-in
    fanout: int | None = None  # Services.fanout; None keeps the app's default
    rate: float | None = None  # the app's pacing (requests/s per tenant); None keeps its default
    burst: int | None = None


@dataclass
class Outcome:
    prompts: int
    seconds: float
    tenant_requests: int
    throttled_tenant: int
    throttled_thread: int
    one_to_one: int
    exactly_once: int
    recorded: int
    unreachable: int
    fanout: int
    rate: float | None
    burst: int
    ops: Counter[str] = field(default_factory=Counter)

    def minimum(self, limit: int) -> float:
        return self.tenant_requests / limit

    @property
    def no_duplicates(self) -> bool:
        return self.exactly_once == self.one_to_one == self.prompts == self.recorded

    def numbers(self, limit: int) -> dict[str, Any]:
        return {
            "prompts": self.prompts,
            "seconds": self.seconds,
            "minimum_s": self.minimum(limit),
            "ratio": self.seconds / self.minimum(limit),
            "requests": self.tenant_requests,
            "throttled_429": self.throttled_tenant + self.throttled_thread,
            "chats_with_exactly_one_prompt": f"{self.exactly_once}/{self.prompts}",
            "fanout": self.fanout,
            "pacing_rate": self.rate,
        }


async def run(cfg: Config, azurite: Azurite | None = None) -> Outcome:
    if azurite is None:
        with azurite_blob() as fresh:
            return await run(cfg, fresh)
    container = f"bench-{uuid.uuid4().hex[:12]}"
    groups = [people(10_000 + g * 100, cfg.size) for g in range(cfg.grus)]
    chat_names = [f"bench-fanout-{g}-{uuid.uuid4().hex[:6]}" for g in range(cfg.grus)]
    rosters = [
        (group_chat(name, "").id, [u.member() for u in group], 100)
        for name, group in zip(chat_names, groups, strict=True)
    ]
    # The stand-in runs in its own process, as Teams would: it stamps arrivals on its own loop.
    connector = Child(
        "connector",
        {
            "enforce_rate_limits": True,
            "tenant_rate_limit": (cfg.limit, 1.0),
            "rosters": rosters,
        },
    ).launch()
    server: BotServer | None = None
    presser = Presser()
    counts: dict[str, int] = {}
    try:
        service_url = connector.ready()
        settings = Settings.from_env(blob_env(azurite, container))
        server = await BotServer(settings, live_card_interval=None).start()
        parts = server.parts
        if cfg.fanout is not None:
            parts.context.outbox.fanout = cfg.fanout
        teams = parts.teams
        if cfg.rate is not None:
            teams.rate = cfg.rate if cfg.rate > 0 else None
        if cfg.burst is not None:
            teams.burst = cfg.burst
        presses = [
            press_activity(
                group_chat(name, service_url),
                group[0],
                "setup.save",
                {
                    "conversation": "",
                    "kind": "GRUS",
                    "participants": ",".join(u.id for u in group[1:]),
                    "date": "2099-01-05",
                    "variant": "skema",
                },
            )
            for name, group in zip(chat_names, groups, strict=True)
        ]
        began = time.perf_counter()
        answers = await asyncio.gather(*(presser.post(server.url, p) for p in presses))
        conversation_ids = []
        for answer in answers:
            card = card_of_answer(answer.body)
            if answer.status != 200 or not card or "actions" not in card:
                raise RuntimeError(f"setup.save failed: {answer.status} {card_text(card)}")
            conversation_ids.append(str(card["actions"][0]["data"]["conversation"]))
        await parts.tasks.drain()
        seconds = time.perf_counter() - began
        recorded = unreachable = 0
        for conversation_id in conversation_ids:
            stored, _ = await parts.store.load(key(conversation_id))
            assert stored is not None
            record = await parts.deliveries.get(conversation_id)
            recorded += sum(1 for p in stored.participants if record.prompt(p.user_id))
            unreachable += len(record.unreachable)
    finally:
        await presser.close()
        if server is not None:
            await server.stop()
        counts = connector.stop().get("counters", {})
    return Outcome(
        prompts=sum(len(group) for group in groups),
        seconds=seconds,
        tenant_requests=counts.get(f"tenant {TENANT}", 0),
        throttled_tenant=counts.get("429 tenant", 0),
        throttled_thread=counts.get("429 thread", 0),
        one_to_one=counts.get("one_to_one", 0),
        exactly_once=counts.get("one_to_one_exactly_once", 0),
        recorded=recorded,
        unreachable=unreachable,
        fanout=parts.context.outbox.fanout,
        rate=teams.rate,
        burst=teams.burst,
        ops=Counter(
            {k.removeprefix("status "): v for k, v in counts.items() if k.startswith("status ")}
        ),
    )


def report(cfg: Config, outcome: Outcome) -> str:
    n = outcome.numbers(cfg.limit)
    met = n["ratio"] <= TARGET_RATIO and outcome.no_duplicates
    rows = [
        [
            outcome.prompts,
            n["requests"],
            n["minimum_s"],
            outcome.seconds,
            n["ratio"],
            outcome.throttled_tenant,
            outcome.throttled_thread,
            n["chats_with_exactly_one_prompt"],
        ]
    ]
    lines = [
        header("prompt_fanout"),
        f"{cfg.grus} GRUS x {cfg.size} set up at once over HTTP (Azurite); stand-in limits: "
        f"Teams per thread + {cfg.limit} requests/s per tenant; app pacing "
        f"{outcome.rate or 'off'} requests/s (burst {outcome.burst}), fan-out {outcome.fanout}",
        table(
            [
                "prompts",
                "requests",
                "minimum s",
                "total s",
                "ratio",
                "429 tenant",
                "429 thread",
                "exactly one prompt",
            ],
            rows,
        ),
        "connector requests (op status: count): "
        + ", ".join(f"{k}: {v}" for k, v in sorted(outcome.ops.items())),
        f"deliveries recorded on the conversations: {outcome.recorded}, "
        f"unreachable: {outcome.unreachable}",
        f"targets: total <= {TARGET_RATIO:g} x minimum, no duplicates -> "
        + ("met" if met else "MISSED"),
        result_line("prompt_fanout", {**n, "target_met": met}),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 GRUS x 50 = 200 prompts")
    parser.add_argument("--grus", type=int)
    parser.add_argument("--size", type=int)
    parser.add_argument("--fanout", type=int, help="Services.fanout (default: the app's)")
    parser.add_argument("--rate", type=float, help="app pacing, requests/s (0: off)")
    parser.add_argument("--burst", type=int, help="app pacing burst")
    args = parser.parse_args(argv)
    cfg = Config(grus=4) if args.quick else Config()
    cfg.grus = args.grus or cfg.grus
    cfg.size = args.size or cfg.size
    cfg.fanout, cfg.rate, cfg.burst = args.fanout, args.rate, args.burst
    outcome = asyncio.run(run(cfg))
    print(report(cfg, outcome), flush=True)


if __name__ == "__main__":
    main()
