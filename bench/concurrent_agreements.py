"""Concurrent agreement adds: two app instances on one Azurite store, one live conversation.

A live GRUS of ``size`` people (stored through the real blob store, started with a real
``live.start`` press so its live card is posted and kept edited) gets ``adds`` ``agreement.add``
presses at the same moment, alternating between the two instances (each in its own process, as
two replicas would be). Every add must be kept exactly once. Latency is client-side per press;
throughput is adds divided by the time from the first press to the last answer.

In the same run, side by side: the same adds with group commit switched off
(``GROUP_COMMIT=off``: one load and one save per press, in turn), and the store's own ceiling for
any one-press-per-save design: one load plus one If-Match save of that conversation at a time,
through the Azure SDK, on the same blob (``ceiling`` round trips).

    .venv/bin/python -m bench.concurrent_agreements            # 200 adds
    .venv/bin/python -m bench.concurrent_agreements --quick    # 40 adds
    .venv/bin/python -m bench.concurrent_agreements --max-batch 8  # batches of at most 8

Targets (group commit on): all adds kept exactly once, none refused, p99 under 1 s, and adds per
second at least twice the store's ceiling.
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
from storage.commit import MAX_BATCH
from storage.schemas import CONVERSATION
from tests.app.harness import card_text
from tests.support.azurite import Azurite

SAVED = "Aftalen er gemt"


TARGET_P99_MS = 1000.0
TARGET_CEILING_RATIO = 2.0


@dataclass
class Config:
    adds: int = 200
    size: int = 8
    settle: float = 1.0  # seconds for the live card edits to finish before the instances stop
    ceiling: int = 200  # sequential load + If-Match save round trips to measure the store
    max_batch: int | None = None  # group commit's batch size (None: the app's own)


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


@dataclass
class Comparison:
    grouped: Outcome
    ungrouped: Outcome
    ceiling_per_s: float

    @property
    def targets_met(self) -> bool:
        n = self.grouped.numbers()
        return (
            self.grouped.exactly_once
            and self.grouped.accepted == n["adds"]
            and n["p99_ms"] < TARGET_P99_MS
            and n["adds_per_s"] >= TARGET_CEILING_RATIO * self.ceiling_per_s
        )


async def run(cfg: Config, azurite: Azurite | None = None) -> Comparison:
    """Group commit on, the store's ceiling, group commit off: in that order, in one run."""
    if azurite is None:
        with azurite_blob() as fresh:
            return await run(cfg, fresh)
    grouped = await adds(cfg, azurite, group=True)
    ceiling = await store_ceiling(cfg, azurite)
    ungrouped = await adds(cfg, azurite, group=False)
    return Comparison(grouped, ungrouped, ceiling)


async def store_ceiling(cfg: Config, azurite: Azurite) -> float:
    """One load and one If-Match save of a stored conversation at a time: the rate any design
    that saves once per press cannot exceed on this store."""
    container = f"bench-{uuid.uuid4().hex[:12]}"
    store = BlobStore.from_connection_string(azurite.connection_string, container, CONVERSATION)
    try:
        chat = group_chat("bench-ceiling", "http://127.0.0.1:1/")
        conversation = grus(concept(), "bench-ceiling", chat, people(7000, cfg.size), live=True)
        stored_key = key(conversation.id)
        await store.save(stored_key, conversation, None)
        began = time.perf_counter()
        for _ in range(cfg.ceiling):
            current, etag = await store.load(stored_key)
            assert current is not None
            await store.save(stored_key, current, etag)
        return cfg.ceiling / (time.perf_counter() - began)
    finally:
        await store.close()


async def adds(cfg: Config, azurite: Azurite, *, group: bool) -> Outcome:
    container = f"bench-{uuid.uuid4().hex[:12]}"
    env = {**blob_env(azurite, container), "GROUP_COMMIT": "on" if group else "off"}
    options: dict[str, Any] = {"env": env}
    if cfg.max_batch is not None and group:  # "off" stays one save per press
        options["max_batch"] = cfg.max_batch
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


def _row(label: str, outcome: Outcome) -> list[Any]:
    n = outcome.numbers()
    return [
        label,
        n["adds"],
        outcome.accepted,
        n["kept_exactly_once"],
        n["adds_per_s"],
        n["p50_ms"],
        n["p95_ms"],
        n["p99_ms"],
        n["max_ms"],
    ]


def _per_add(cfg: Config, outcome: Outcome) -> str:
    total: Counter[str] = Counter()
    for counters in outcome.counters:
        total.update(counters)
    return ", ".join(f"{k} {v / cfg.adds:.2f}" for k, v in sorted(total.items()))


def report(cfg: Config, result: Comparison) -> str:
    grouped, ungrouped = result.grouped, result.ungrouped
    n = grouped.numbers()
    lines = [
        header("concurrent_agreements"),
        f"{cfg.adds} agreement.add presses at once on one live GRUS of {cfg.size}, alternating "
        f"between two app processes on one Azurite store; group commit's batches of at most "
        f"{cfg.max_batch or MAX_BATCH}",
        table(
            ["", "adds", "accepted", "kept once", "adds/s", "p50 ms", "p95 ms", "p99 ms", "max"],
            [_row("group commit", grouped), _row("one save per press", ungrouped)],
        ),
        f"store ceiling (one load + If-Match save at a time, same blob): "
        f"{result.ceiling_per_s:.1f}/s; group commit {n['adds_per_s'] / result.ceiling_per_s:.2f}x"
        f", one save per press {ungrouped.numbers()['adds_per_s'] / result.ceiling_per_s:.2f}x",
        f"calls per add, group commit (both instances, incl. card edits): {_per_add(cfg, grouped)}",
        f"calls per add, one save per press: {_per_add(cfg, ungrouped)}",
    ]
    for label, outcome in (("group commit", grouped), ("one save per press", ungrouped)):
        if outcome.refusals:
            lines.append(f"{label}, refused or failed: {dict(outcome.refusals)}")
    lines.append(
        f"targets (group commit): all kept once, none refused, p99 < {TARGET_P99_MS:g} ms, "
        f">= {TARGET_CEILING_RATIO:g}x the ceiling -> "
        + ("met" if result.targets_met else "MISSED")
    )
    numbers = {
        **n,
        "ceiling_per_s": result.ceiling_per_s,
        "ceiling_ratio": n["adds_per_s"] / result.ceiling_per_s,
        "off_adds_per_s": ungrouped.numbers()["adds_per_s"],
        "off_p99_ms": ungrouped.numbers()["p99_ms"],
        "off_kept_exactly_once": ungrouped.kept_once,
        "target_met": result.targets_met,
    }
    lines.append(result_line("concurrent_agreements", numbers))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 adds")
    parser.add_argument("--adds", type=int)
    parser.add_argument("--max-batch", type=int, help="group commit's batch size")
    args = parser.parse_args(argv)
    cfg = Config(adds=40, ceiling=50) if args.quick else Config()
    cfg.adds = args.adds or cfg.adds
    cfg.max_batch = args.max_batch
    result = asyncio.run(run(cfg))
    print(report(cfg, result), flush=True)
    if not (result.grouped.exactly_once and result.ungrouped.exactly_once):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
