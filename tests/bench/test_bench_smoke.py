"""Every benchmark runs end to end in a tiny configuration and reports its numbers.

No timing assertions here (those belong in the benchmarks and docs/benchmarks.md); only that each
benchmark completes, cleans up and prints a ``RESULT`` line with numbers. Also the two pieces
the fan-out benchmark relies on: the stand-in's opt-in per-tenant limit and ``bot.teams``'
per-tenant token bucket.
"""

from __future__ import annotations

import math
import re
from typing import Any

import aiohttp
import pytest
from microsoft_agents.activity import Activity, ConversationParameters
from microsoft_agents.hosting.core.connector.client import ConnectorClient

from bench import (
    concurrent_agreements,
    live_press_latency,
    memory,
    plan_generation,
    prompt_fanout,
    year_overview,
)
from bench.common import latency_ms, percentile, table
from bot.teams import RateLimiter, Teams
from tests.support.connector import ConnectorStandIn

RESULT = re.compile(r"^RESULT (\w+) (.+)$", re.MULTILINE)


def result_of(text: str, name: str) -> dict[str, str]:
    match = RESULT.search(text)
    assert match and match.group(1) == name, text
    return dict(part.split("=", 1) for part in match.group(2).split())


def number(values: dict[str, str], name: str) -> float:
    value = float(values[name])
    assert math.isfinite(value), (name, values)
    return value


@pytest.mark.parametrize("teams_delay", [0.0, 1.0], ids=["Teams quick", "Teams slow"])
async def test_live_press_latency(azurite: Any, teams_delay: float) -> None:
    cfg = live_press_latency.Config(meetings=2, size=3, rounds=1, warmup=0, teams_delay=teams_delay)
    outcome = await live_press_latency.run(cfg, azurite)
    assert outcome.errors == 0
    assert outcome.notes_stored == outcome.notes_expected > 0
    values = result_of(live_press_latency.report(cfg, outcome), "live_press_latency")
    assert number(values, "presses") == 6
    for name in ("app_p50_ms", "app_p99_ms", "echo_p50_ms", "p50_ratio"):
        assert number(values, name) > 0


async def test_concurrent_agreements(azurite: Any) -> None:
    cfg = concurrent_agreements.Config(adds=6, size=4, settle=0.1, ceiling=3)
    result = await concurrent_agreements.run(cfg, azurite)
    assert result.grouped.exactly_once and result.ungrouped.exactly_once, result
    values = result_of(concurrent_agreements.report(cfg, result), "concurrent_agreements")
    assert number(values, "kept_exactly_once") == 6
    assert number(values, "off_kept_exactly_once") == 6
    assert number(values, "ceiling_per_s") > 0
    assert number(values, "adds_per_s") > 0 and number(values, "p99_ms") > 0


async def test_prompt_fanout(azurite: Any) -> None:
    cfg = prompt_fanout.Config(grus=2, size=4)
    outcome = await prompt_fanout.run(cfg, azurite)
    assert outcome.no_duplicates and outcome.prompts == 8
    values = result_of(prompt_fanout.report(cfg, outcome), "prompt_fanout")
    assert number(values, "requests") >= 2 * 8
    assert number(values, "seconds") > 0 and number(values, "ratio") > 0


async def test_year_overview(azurite: Any) -> None:
    cfg = year_overview.Config(
        conversations=60, leader_conversations=40, samples=2, warmup=1, leaders=5, workplaces=3
    )
    outcome = await year_overview.run(cfg, azurite)
    assert outcome.errors == 0 and outcome.shown == 12  # the card's first part
    values = result_of(year_overview.report(cfg, outcome), "year_overview")
    for name in ("list_p50_ms", "load_p50_ms", "ratio", "reindex_s", "seed_s"):
        assert number(values, name) > 0


