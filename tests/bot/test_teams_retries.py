"""``bot.teams.with_retries`` and ``RateLimiter``: which failures are retried, and pacing.

The failures are aiohttp's own exception objects, as the Agents SDK's connector client raises
them (a refused connection is made for real against a closed port).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from bot.teams import (
    DeliveryFailed,
    OutcomeUnknown,
    RateLimiter,
    RetryPolicy,
    Unreachable,
    with_retries,
)

URL_ = URL("http://127.0.0.1:1/v3/conversations/19:x/activities")


def http_error(status: int, headers: dict[str, str] | None = None) -> aiohttp.ClientResponseError:
    info = aiohttp.RequestInfo(URL_, "POST", CIMultiDictProxy(CIMultiDict()), URL_)
    return aiohttp.ClientResponseError(
        info, (), status=status, message="test", headers=CIMultiDict(headers or {})
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def refused() -> aiohttp.ClientConnectorError:
    async def attempt() -> aiohttp.ClientConnectorError:
        async with aiohttp.ClientSession() as session:
            try:
                await session.get(f"http://127.0.0.1:{_closed_port()}/")
            except aiohttp.ClientConnectorError as error:
                return error
        raise AssertionError("the closed port answered")

    return asyncio.run(attempt())


REFUSED = refused()


def reset() -> aiohttp.ServerDisconnectedError:
    return aiohttp.ServerDisconnectedError()


def timed_out() -> TimeoutError:
    return aiohttp.ServerTimeoutError("read timeout")


class Calls:
    """A call that fails with ``failures`` in order, then answers "ok"."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.count = 0

    async def __call__(self) -> str:
        self.count += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


async def no_sleep(_: float) -> None:
    return None


POLICY = RetryPolicy(attempts=4)

RETRIED = [
    ("429", http_error(429), True),
    ("412", http_error(412), True),
    ("502", http_error(502), True),
    ("504", http_error(504), True),
    ("refused (update)", REFUSED, True),
    ("reset (update)", reset(), True),
    ("read timeout (update)", timed_out(), True),
    ("garbled answer (update)", aiohttp.ClientPayloadError("garbled"), True),
    ("refused (send)", REFUSED, False),
]


@pytest.mark.parametrize(("label", "failure", "idempotent"), RETRIED, ids=[r[0] for r in RETRIED])
async def test_transient_failures_are_retried(
    label: str, failure: Exception, idempotent: bool
) -> None:
    call = Calls(failure)
    assert await with_retries(call, POLICY, no_sleep, idempotent=idempotent) == "ok"
    assert call.count == 2


MAYBE_DELIVERED = [
    ("reset after sending", reset()),
    ("read timeout", timed_out()),
    ("garbled answer", aiohttp.ClientPayloadError("garbled")),
]


@pytest.mark.parametrize(("label", "failure"), MAYBE_DELIVERED, ids=[r[0] for r in MAYBE_DELIVERED])
async def test_a_send_that_may_have_arrived_is_never_sent_again(
    label: str, failure: Exception
) -> None:
    call = Calls(failure)
    with pytest.raises(OutcomeUnknown) as caught:
        await with_retries(call, POLICY, no_sleep, idempotent=False)
    assert call.count == 1 and caught.value.status is None


async def test_403_is_unreachable_at_once() -> None:
    call = Calls(http_error(403))
    with pytest.raises(Unreachable):
        await with_retries(call, POLICY, no_sleep)
    assert call.count == 1


async def test_other_statuses_fail_at_once() -> None:
    call = Calls(http_error(400))
    with pytest.raises(DeliveryFailed) as caught:
        await with_retries(call, POLICY, no_sleep)
    assert call.count == 1 and caught.value.status == 400


async def test_retries_stop_after_the_policys_attempts() -> None:
    call = Calls(*(http_error(503) for _ in range(10)))
    with pytest.raises(DeliveryFailed) as caught:
        await with_retries(call, POLICY, no_sleep)
    assert call.count == POLICY.attempts and caught.value.status == 503
    call = Calls(*(REFUSED for _ in range(10)))
    with pytest.raises(DeliveryFailed):
        await with_retries(call, POLICY, no_sleep)
    assert call.count == POLICY.attempts


async def test_retry_after_is_honoured_and_capped() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    call = Calls(http_error(429, {"Retry-After": "3"}), http_error(429, {"Retry-After": "3600"}))
    assert await with_retries(call, POLICY, sleep) == "ok"
    assert waits == [3.0, 30.0]


async def test_rate_limiter_spaces_requests_at_its_rate() -> None:
    now = [100.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    limiter = RateLimiter(10.0, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        await limiter.acquire()
    assert waits == pytest.approx([0.1, 0.2, 0.3])  # two from the burst, then 10 a second
    now[0] += 10.0  # a long pause refills at most ``burst`` tokens
    waits.clear()
    for _ in range(3):
        await limiter.acquire()
    assert waits == pytest.approx([0.1])


def test_rate_limiter_without_a_rate_never_waits() -> None:
    limiter: Any = RateLimiter(None)
    assert [limiter.reserve() for _ in range(100)] == [0.0] * 100


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_a_send_once_answered_5xx_is_not_sent_again(status: int) -> None:
    call = Calls(http_error(status))
    with pytest.raises(OutcomeUnknown) as caught:
        await with_retries(call, POLICY, no_sleep, idempotent=False, once=True)
    assert call.count == 1 and caught.value.status == status


async def test_a_send_once_throttled_is_sent_again() -> None:
    call = Calls(http_error(429))
    assert await with_retries(call, POLICY, no_sleep, idempotent=False, once=True) == "ok"
    assert call.count == 2
