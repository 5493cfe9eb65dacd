"""Outbound calls to Teams (the Bot Connector) with pacing, bounded waits and safe retries.

``Teams`` sends and updates messages, opens 1:1 chats and reads a chat's roster through the
Agents SDK's ``ConnectorClient``, with an access token from the SDK's token provider (MSAL, or
none when running unauthenticated). One pooled HTTP connector is shared by every call, so calls
reuse connections instead of opening one each (the SDK's ``continue_conversation`` builds two
HTTP sessions and a user-token client per call, and cannot run unauthenticated).

Every attempt is bounded: ``ATTEMPT_TIMEOUT`` seconds from connecting to the last byte.
Throttling and transient answers (429, 412, 502, 504, and 500/503) are retried with exponential
backoff and full jitter, honouring ``Retry-After``; 403 (app not installed, or the bot blocked)
raises ``Unreachable`` at once; other failures raise ``DeliveryFailed``. A failure with no answer
is retried only when the request surely never reached Teams (no connection was made) or when the
call is idempotent (an update, a roster read, opening a 1:1 chat): a send that may have arrived is
never repeated blindly, so nobody gets a message twice; it raises ``OutcomeUnknown``. A send
answered 5xx is retried (Microsoft's guidance for transient errors), unless it is sent ``once``:
Teams may have delivered it before failing, so such a send (the live card, which must not exist
twice) raises ``OutcomeUnknown`` instead and the caller decides.

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

import aiohttp
from microsoft_agents.activity import Activity, ConversationParameters, ConversationReference
from microsoft_agents.hosting.core.connector.client import ConnectorClient

from bot.identity import ChatRef, display_name
from dialogs.conversation import Person

log = logging.getLogger("samtaleguide.teams")
T = TypeVar("T")
TokenSource = Callable[[], Awaitable[str]]

RETRY_STATUSES = {412, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 30.0
ATTEMPT_TIMEOUT = 10.0  # seconds for one request, connecting included
TENANT_LIMIT = 50.0  # requests a second per app per tenant (Teams' documented limit)
# Pace a little under the limit: at exactly 50/s, timing jitter between here and Teams puts 51
# requests in some one-second window and draws 429s (measured in bench/prompt_fanout.py).
TENANT_RATE = 0.9 * TENANT_LIMIT
TENANT_BURST = 1
ROSTER_PAGE = 100
ROSTER_LIMIT = 1000


class TokenUnavailable(Exception):
    """No access token for the Bot Connector (Entra ID refused or is unreachable): nothing was
    sent."""


class DeliveryFailed(Exception):
    def __init__(self, status: int | None, message: str = "") -> None:
        super().__init__(message or f"delivery failed ({status})")
        self.status = status


class Unreachable(DeliveryFailed):
    """Teams refused to reach this person (403: app not installed for them, or bot blocked)."""


class OutcomeUnknown(DeliveryFailed):
    """A send got no answer after it may have reached Teams: it may or may not have arrived."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base: float = 0.25
    cap: float = 8.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