def test_plan_generation() -> None:
    cfg = plan_generation.Config(runs=2, warmup=0)
    values = result_of(plan_generation.report(cfg, plan_generation.run(cfg)), "plan_generation")
    assert number(values, "median_ms") > 0 and number(values, "docx_kb") > 0


async def test_memory() -> None:
    cfg = memory.Config(conversations=6, passes=1, settle=0.0)
    outcome = await memory.run(cfg)
    assert outcome.errors == 0
    values = result_of(memory.report(cfg, outcome), "memory")
    assert number(values, "rss_pass1_mb") > 0 and number(values, "peak_mb") > 0


def test_reporting_helpers() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert math.isnan(percentile([], 50))
    assert latency_ms([0.001, 0.002])["max"] == pytest.approx(2.0)
    assert table(["a", "b"], [["x", 1.25]]).splitlines()[-1] == "x  1.2"


# ---------------------------------------------------------------------------- pacing pieces


async def test_the_stand_in_limits_requests_per_tenant() -> None:
    async with ConnectorStandIn(tenant_rate_limit=(3, 1.0)) as limited:
        client = ConnectorClient(limited.service_url, "")

        def params(user_id: str, tenant: str) -> ConversationParameters:
            return ConversationParameters.model_validate(
                {"isGroup": False, "members": [{"id": user_id}], "tenantId": tenant}
            )

        try:
            created = await client.conversations.create_conversation(params("29:a", "t-1"))
            assert created.id
            await client.conversations.send_to_conversation(
                created.id, Activity(type="message", text="one")
            )
            await client.conversations.create_conversation(params("29:b", "t-1"))
            with pytest.raises(aiohttp.ClientResponseError) as throttled:
                await client.conversations.send_to_conversation(
                    created.id, Activity(type="message", text="two")
                )
            assert throttled.value.status == 429
            assert int((throttled.value.headers or {})["Retry-After"]) >= 1
            await client.conversations.create_conversation(params("29:c", "t-2"))  # other tenant
        finally:
            await client.close()
    assert limited.tenant_requests == {"t-1": 3, "t-2": 1}
    assert [a["text"] for a in limited.activities(created.id)] == ["one"]


async def test_the_stand_in_has_no_tenant_limit_by_default(connector_stand_in: Any) -> None:
    client = ConnectorClient(connector_stand_in.service_url, "")
    try:
        for n in range(60):
            await client.conversations.send_to_conversation(
                f"19:c{n}@thread.v2", Activity(type="message", text=str(n))
            )
    finally:
        await client.close()
    assert len(connector_stand_in.activities()) == 60
    assert connector_stand_in.tenant_requests == {}


@pytest.fixture
async def connector_stand_in() -> Any:
    async with ConnectorStandIn() as stand_in:
        yield stand_in


async def test_the_rate_limiter_spaces_requests_first_come_first_served() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    limiter = RateLimiter(10.0, burst=2, clock=lambda: now[0], sleep=sleep)
    assert [limiter.reserve() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.1, 0.2])
    now[0] = 1.0  # a second later the bucket is full again, never fuller than the burst
    assert [limiter.reserve() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.1])
    await limiter.acquire()
    assert slept == pytest.approx([0.2])
    unlimited = RateLimiter(None)
    assert [unlimited.reserve() for _ in range(100)] == [0.0] * 100
    with pytest.raises(ValueError):
        RateLimiter(10.0, burst=0)


async def no_token() -> str:
    return ""


def test_teams_paces_each_tenant_separately() -> None:
    teams = Teams(no_token, rate=20.0, burst=1)
    assert teams.limiter("t-1") is teams.limiter("t-1")
    waits = [teams.limiter("t-1").reserve() for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.05, 0.10, 0.15, 0.20], abs=0.02)
    assert teams.limiter("t-2").reserve() == 0.0  # another tenant has its own bucket
    default = Teams(no_token)
    assert default.limiter("t").rate == pytest.approx(45.0)
    assert Teams(no_token, rate=None).limiter("t").reserve() == 0.0
