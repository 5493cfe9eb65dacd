"""Development plan generation: ``plan.document.write_plan`` for a closed GRUS of 12 with 40
agreements (the realistic conversation the plan tests use: ``tests.plan.closed_grus``), timed
over ``runs`` runs after ``warmup`` unmeasured ones, in this process.

    .venv/bin/python -m bench.plan_generation            # 30 runs
    .venv/bin/python -m bench.plan_generation --quick    # 5 runs

Target: median and p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.common import concept, header, percentile, result_line, table
from plan.document import write_plan
from tests.plan import closed_grus

TARGET_MS = 200.0


@dataclass
class Config:
    runs: int = 30
    warmup: int = 2
    agreements: int = 40


@dataclass
class Outcome:
    seconds: list[float]
    size: int
    participants: int
    agreements: int

    def numbers(self) -> dict[str, Any]:
        ms = [s * 1000 for s in self.seconds]
        return {
            "runs": len(ms),
            "median_ms": statistics.median(ms),
            "p95_ms": percentile(ms, 95),
            "max_ms": max(ms),
            "docx_kb": self.size / 1024,
        }


def run(cfg: Config) -> Outcome:
    the_concept = concept()
    conversation = closed_grus(the_concept, agreements=cfg.agreements)
    generated = datetime(2026, 12, 1, 11, 42, tzinfo=UTC)
    data = b""
    for _ in range(cfg.warmup):
        data = write_plan(conversation, the_concept, generated_at=generated)
    seconds = []
    for _ in range(cfg.runs):
        started = time.perf_counter()
        data = write_plan(conversation, the_concept, generated_at=generated)
        seconds.append(time.perf_counter() - started)
    return Outcome(seconds, len(data), len(conversation.participants), len(conversation.agreements))


def report(cfg: Config, outcome: Outcome) -> str:
    n = outcome.numbers()
    met = n["median_ms"] < TARGET_MS and n["p95_ms"] < TARGET_MS
    return "\n".join(
        [
            header("plan_generation"),
            f"write_plan for a closed GRUS of {outcome.participants} with {outcome.agreements} "
            f"agreements, {cfg.runs} runs (+{cfg.warmup} warm-up)",
            table(
                ["runs", "median ms", "p95 ms", "max ms", "docx KB"],
                [[n["runs"], n["median_ms"], n["p95_ms"], n["max_ms"], n["docx_kb"]]],
            ),
            f"target: median and p95 < {TARGET_MS:g} ms -> " + ("met" if met else "MISSED"),
            result_line("plan_generation", {**n, "target_met": met}),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 runs")
    parser.add_argument("--runs", type=int)
    args = parser.parse_args(argv)
    cfg = Config(runs=5) if args.quick else Config()
    cfg.runs = args.runs or cfg.runs
    print(report(cfg, run(cfg)), flush=True)


if __name__ == "__main__":
    main()
