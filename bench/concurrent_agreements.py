"""Concurrent agreement adds: two app instances on one Azurite store, one live conversation.

A live GRUS of ``size`` people (stored through the real blob store, started with a real
``live.start`` press so its live card is posted and kept edited) gets ``adds`` ``agreement.add``
presses at the same moment, alternating between the two instances (each in its own process, as
two replicas would be). Every add must be kept exactly once. Latency is client-side per press;
throughput is adds divided by the time from the first press to the last answer.

    .venv/bin/python -m bench.concurrent_agreements            # 200 adds
    .venv/bin/python -m bench.concurrent_agreements --quick    # 40 adds

Target: all adds kept exactly once (no timing target; throughput and latency are reported).
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
    concept,
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
from storage.blob_store import BlobStore
from storage.schemas import CONVERSATION
from tests.app.harness import card_text
from tests.support.azurite import Azurite

SAVED = "Aftalen er gemt"


@dataclass
class Config:
    adds: int = 200
    size: int = 8
    settle: float = 1.0  # seconds for the live card edits to finish before the instances stop


@dataclass
class Outcome:
    latencies: list[float]
    seconds: float
    accepted: int
    kept_once: int
    stored: int
    refusals: Counter[str]
    counters: list[dict[str, int]] = field(default_factory=list)

    @property
    def exactly_once(self) -> bool:
        return self.kept_once == len(self.latencies) == self.stored

    def numbers(self) -> dict[str, Any]:
        lat = latency_ms(self.latencies)
        return {
            "adds": len(self.latencies),
            "kept_exactly_once": self.kept_once,
            "stored": self.stored,
            "adds_per_s": len(self.latencies) / self.seconds,
            "p50_ms": lat["p50"],
            "p95_ms": lat["p95"],
            "p99_ms": lat["p99"],
            "max_ms": lat["max"],
        }


def what(n: int) -> str:
    return f"Aftale nummer {n:03d}: fast sparring om svære forløb"


async def run(cfg: Config, azurite: Azurite | None = None) -> Outcome:
    if azurite is None:
        with azurite_blob() as fresh:
            return await run(cfg, fresh)
    container = f"bench-{uuid.uuid4().hex[:12]}"
    options = {"env": blob_env(azurite, container)}
    connector = Child("connector").launch()
    instances = [Child("app", options).launch(), Child("app", options).launch()]
    store = BlobStore.from_connection_string(azurite.connection_string, container, CONVERSATION)
    presser = Presser()
    counters: list[dict[str, int]] = []
    try:
        service_url = connector.ready()
        urls = [instance.ready() for instance in instances]
        chat = group_chat(f"bench-agreements-{uuid.uuid4().hex[:6]}", service_url)
        everyone = people(5000, cfg.size)
        conversation_id = f"bench-agreements-{uuid.uuid4().hex[:8]}"
        await store_grus(store, grus(concept(), conversation_id, chat, everyone), chat)
        data = {"conversation": conversation_id}
        started = await presser.post(urls[0], press_activity(chat, everyone[0], "live.start", data))
        assert started.status == 200, started
        members = everyone[1:]

        def add(n: int) -> dict[str, Any]:
            fields = {
                "form": "new",
                "new.perspective": ("adfaerd", "struktur", "opgaver")[n % 3],
                "new.what": what(n),
                "new.when": "Inden sommer",
                "new.who": "Hele gruppen",
                "new.responsible": members[n % len(members)].id,
                "new.follow_up": "2099-06-01",
                "new.value": "Bedre trivsel" if n % 2 else "",
            }
            sender = everyone[n % len(everyone)]
            return press_activity(chat, sender, "agreement.add", {**data, **fields})

        presses = [add(n) for n in range(cfg.adds)]
        began = time.perf_counter()
        answers = await asyncio.gather(
            *(presser.post(urls[n % 2], p) for n, p in enumerate(presses))
        )
        seconds = time.perf_counter() - began
        refusals: Counter[str] = Counter()
        for answer in answers:
            card = card_of_answer(answer.body)
            if answer.status != 200 or SAVED not in card_text(card):
                texts = [t for t in card_text(card).splitlines() if not t.startswith("http")]
                message = max(texts, key=len, default="")
                refusals[f"{answer.status} {message}"[:100]] += 1
        await asyncio.sleep(cfg.settle)
        stored, _ = await store.load(key(conversation_id))
        assert stored is not None
        seen = Counter(a.what for a in stored.agreements)
        kept_once = sum(1 for n in range(cfg.adds) if seen[what(n)] == 1)
    finally:
        await presser.close()
        await store.close()
        counters = [instance.stop().get("counters", {}) for instance in instances]
        connector.stop()
    return Outcome(
        latencies=[a.seconds for a in answers],
        seconds=seconds,
        accepted=cfg.adds - sum(refusals.values()),
        kept_once=kept_once,
        stored=len(stored.agreements),
        refusals=refusals,
        counters=counters,
    )


def report(cfg: Config, outcome: Outcome) -> str:
    n = outcome.numbers()
    rows = [
        [
            n["adds"],
            outcome.accepted,
            n["kept_exactly_once"],
            n["adds_per_s"],
            n["p50_ms"],
            n["p95_ms"],
            n["p99_ms"],
            n["max_ms"],
        ]
    ]
    total: Counter[str] = Counter()
    for counters in outcome.counters:
        total.update(counters)
    per_add = ", ".join(f"{k} {v / cfg.adds:.2f}" for k, v in sorted(total.items()))
    lines = [
        header("concurrent_agreements"),
        f"{cfg.adds} agreement.add presses at once on one live GRUS of {cfg.size}, alternating "
        "between two app processes on one Azurite store",
        table(
            ["adds", "accepted", "kept once", "adds/s", "p50 ms", "p95 ms", "p99 ms", "max ms"],
            rows,
        ),
        f"calls per add, both instances (incl. card edits): {per_add}",
    ]
    if outcome.refusals:
        lines.append(f"refused or failed: {dict(outcome.refusals)}")
    lines.append(
        "target: every add kept exactly once -> " + ("met" if outcome.exactly_once else "MISSED")
    )
    lines.append(result_line("concurrent_agreements", {**n, "target_met": outcome.exactly_once}))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 adds")
    parser.add_argument("--adds", type=int)
    args = parser.parse_args(argv)
    cfg = Config(adds=40) if args.quick else Config()
    cfg.adds = args.adds or cfg.adds
    outcome = asyncio.run(run(cfg))
    print(report(cfg, outcome), flush=True)
    if not outcome.exactly_once:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
