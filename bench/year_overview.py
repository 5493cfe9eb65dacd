"""The year's round at scale (issue 16): a leader's "Mine samtaler" in a store of 20,000
conversations, on Azurite.

    .venv/bin/python -m bench.year_overview            # 20,000 conversations, 60 presses
    .venv/bin/python -m bench.year_overview --quick    # 2,000 conversations, 20 presses

1. Seed: ``conversations`` conversations written straight through the blob store, ``concurrency``
   at a time: the measured leader's 40 over three years (MUS with 30 employees, a GRUS a year;
   every state), the rest MUS and GRUS of 1,000 other leaders across 200 workplaces, each made
   from a conversation built through the pure transitions (``tests.support.rounds``).
2. Index: ``YearIndex.reindex()`` over all of them (what ``manage.py reindex`` runs), timed.
3. Measure, in the same run: the app (``create_app`` in its own process, on that container)
   answers the leader's ``my.conversations`` press in their 1:1 chat ``samples`` times, after a
   warm-up; the baseline is one plain blob load of one of the leader's conversations through the
   blob store, ``samples`` times. Also timed once: listing every conversation's key, the least
   the scan that ``under_way_for`` used to make would cost before loading a single one.

Target: the list comes back in under 300 ms (p95) on Azurite.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import (
    Child,
    Presser,
    azurite_blob,
    blob_env,
    card_of_answer,
    concept,
    header,
    percentile,
    press_activity,
    result_line,
    table,
)
from bot.tasks import clock_in
from bot.year_index import YearIndex
from dialogs.conversation import Conversation, Person
from storage.blob_store import BlobStore
from storage.factory import client_options
from storage.schemas import CONVERSATION
from tests.app.harness import Chat, User, user
from tests.support.azurite import Azurite
from tests.support.rounds import Agreed, held_on

TARGET_MS = 300.0
LEADER = user(1, "Lene Leder")
STATES = ("set_up", "preparing", "live", "finished", "approved")


@dataclass
class Config:
    conversations: int = 20_000
    leader_conversations: int = 40
    samples: int = 60
    warmup: int = 5
    concurrency: int = 64
    leaders: int = 1_000
    workplaces: int = 200


@dataclass
class Outcome:
    seed_seconds: float
    reindex_seconds: float
    list_ms: list[float] = field(default_factory=list)
    load_ms: list[float] = field(default_factory=list)
    keys_ms: float = 0.0
    shown: int = 0  # conversations on the card's first part
    errors: int = 0

    def numbers(self) -> dict[str, Any]:
        list_p50 = statistics.median(self.list_ms)
        load_p50 = statistics.median(self.load_ms)
        return {
            "list_p50_ms": list_p50,
            "list_p95_ms": percentile(self.list_ms, 95),
            "list_max_ms": max(self.list_ms),
            "load_p50_ms": load_p50,
            "load_p95_ms": percentile(self.load_ms, 95),
            "ratio": list_p50 / load_p50,
            "list_keys_ms": self.keys_ms,
            "seed_s": self.seed_seconds,
            "reindex_s": self.reindex_seconds,
            "errors": self.errors,
        }


def _person(u: User) -> Person:
    return Person(u.id, u.name, u.aad)


def _templates() -> dict[tuple[str, str], Conversation]:
    """A conversation of each kind in each state (with two agreements once live)."""
    the_concept = concept()
    leader, employee = Person("29:t-leader", "T", "aad-t-leader"), Person("29:t-1", "E", "aad-t-1")
    others = [employee, Person("29:t-2", "F", "aad-t-2"), Person("29:t-3", "G", "aad-t-3")]
    made = {}
    for kind in ("MUS", "GRUS"):
        for state in STATES:
            made[(kind, state)] = held_on(
                the_concept,
                f"t-{kind}-{state}",
                kind=kind,
                leader=leader,
                others=others[:1] if kind == "MUS" else others,
                day="2026-03-10",
                state=state,  # type: ignore[arg-type]
                agreements=[Agreed(employee, "2026-09-01"), Agreed(None, "2026-10-01")],
            )
    return made


def _derived(
    template: Conversation,
    conversation_id: str,
    leader: User,
    others: list[User],
    day: date,
    workplace: str,
) -> Conversation:
    """The template as another conversation: its own id, day, workplace and people."""
    people = [leader, *others]
    participants = tuple(
        replace(p, user_id=u.id, name=u.name, aad_object_id=u.aad)
        for p, u in zip(template.participants, people, strict=True)
    )
    ids = {p.user_id: q.user_id for p, q in zip(template.participants, participants, strict=True)}
    agreements = tuple(
        replace(a, responsible_id=ids.get(a.responsible_id, ""), author_id=leader.id)
        for a in template.agreements
    )
    approvals = tuple(replace(a, user_id=ids.get(a.user_id, a.user_id)) for a in template.approvals)
    return replace(
        template,
        id=conversation_id,
        created_at=f"{day.isoformat()}T08:00:00",
        setup=replace(template.setup, starts_at=f"{day.isoformat()}T10:00", workplace=workplace),
        participants=participants,
        agreements=agreements,
        approvals=approvals,
        index_pending=False,
    )


def _plan(cfg: Config, this_year: int) -> list[tuple[str, str, str, User, list[User], date, str]]:
    """(id, kind, state, leader, others, day, workplace) for every conversation."""
    plan = []
    years = (this_year, this_year - 1, this_year - 2)
    employees = [user(1000 + n, f"Medarbejder {n}") for n in range(30)]
    for n in range(cfg.leader_conversations):
        year = years[n % 3]
        kind = "GRUS" if n % 13 == 0 else "MUS"
        others = employees[n % 30 : n % 30 + (3 if kind == "GRUS" else 1)]
        state = STATES[n % len(STATES)] if year == this_year else "approved"
        day = date(year, 1 + n % 12, 1 + n % 28)
        plan.append((f"lene-{n:03d}", kind, state, LEADER, others, day, "Rådhuset"))
    for n in range(cfg.conversations - cfg.leader_conversations):
        leader = user(100_000 + n % cfg.leaders, f"Leder {n % cfg.leaders}")
        kind = "GRUS" if n % 10 == 0 else "MUS"
        size = 3 if kind == "GRUS" else 1
        others = [user(200_000 + n * 3 + k, f"Kollega {n}-{k}") for k in range(size)]
        day = date(years[n % 3], 1 + n % 12, 1 + n % 28)
        state = STATES[n % len(STATES)]
        plan.append(
            (f"c-{n:06d}", kind, state, leader, others, day, f"Arbejdsplads {n % cfg.workplaces}")
        )
    return plan


async def _seed(store: BlobStore[Conversation], cfg: Config, this_year: int) -> list[str]:
    templates = _templates()
    gate = asyncio.Semaphore(cfg.concurrency)

    async def write(item: tuple[str, str, str, User, list[User], date, str]) -> None:
        conversation_id, kind, state, leader, others, day, workplace = item
        conversation = _derived(
            templates[(kind, state)], conversation_id, leader, others, day, workplace
        )
        async with gate:
            await store.save(f"conversations/{conversation_id}", conversation, None)

    plan = _plan(cfg, this_year)
    await asyncio.gather(*(write(item) for item in plan))
    return [item[0] for item in plan if item[3] is LEADER]


async def run(cfg: Config, azurite: Azurite | None = None) -> Outcome:
    if azurite is None:
        with azurite_blob() as fresh:
            return await run(cfg, fresh)
    container = f"bench-year-{time.time_ns()}"
    store: BlobStore[Conversation] = BlobStore.from_connection_string(
        azurite.connection_string, container, CONVERSATION, **client_options()
    )
    clock = clock_in(ZoneInfo("Europe/Copenhagen"))
    this_year = clock().year
    try:
        began = time.perf_counter()
        leaders = await _seed(store, cfg, this_year)
        seeded = time.perf_counter() - began
        began = time.perf_counter()
        await YearIndex(store, clock).reindex()
        outcome = Outcome(seeded, time.perf_counter() - began)
        began = time.perf_counter()
        listed = await store.keys("conversations/")
        outcome.keys_ms = (time.perf_counter() - began) * 1000
        assert len(listed) == cfg.conversations, len(listed)
        for _ in range(cfg.warmup):
            await store.load(f"conversations/{leaders[0]}")
        for n in range(cfg.samples):
            began = time.perf_counter()
            await store.load(f"conversations/{leaders[n % len(leaders)]}")
            outcome.load_ms.append((time.perf_counter() - began) * 1000)
        with Child("app", {"env": blob_env(azurite, container)}) as app:
            chat = Chat("a:bench-leader", False, "http://127.0.0.1:9/")
            async with Presser() as presser:
                for n in range(cfg.warmup + cfg.samples):
                    answer = await presser.post(
                        app.url, press_activity(chat, LEADER, "my.conversations")
                    )
                    card = card_of_answer(answer.body)
                    text = str(card)
                    if answer.status != 200 or card is None or "Mine samtaler" not in text:
                        outcome.errors += 1
                    if n >= cfg.warmup:
                        outcome.list_ms.append(answer.seconds * 1000)
                    outcome.shown = text.count("**MUS**") + text.count("**GRUS**")
    finally:
        await store.close()
    return outcome


def report(cfg: Config, outcome: Outcome) -> str:
    n = outcome.numbers()
    met = n["list_p95_ms"] < TARGET_MS and outcome.errors == 0
    return "\n".join(
        [
            header("year_overview"),
            f"{cfg.conversations:,} conversations on Azurite (seeded in {outcome.seed_seconds:.1f} s,"
            f" {cfg.concurrency} writes at a time); the index rebuilt by reindex in "
            f"{outcome.reindex_seconds:.1f} s; the leader has {cfg.leader_conversations} over three "
            f"years, {outcome.shown} on the card's first part; {cfg.samples} presses "
            f"(+{cfg.warmup} warm-up), one at a time; errors: {outcome.errors}",
            table(
                ["", "p50 ms", "p95 ms", "max ms"],
                [
                    ["Mine samtaler (my.conversations, HTTP)", n["list_p50_ms"], n["list_p95_ms"], n["list_max_ms"]],
                    ["baseline: one blob load", n["load_p50_ms"], n["load_p95_ms"], max(outcome.load_ms)],
                ],
            ),
            f"listing every conversation's key (the least a scan costs): {outcome.keys_ms:.0f} ms",
            f"target: p95 < {TARGET_MS:g} ms -> " + ("met" if met else "MISSED"),
            result_line("year_overview", {**n, "target_met": met}),
        ]
    )  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 conversations, 20 presses")
    parser.add_argument("--conversations", type=int)
    args = parser.parse_args(argv)
    cfg = (
        Config(conversations=2_000, samples=20, leaders=100, workplaces=20)
        if args.quick
        else Config()
    )
    cfg.conversations = args.conversations or cfg.conversations
    print(report(cfg, asyncio.run(run(cfg))), flush=True)


if __name__ == "__main__":
    main()
