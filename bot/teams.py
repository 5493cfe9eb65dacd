"""Outbound calls to Teams (the Bot Connector) with retries that respect Teams' limits.

``Teams`` sends, updates and opens 1:1 chats proactively through CloudAdapter, outside any user
turn. Throttling and transient answers (429, 412, 502, 504, and 500/503) are retried with
exponential backoff and full jitter, honouring ``Retry-After``; 403 (app not installed, or the bot
blocked) raises ``Unreachable`` at once; other failures raise ``DeliveryFailed``. A failed call
that is retried was not delivered, so a retry never delivers the same message twice.

Pacing: Teams allows about 50 requests a second per app per tenant. Every request ``Teams`` makes
(each attempt, retries included) first takes a token from its tenant's ``RateLimiter``, a token
bucket of ``rate`` tokens a second holding at most ``burst`` (default 45/s, 90 % of the limit, and
1); so a large fan-out runs just under the tenant's limit instead of hitting it and waiting out
429s. Waiting is first come, first served. The bucket is per process: with several instances,
give each its share of the limit.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError, HttpOperationError
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import ConnectTimeout
from urllib3.exceptions import MaxRetryError, NewConnectionError

from dialogs.conversation import ChatRef

log = logging.getLogger("samtaleguide.teams")
T = TypeVar("T")

RETRY_STATUSES = {412, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 30.0
TENANT_LIMIT = 50.0  # requests a second per app per tenant (Teams' documented limit)
# Pace a little under the limit: at exactly 50/s, timing jitter between here and Teams puts 51
# requests in some one-second window and draws 429s (measured in bench/prompt_fanout.py).
TENANT_RATE = 0.9 * TENANT_LIMIT
TENANT_BURST = 1


class DeliveryFailed(Exception):
    def __init__(self, status: int | None, message: str = "") -> None:
        super().__init__(message or f"delivery failed ({status})")
        self.status = status


class Unreachable(DeliveryFailed):
    """Teams refused to reach this person (403: app not installed for them, or bot blocked)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base: float = 0.25
    cap: float = 8.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


def _status(error: BaseException) -> tuple[int | None, float | None]:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", None) or {}
    retry_after = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        seconds = float(retry_after) if retry_after is not None else None
    except ValueError:
        seconds = None
    return status, seconds


def _never_reached(error: ClientRequestError) -> bool:
    """Whether a failed request surely never reached the connector (no connection was made)."""
    inner = getattr(error, "inner_exception", None)
    if isinstance(inner, ConnectTimeout):
        return True
    if isinstance(inner, RequestsConnectionError) and inner.args:
        cause = inner.args[0]
        reason = cause.reason if isinstance(cause, MaxRetryError) else cause
        return isinstance(reason, NewConnectionError)
    return False


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    *,
    idempotent: bool = True,
) -> T:
    """Run ``call`` until it succeeds, retrying what may be retried without a duplicate.

    A ``ClientRequestError`` (no HTTP status: connection refused or reset, a timeout, or the SDK's
    own retries of a 5xx used up) is retried for idempotent calls (update, create conversation);
    a send is retried only when no connection was made, since otherwise it may have arrived.
    """
    for attempt in range(policy.attempts):
        try:
            return await call()
        except ClientRequestError as error:
            if attempt == policy.attempts - 1 or not (idempotent or _never_reached(error)):
                raise DeliveryFailed(None) from None
            log.info("connector request failed without a status; retrying")
            await sleep(policy.delay(attempt, None))
        except HttpOperationError as error:
            status, retry_after = _status(error)
            if status == 403:
                raise Unreachable(403) from None
            if status not in RETRY_STATUSES or attempt == policy.attempts - 1:
                raise DeliveryFailed(status) from None
            log.info("connector answered %s; retrying", status)
            await sleep(policy.delay(attempt, retry_after))
    raise DeliveryFailed(None)  # pragma: no cover - the loop always returns or raises


