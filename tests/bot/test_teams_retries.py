"""``bot.teams.with_retries`` and ``RateLimiter``: which failures are retried, and pacing.

The failures are the SDK's own exception objects, built the way msrest builds them.
"""

from __future__ import annotations

from typing import Any

import pytest
from msrest.exceptions import ClientRequestError, HttpOperationError
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ConnectTimeout, ReadTimeout, RetryError
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from bot.teams import DeliveryFailed, RateLimiter, RetryPolicy, Unreachable, with_retries


class _Response:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.headers = headers or {}
        self.reason = "test"
        self.text = ""

    def raise_for_status(self) -> None:
        return None


def http_error(status: int, headers: dict[str, str] | None = None) -> HttpOperationError:
    return HttpOperationError(lambda *_: None, _Response(status, headers))


def refused() -> ClientRequestError:
    cause = MaxRetryError(None, "/v3/conversations", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    return ClientRequestError("Error occurred in request.", RequestsConnectionError(cause))


def reset() -> ClientRequestError:
    cause = MaxRetryError(None, "/v3/conversations", ProtocolError("Connection aborted."))  # type: ignore[arg-type]
    return ClientRequestError("Error occurred in request.", RequestsConnectionError(cause))


def client_error(inner: Exception) -> ClientRequestError:
    return ClientRequestError("Error occurred in request.", inner)


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
    ("refused (update)", refused(), True),
    ("reset (update)", reset(), True),
    ("read timeout (update)", client_error(ReadTimeout()), True),
    ("SDK retries used up (update)", client_error(RetryError()), True),
    ("refused (send)", refused(), False),
    ("connect timeout (send)", client_error(ConnectTimeout()), False),
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
    ("read timeout", client_error(ReadTimeout())),
    ("SDK retries used up", client_error(RetryError())),
]


@pytest.mark.parametrize(("label", "failure"), MAYBE_DELIVERED, ids=[r[0] for r in MAYBE_DELIVERED])
async def test_a_send_that_may_have_arrived_is_never_sent_again(
    label: str, failure: Exception
) -> None:
    call = Calls(failure)
    with pytest.raises(DeliveryFailed) as caught:
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
    call = Calls(*(refused() for _ in range(10)))
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