def _retry_after(error: aiohttp.ClientResponseError) -> float | None:
    value = error.headers.get("Retry-After") if error.headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    *,
    idempotent: bool = True,
    once: bool = False,
) -> T:
    """Run ``call`` until it succeeds, retrying what may be retried without a duplicate."""
    for attempt in range(policy.attempts):
        last = attempt == policy.attempts - 1
        try:
            return await call()
        except aiohttp.ClientResponseError as error:
            if error.status == 403:
                raise Unreachable(403) from None
            if error.status >= 500 and once:
                # Teams may have delivered it before failing: not sent blindly again.
                raise OutcomeUnknown(error.status) from None
            if error.status not in RETRY_STATUSES or last:
                raise DeliveryFailed(error.status) from None
            log.info("connector answered %s; retrying", error.status)
            await sleep(policy.delay(attempt, _retry_after(error)))
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, TokenUnavailable):
            # No connection was made (or no token to make it with): it never arrived.
            if last:
                raise DeliveryFailed(None) from None
            log.info("connector unreachable; retrying")
            await sleep(policy.delay(attempt, None))
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            # No answer (a reset, a timeout) or an unreadable one: it may have arrived.
            if not idempotent:
                raise OutcomeUnknown(None, type(error).__name__) from None
            if last:
                raise DeliveryFailed(None) from None
            log.info("connector request failed without an answer; retrying")
            await sleep(policy.delay(attempt, None))
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
    """Proactive sends, updates, 1:1 chats and rosters, each paced per tenant and retried per
    ``policy``. ``tokens`` gives the bearer token for the Bot Connector ("" for none)."""

    def __init__(
        self,
        tokens: TokenSource,
        policy: RetryPolicy | None = None,
        *,
        app_id: str = "",
        rate: float | None = TENANT_RATE,
        burst: int = TENANT_BURST,
        timeout: float = ATTEMPT_TIMEOUT,
    ) -> None:
        self._tokens = tokens
        self._app_id = app_id
        self.policy = policy or RetryPolicy()
        self.rate = rate
        self.burst = burst
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._limiters: dict[str, RateLimiter] = {}
        self._pool: aiohttp.TCPConnector | None = None
        self._clients: dict[tuple[str, str], ConnectorClient] = {}

    def limiter(self, tenant_id: str) -> RateLimiter:
        """The token bucket of one tenant (``""`` when the tenant is unknown)."""
        limiter = self._limiters.get(tenant_id)
        if limiter is None:
            limiter = self._limiters[tenant_id] = RateLimiter(self.rate, self.burst)
        return limiter

    async def _client(self, service_url: str) -> ConnectorClient:
        """The SDK's connector client for ``service_url`` with the current token, on the shared
        connection pool (a new one only when the token changed)."""
        token = await self._tokens()
        client = self._clients.get((service_url, token))
        if client is not None:
            return client
        stale = [self._clients.pop(k) for k in list(self._clients) if k[0] == service_url]
        if self._pool is None or self._pool.closed:
            self._pool = aiohttp.TCPConnector(limit=100, limit_per_host=50)
        base = service_url if service_url.endswith("/") else service_url + "/"
        session = aiohttp.ClientSession(
            base_url=base, connector=self._pool, connector_owner=False, timeout=self._timeout
        )
        client = self._clients[(service_url, token)] = ConnectorClient(base, token, session=session)
        for old in stale:  # a refreshed token: the old sessions go; the shared pool stays
            await old.close()
        return client

    def _addressed(self, chat: ChatRef, activity: Activity) -> Activity:
        """``activity`` from the bot to ``chat`` (conversation, sender, channel), as the SDK
        addresses a reply within a turn."""
        reference = ConversationReference.model_validate(
            {
                "channelId": chat.channel_id,
                "serviceUrl": chat.service_url,
                "bot": {"id": chat.bot_id or self._app_id},
                "conversation": {
                    "id": chat.conversation_id,
                    "isGroup": chat.is_group,
                    **({"tenantId": chat.tenant_id} if chat.tenant_id else {}),
                },
            }
        )
        return activity.apply_conversation_reference(reference)

    async def _paced(self, chat: ChatRef, work: Callable[[ConnectorClient], Awaitable[T]]) -> T:
        """One attempt of ``work``, after waiting for a token of the tenant's bucket."""
        await self.limiter(chat.tenant_id).acquire()
        return await work(await self._client(chat.service_url))

    async def send(self, chat: ChatRef, activity: Activity, *, once: bool = False) -> str:
        """Post ``activity`` in ``chat``; the new message's id. ``once``: not even after a 5xx
        is it sent again (``OutcomeUnknown``)."""
        activity = self._addressed(chat, activity)

        async def work(client: ConnectorClient) -> str:
            response = await client.conversations.send_to_conversation(
                chat.conversation_id, activity
            )
            return response.id or ""

        return await with_retries(
            lambda: self._paced(chat, work), self.policy, idempotent=False, once=once
        )

    async def update(self, chat: ChatRef, activity_id: str, activity: Activity) -> None:
        """Replace message ``activity_id`` in ``chat`` with ``activity``."""
        activity = self._addressed(chat, activity)
        activity.id = activity_id

        async def work(client: ConnectorClient) -> None:
            await client.conversations.update_activity(chat.conversation_id, activity_id, activity)

        await with_retries(lambda: self._paced(chat, work), self.policy)

    async def open_personal_chat(self, home: ChatRef, user_id: str) -> ChatRef:
        """Create (or find: Teams answers with the existing one) the 1:1 chat with ``user_id``,
        passing the tenant id."""
        wire: dict[str, Any] = {
            "isGroup": False,
            "bot": {"id": home.bot_id or self._app_id},
            "members": [{"id": user_id}],
        }
        if home.tenant_id:
            wire.update(tenantId=home.tenant_id, channelData={"tenant": {"id": home.tenant_id}})
        params = ConversationParameters.model_validate(wire)

        async def work(client: ConnectorClient) -> str:
            created = await client.conversations.create_conversation(params)
            if not created.id:
                raise ValueError("no conversation id")
            return created.id

        conversation_id = await with_retries(lambda: self._paced(home, work), self.policy)
        return ChatRef(
            conversation_id=conversation_id,
            service_url=home.service_url,
            channel_id=home.channel_id,
            tenant_id=home.tenant_id,
            is_group=False,
            bot_id=home.bot_id,
        )

    async def members(self, chat: ChatRef) -> list[Person]:
        """Everyone in the chat, page by page until Teams gives no continuation token; no page
        is asked for once ``ROSTER_LIMIT`` people are read (so at most one page more)."""
        people: list[Person] = []
        token: str | None = None
        while len(people) < ROSTER_LIMIT:

            async def work(client: ConnectorClient, after: str | None = token) -> Any:
                return await client.conversations.get_conversation_paged_members(
                    chat.conversation_id, ROSTER_PAGE, after
                )

            page = await with_retries(lambda: self._paced(chat, work), self.policy)
            for member in page.members or []:
                name = display_name(member.name)  # cleaned and cut to 256, as on arrival
                people.append(Person(member.id, name, member.aad_object_id or ""))
            token = page.continuation_token
            if not token:
                break
        return people

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
        if self._pool is not None:
            await self._pool.close()