class RateLimiter:
    """An async token bucket: ``rate`` tokens a second, at most ``burst`` saved up.

    ``acquire`` reserves the next free slot synchronously and then sleeps until it, so callers are
    served in the order they asked and the limiter is safe to share between tasks (and event
    loops) without a lock. ``rate=None`` (or 0) means no limit.
    """

    def __init__(
        self,
        rate: float | None,
        burst: int = TENANT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if rate is not None and rate < 0:
            raise ValueError("rate must be positive (or None for no limit)")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = rate or None
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()

    def reserve(self) -> float:
        """Take a token now, possibly one not refilled yet: the seconds to wait before using it."""
        if self.rate is None:
            return 0.0
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)


class Teams:
    """Proactive sends, updates and 1:1 chats, each paced per tenant and retried per ``policy``.

    ``rate`` (requests a second, per tenant; ``None`` for no pacing) and ``burst`` configure the
    per-tenant ``RateLimiter`` every request waits on.
    """

    def __init__(
        self,
        adapter: BotAdapter,
        app_id: str,
        policy: RetryPolicy | None = None,
        *,
        rate: float | None = TENANT_RATE,
        burst: int = TENANT_BURST,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self.policy = policy or RetryPolicy()
        self.rate = rate
        self.burst = burst
        self._limiters: dict[str, RateLimiter] = {}

    def limiter(self, tenant_id: str) -> RateLimiter:
        """The token bucket of one tenant (``""`` when the tenant is unknown)."""
        limiter = self._limiters.get(tenant_id)
        if limiter is None:
            limiter = self._limiters[tenant_id] = RateLimiter(self.rate, self.burst)
        return limiter

    async def _paced(self, tenant_id: str, call: Callable[[], Awaitable[T]]) -> T:
        """One attempt of ``call``, after waiting for a token of the tenant's bucket."""
        await self.limiter(tenant_id).acquire()
        return await call()

    def _reference(self, chat: ChatRef) -> ConversationReference:
        return ConversationReference(
            channel_id=chat.channel_id,
            service_url=chat.service_url,
            bot=ChannelAccount(id=chat.bot_id or self._app_id),
            conversation=ConversationAccount(
                id=chat.conversation_id, is_group=chat.is_group, tenant_id=chat.tenant_id or None
            ),
        )

    async def _in_chat(self, chat: ChatRef, work: Callable[[TurnContext], Awaitable[T]]) -> T:
        """Run ``work`` in a proactive turn; its errors are re-raised here, not swallowed."""
        outcome: dict[str, Any] = {}

        async def callback(context: TurnContext) -> None:
            context.activity.id = None  # a new message, not a reply to the synthetic event
            try:
                outcome["value"] = await work(context)
            except BaseException as error:
                outcome["error"] = error

        await self._adapter.continue_conversation(self._reference(chat), callback, self._app_id)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    async def send(self, chat: ChatRef, activity: Activity) -> str:
        async def once() -> str:
            async def work(context: TurnContext) -> str:
                response = await context.send_activity(activity)
                return response.id if response else ""

            return await self._paced(chat.tenant_id, lambda: self._in_chat(chat, work))

        return await with_retries(once, self.policy, idempotent=False)

    async def update(self, chat: ChatRef, activity_id: str, activity: Activity) -> None:
        activity.id = activity_id

        async def once() -> None:
            async def work(context: TurnContext) -> None:
                activity.conversation = context.activity.conversation
                await context.update_activity(activity)

            await self._paced(chat.tenant_id, lambda: self._in_chat(chat, work))

        await with_retries(once, self.policy)

    async def open_personal_chat(self, home: ChatRef, user_id: str) -> ChatRef:
        """Create (or find) the 1:1 chat with ``user_id``, passing the tenant id."""
        params = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=home.bot_id or self._app_id),
            members=[ChannelAccount(id=user_id)],
            tenant_id=home.tenant_id or None,
            channel_data={"tenant": {"id": home.tenant_id}} if home.tenant_id else None,
        )
        created: dict[str, str] = {}

        async def capture(context: TurnContext) -> None:
            created["id"] = context.activity.conversation.id

        async def once() -> None:
            await self._paced(
                home.tenant_id,
                lambda: self._adapter.create_conversation(
                    self._app_id, capture, params, home.channel_id, home.service_url, None
                ),
            )

        await with_retries(once, self.policy)
        return ChatRef(
            conversation_id=created["id"],
            service_url=home.service_url,
            channel_id=home.channel_id,
            tenant_id=home.tenant_id,
            is_group=False,
            bot_id=home.bot_id,
        )
