"""A local stand-in for the Bot Connector v3 REST API, so app tests never patch the SDK.

Tests post activities to the real aiohttp app with ``serviceUrl`` set to
``ConnectorStandIn.service_url``; the Microsoft 365 Agents SDK's own clients (the app's
``ConnectorClient``, and the ``TeamsConnectorClient`` the ``CloudAdapter`` gives each turn) then
talk HTTP to this server, which answers like the Bot Connector (Teams flavour) and records
everything.

Contract
--------
* ``async with ConnectorStandIn() as connector:`` (or ``await start()`` / ``await stop()``)
  serves on 127.0.0.1 with an ephemeral port; ``service_url`` is ``"http://127.0.0.1:PORT/"``.
* Endpoints (paths exactly as the Agents SDK's ``ConnectorClient`` builds them). Path segments
  are URL-decoded, so ids such as ``19:x@thread.v2;messageid=1`` work whether they arrive as they
  are (the Agents SDK) or percent-encoded (botbuilder); the fixed segments (``v3``,
  ``conversations``, ``activities``, ``members``, ``pagedmembers``) match case-insensitively, as
  ASP.NET routes do (``TeamsConnectorClient`` asks for ``pagedMembers``):

  - ``POST /v3/conversations`` (op ``create_conversation``): 200
    ``{"id", "serviceUrl"[, "activityId"]}``
  - ``POST /v3/conversations/{cid}/activities`` (``send``): 200 ``{"id": <new id>}``
  - ``POST /v3/conversations/{cid}/activities/{aid}`` (``reply``): 200 ``{"id": <new id>}``
  - ``PUT /v3/conversations/{cid}/activities/{aid}`` (``update``): 200 ``{"id": aid}``
  - ``DELETE /v3/conversations/{cid}/activities/{aid}`` (``delete``): 200, empty body
  - ``GET /v3/conversations/{cid}/pagedmembers?pageSize=&continuationToken=`` (``members``):
    200 ``{"members": [...], "continuationToken": ...}`` (no token on the last page)
  - ``GET /v3/conversations/{cid}/members`` (``members``): 200 ``[member, ...]``
  - ``GET /v3/conversations/{cid}/members/{mid}`` (``members``): 200 ``member``

  Anything else answers 404 ``{"error": {"code": "NotFound", ...}}`` (and is recorded, with
  ``op=None``). Every error body has the Bot Connector shape
  ``{"error": {"code": ..., "message": ...}}``.
* Every request is appended to ``requests`` (a ``RecordedRequest``) once it has been answered,
  in the order they were answered, including injected failures and 404s.
* Activity ids are unique and increasing (numerically and as strings: 13 digits, like Teams
  message ids). A send/reply/update needs a JSON object with a string ``type`` (else 400
  ``BadArgument``). Update of an id this stand-in never issued in that conversation (or has
  deleted) is 404. Replies are accepted to any ``aid`` (the user's message never passes here)
  and to any conversation id. Delete always answers 200.
* ``activities(conversation_id=None, op=None)`` lists the bodies of *successful* send, reply and
  update requests in order (op in ``{"send", "reply", "update"}``); an activity carried by a
  create-conversation call is listed as a ``"send"`` to the new conversation. ``sent`` holds the
  same as ``SentActivity`` records with the assigned ids; ``current_activity`` gives the latest
  version of a message (``None`` once deleted).
* Create conversation: a 1:1 (``isGroup`` false) needs exactly one member and a tenant id
  (``tenantId`` — as the Agents SDK sends it; ``tenantID``, botbuilder's spelling, works too — or
  ``channelData.tenant.id``),
  else 400. A second 1:1 create for the same member and tenant returns the same conversation id,
  as Teams does. ``isGroup`` with ``channelData.channel.id`` and an ``activity`` starts a channel
  thread with id ``"{channel};messageid={activityId}"``; any other group create is 400 (bots
  cannot create group chats). Created conversations are in ``conversations``.
* Rosters: ``set_roster(cid, members, page_size=5)``. ``pagedmembers`` pages by
  ``min(pageSize query, page_size)``; the continuation token is opaque and absent on the last
  page. ``members/{mid}`` matches ``id``, ``aadObjectId`` or ``userPrincipalName`` (404
  ``MemberNotFoundInConversation`` otherwise). A conversation created here without a roster uses
  its creation members (filled in from any roster that knows them). Member calls for a
  conversation with neither answer 404 ``ConversationNotFound``.
* ``fail(op, status, times=1, *, match=None, headers=None, body=None)`` queues a failure; the
  first ``times`` requests of that op for which ``match(recorded_request)`` is true (``status`` is
  still 0 when ``match`` runs) get ``status`` with ``headers`` and ``body`` (default an error body)
  instead of being handled. Queued failures are checked before anything else, in the order
  they were queued. With ``deliver=True`` the request is carried out first and only then
  answered with the failure: a message Teams delivered and then answered 5xx for.
* ``slow(seconds, ops=None)``: every request of those ops (all, when ``None``) is answered
  ``seconds`` later (``slow(0)`` ends it); the request is handled when it arrives.
* ``block_user(user_id, status=403, code="MessageWritesBlocked")``: any create-conversation
  naming that member answers ``status``/``code`` until ``unblock_user``; so do send, reply and
  update in 1:1 conversations created here with that member.
* Activity bodies over ``max_activity_bytes`` (default 100 KiB, like Teams; ``None`` disables)
  answer 413 ``MessageSizeTooBig``.
* ``enforce_rate_limits=True`` (off by default) applies the Teams per-bot-per-thread limits to
  send/reply/update/delete per conversation — 7 per 1 s, 8 per 2 s, 60 per 30 s, 1800 per hour —
  answering 429 ``Throttled`` with an integer ``Retry-After``; throttled requests do not count.
* ``tenant_rate_limit=(requests, seconds)`` (``None``, the default, is off) applies a per-app
  per-tenant limit to every request of a known op (Teams: about 50 per second), e.g. ``(50, 1.0)``:
  a request that would be the ``requests``-th within ``seconds`` for its tenant answers 429
  ``Throttled`` with an integer ``Retry-After`` before anything else is done (after injected
  failures). Requests answered 429 by either limit do not count. A request's tenant is the one its
  body names (``tenantId``/``tenantID``, ``channelData.tenant.id`` or ``conversation.tenantId``),
  else the one learned for its conversation (created here, named in an earlier body, or on its
  roster's members), else ``""``. ``tenant_requests`` counts the requests that counted.
* ``await wait_for(predicate, timeout=5.0)`` polls ``predicate(connector)`` every 10 ms and raises
  ``AssertionError`` with ``summary()`` of recorded requests if it stays false.
* State changes happen under a lock in synchronous code, so concurrent asyncio requests (and
  calls from other threads) see consistent state.

Agents SDK (1.9.0) behaviour worth knowing when writing tests against this (pinned in
test_connector.py):

* It never retries: every call is exactly one request, whatever the method, the status (408,
  429, 5xx) or a ``Retry-After``, and a refused connection is not retried either. So every
  ``fail(...)`` reaches the app's own retry code (``bot/teams.py``), ``times=1`` included.
* Errors: an HTTP error is ``aiohttp.ClientResponseError`` with ``.status`` and ``.headers``
  (``Retry-After``); its ``.message`` is the response body (the JSON error text) for send, reply
  and update, and only the reason phrase (``"Service Unavailable"``) for delete, create and the
  member calls. A refused connection is ``aiohttp.ClientConnectorError``. The SDK's own sessions
  time out after 300 s (30 s to connect); with an app-supplied session a total timeout raises the
  built-in ``TimeoutError`` (not an ``aiohttp.ClientError``) and a read timeout
  ``aiohttp.SocketTimeoutError`` (both a ``ClientConnectionError`` and a ``TimeoutError``).
* ``ConnectorClient(endpoint, token, session=s)`` uses ``s``'s ``base_url`` and ignores
  ``endpoint`` (a session without one fails with ``InvalidUrlClientError``); it puts its headers
  on ``s`` (``Authorization: Bearer`` only for a token longer than one character, so ``""`` is
  anonymous) and ``close()`` closes ``s``, not a connector that ``s`` does not own.
* Ids go into the path unencoded (``a:1...``, ``19:...@thread.tacv2;messageid=...``); only what
  yarl must escape (a space) is encoded, so a ``?``, ``#`` or ``/`` in an id breaks the URL.
  Conversation ids are cut to 150 characters.
* Bodies are ``model_dump(by_alias=True, exclude_unset=True)``: camelCase names, only the
  fields that were set. ``ConversationParameters`` goes out with ``tenantId`` and ``bot``. An
  explicit ``None`` goes out as ``null`` in send and update but is dropped in a reply; update
  does not dump in JSON mode, so an activity with a ``timestamp`` makes ``update_activity``
  raise ``TypeError`` before any request.
* ``ConnectorClient``'s member calls give plain ``ChannelAccount`` objects (``aad_object_id``,
  ``tenant_id``; ``userPrincipalName`` and ``userRole`` only as camelCase ``model_extra``);
  ``TeamsConnectorClient`` gives ``TeamsChannelAccount`` objects and sends an empty
  ``continuationToken=`` for the first page, which is the first page here too.
* ``CloudAdapter.process_activity(ClaimsIdentity(), ...)`` and
  ``continue_conversation_with_claims(ClaimsIdentity(), ...)`` run unauthenticated (no
  ``Authorization`` header). ``continue_conversation(app_id, ...)`` and ``create_conversation``
  do not: they raise ``ValueError("Failed to obtain token for user token client")``;
  ``create_conversation`` only after its create request succeeded (the chat exists here, the
  callback never runs, and its connector client is left open). With any token both work.
* A continuation activity from ``ConversationReference.get_continuation_activity()`` has a
  random id, and a ``create_conversation`` turn has the created ``activityId`` (or a random id),
  so ``send_activity`` in such a callback is recorded as a ``"reply"`` to that id, not a
  ``"send"``; ``activities(conversation_id)`` without ``op`` covers both.
* The SDK's default ``on_turn_error`` posts ``"Exception caught : <error>"`` (with the connector's
  error body) into the chat; replace it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import itertools
import json
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import web

OPS = frozenset({"create_conversation", "send", "reply", "update", "delete", "members"})
ACTIVITY_OPS = frozenset({"send", "reply", "update"})
DEFAULT_MAX_ACTIVITY_BYTES = 100 * 1024
# (requests, seconds) per bot per conversation, from Microsoft's Teams rate-limit documentation.
RATE_LIMITS: tuple[tuple[int, float], ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))
_THROTTLED_OPS = frozenset({"send", "reply", "update", "delete"})
_FIRST_ACTIVITY_ID = 1_700_000_000_000
_DEFAULT_CODES = {
    400: "BadArgument",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    408: "RequestTimeout",
    412: "PreconditionFailed",
    413: "MessageSizeTooBig",
    429: "Throttled",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}

Json = Any


@dataclass
class RecordedRequest:
    """One request as received, with the status it was answered with."""

    method: str
    path: str  # URL-decoded path, e.g. "/v3/conversations/a:1x/activities"
    query: dict[str, str]
    json: Json  # parsed JSON body, or None (no body or not JSON)
    headers: dict[str, str]  # as sent; use header() for a case-insensitive look-up
    status: int = 0  # 0 while being handled (e.g. inside a fail(match=...) predicate)
    op: str | None = None  # one of OPS, or None for an unknown endpoint
    conversation_id: str | None = None
    activity_id: str | None = None  # the {aid} in the path (reply/update/delete)
    member_id: str | None = None  # the {mid} in the path
    response: Json = None  # the JSON body answered (None for an empty body)
    injected: bool = False  # answered by a fail(...) injection

    def header(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default


@dataclass(frozen=True)
class SentActivity:
    """A successful send, reply or update, with the activity id the connector assigned."""

    op: str  # "send" | "reply" | "update"
    conversation_id: str
    activity_id: str  # new id for send/reply, the updated id for update
    body: dict[str, Any]
    reply_to_id: str | None = None  # the {aid} a reply was posted to


@dataclass
class _Failure:
    op: str
    status: int
    remaining: int
    match: Callable[[RecordedRequest], bool] | None
    headers: dict[str, str]
    body: Json
    deliver: bool = False


@dataclass
class _Roster:
    members: list[dict[str, Any]]
    page_size: int


@dataclass
class _Answer:
    status: int
    body: Json = None
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> _Answer:
    return _Answer(status, {"error": {"code": code, "message": message}}, dict(headers or {}))


def _tenant_of(body: dict[str, Any]) -> str | None:
    for key, value in body.items():
        if key.lower() == "tenantid" and isinstance(value, str) and value:
            return value
    channel_data = body.get("channelData")
    if isinstance(channel_data, dict):
        tenant = channel_data.get("tenant")
        if isinstance(tenant, dict) and isinstance(tenant.get("id"), str) and tenant["id"]:
            return tenant["id"]
    return None


def _describe(body: Json) -> str:
    if not isinstance(body, dict):
        return ""
    parts = []
    if body.get("type"):
        parts.append(str(body["type"]))
    text = body.get("text")
    if isinstance(text, str) and text:
        parts.append(repr(text if len(text) <= 60 else text[:57] + "..."))
    attachments = body.get("attachments")
    if isinstance(attachments, list) and attachments:
        kinds = [str(a.get("contentType")) for a in attachments if isinstance(a, dict)]
        parts.append("attachments=" + ",".join(kinds))
    if isinstance(body.get("error"), dict):
        parts.append(str(body["error"].get("code")))
    return " ".join(parts)


class ConnectorStandIn:
    """A Bot Connector v3 server on 127.0.0.1 that records what the bot sends (see module doc)."""

    def __init__(
        self,
        *,
        max_activity_bytes: int | None = DEFAULT_MAX_ACTIVITY_BYTES,
        enforce_rate_limits: bool = False,
        tenant_rate_limit: tuple[int, float] | None = None,
    ) -> None:
        if tenant_rate_limit is not None and (
            tenant_rate_limit[0] < 1 or tenant_rate_limit[1] <= 0
        ):
            raise ValueError("tenant_rate_limit must be (requests >= 1, seconds > 0)")
        self.max_activity_bytes = max_activity_bytes
        self.enforce_rate_limits = enforce_rate_limits
        self.tenant_rate_limit = tenant_rate_limit
        self.tenant_requests: dict[str, int] = {}
        self._tenant_writes: dict[str, deque[float]] = {}
        self._tenant_of_conversation: dict[str, str] = {}
        self.requests: list[RecordedRequest] = []
        self.sent: list[SentActivity] = []
        self.conversations: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()
        self._activity_numbers = itertools.count(_FIRST_ACTIVITY_ID)
        self._messages: dict[str, dict[str, dict[str, Any] | None]] = {}
        self._rosters: dict[str, _Roster] = {}
        self._failures: list[_Failure] = []
        self._blocked: dict[str, tuple[int, str]] = {}
        self._one_to_one: dict[tuple[str, str], str] = {}
        self._writes: dict[str, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self._service_url: str | None = None
        self._latency: dict[str | None, float] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> str:
        if self._runner is not None:
            raise RuntimeError("ConnectorStandIn already started")
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._service_url = f"http://{host}:{port}/"
        return self._service_url

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> ConnectorStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def service_url(self) -> str:
        if self._service_url is None:
            raise RuntimeError("ConnectorStandIn not started")
        return self._service_url

    # ------------------------------------------------------------------ set-up for tests

    def set_roster(
        self, conversation_id: str, members: list[dict[str, Any]], page_size: int = 5
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        for member in members:
            if not isinstance(member, dict) or not isinstance(member.get("id"), str):
                raise ValueError(f"a roster member needs a string 'id': {member!r}")
        with self._lock:
            self._rosters[conversation_id] = _Roster(copy.deepcopy(members), page_size)

    def fail(
        self,
        op: str,
        status: int,
        times: int = 1,
        *,
        match: Callable[[RecordedRequest], bool] | None = None,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        deliver: bool = False,
    ) -> None:
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}; expected one of {sorted(OPS)}")
        if not 100 <= status <= 599:
            raise ValueError(f"not an HTTP status: {status}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if body is None:
            code = _DEFAULT_CODES.get(status, "Error")
            body = {"error": {"code": code, "message": f"Injected failure ({status}) for {op}"}}
        with self._lock:
            self._failures.append(
                _Failure(op, status, times, match, dict(headers or {}), body, deliver)
            )

    def slow(self, seconds: float, ops: Iterable[str] | None = None) -> None:
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._lock:
            if ops is None:
                self._latency = {None: seconds} if seconds else {}
                return
            for op in ops:
                if op not in OPS:
                    raise ValueError(f"unknown op {op!r}; expected one of {sorted(OPS)}")
                self._latency[op] = seconds

    def pending_failures(self) -> list[tuple[str, int, int]]:
        """(op, status, remaining) of injected failures not yet used up."""
        with self._lock:
            return [(f.op, f.status, f.remaining) for f in self._failures if f.remaining > 0]

    def block_user(
        self, user_id: str, status: int = 403, code: str = "MessageWritesBlocked"
    ) -> None:
        with self._lock:
            self._blocked[user_id] = (status, code)

    def unblock_user(self, user_id: str) -> None:
        with self._lock:
            self._blocked.pop(user_id, None)

    # ------------------------------------------------------------------ inspection

    def activities(self, conversation_id: str | None = None, op: str | None = None) -> list[dict]:
        if op is not None and op not in ACTIVITY_OPS:
            raise ValueError(f"op must be one of {sorted(ACTIVITY_OPS)}, not {op!r}")
        with self._lock:
            return [
                s.body
                for s in self.sent
                if (conversation_id is None or s.conversation_id == conversation_id)
                and (op is None or s.op == op)
            ]

    def current_activity(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        """The latest body of a message sent here (after updates); None if deleted or unknown."""
        with self._lock:
            return self._messages.get(conversation_id, {}).get(activity_id)

    def summary(self) -> str:
        with self._lock:
            lines = [f"{len(self.requests)} request(s) recorded by the connector stand-in:"]
            for number, rec in enumerate(self.requests, 1):
                query = (
                    "?" + "&".join(f"{k}={v}" for k, v in rec.query.items()) if rec.query else ""
                )
                tag = " (injected)" if rec.injected else ""
                detail = _describe(rec.json) or _describe(rec.response)
                lines.append(
                    f"  {number}. {rec.method} {rec.path}{query} -> {rec.status}{tag} {detail}"
                )
            pending = self.pending_failures()
            if pending:
                lines.append(f"  pending injected failures (op, status, remaining): {pending}")
            return "\n".join(lines).rstrip()

    async def wait_for(
        self,
        predicate: Callable[[ConnectorStandIn], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the polling contract
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            if loop.time() >= deadline:
                name = getattr(predicate, "__name__", repr(predicate))
                raise AssertionError(
                    f"connector stand-in: {name} still false after {timeout} s\n{self.summary()}"
                )
            await asyncio.sleep(0.01)

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        parsed: Json = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        rec = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            json=parsed,
            headers=dict(request.headers),
        )
        self._route(rec, request.raw_path)
        with self._lock:
            try:
                answer = self._dispatch(rec, len(raw))
            except Exception as error:  # a bug here must show up in the test, not hang it
                answer = _error(500, "StandInError", f"{type(error).__name__}: {error}")
            rec.status = answer.status
            rec.response = answer.body
            self.requests.append(rec)
            delay = self._latency.get(rec.op, self._latency.get(None, 0.0))
        if delay:
            await asyncio.sleep(delay)
        if answer.body is None:
            return web.Response(status=answer.status, headers=answer.headers)
        return web.json_response(answer.body, status=answer.status, headers=answer.headers)

    @staticmethod
    def _route(rec: RecordedRequest, raw_path: str) -> None:
        segments = [unquote(s) for s in raw_path.split("?", 1)[0].lstrip("/").split("/")]
        # The fixed segments match case-insensitively, as ASP.NET routes do: the SDK's
        # TeamsConnectorClient asks for ``pagedMembers``, its ConnectorClient for ``pagedmembers``.
        if len(segments) < 2 or [s.lower() for s in segments[:2]] != ["v3", "conversations"]:
            return
        rest = segments[2:]
        kind = rest[1].lower() if len(rest) > 1 else None
        method = rec.method
        if not rest:
            if method == "POST":
                rec.op = "create_conversation"
            return
        rec.conversation_id = cid = rest[0]
        if not cid:
            return
        if len(rest) == 2 and kind == "activities" and method == "POST":
            rec.op = "send"
        elif len(rest) == 3 and kind == "activities" and rest[2] and rest[2].lower() != "history":
            rec.activity_id = rest[2]
            rec.op = {"POST": "reply", "PUT": "update", "DELETE": "delete"}.get(method)
        elif len(rest) == 2 and kind in ("pagedmembers", "members") and method == "GET":
            rec.op = "members"
        elif len(rest) == 3 and kind == "members" and rest[2] and method == "GET":
            rec.member_id = rest[2]
            rec.op = "members"

    def _dispatch(self, rec: RecordedRequest, size: int) -> _Answer:
        if rec.op is None:
            return _error(
                404, "NotFound", f"No such Bot Connector endpoint: {rec.method} {rec.path}"
            )
        for failure in self._failures:
            if (
                failure.remaining > 0
                and failure.op == rec.op
                and (failure.match is None or failure.match(rec))
            ):
                failure.remaining -= 1
                rec.injected = True
                if failure.deliver:
                    self._operation(rec, size)
                return _Answer(failure.status, copy.deepcopy(failure.body), failure.headers)
        if self.tenant_rate_limit is None:
            return self._operation(rec, size)
        tenant = self._request_tenant(rec)
        now = time.monotonic()
        throttled = self._tenant_throttle(tenant, now)
        if throttled:
            return throttled
        answer = self._operation(rec, size)
        if answer.status != 429:
            self._tenant_writes.setdefault(tenant, deque()).append(now)
            self.tenant_requests[tenant] = self.tenant_requests.get(tenant, 0) + 1
        if rec.conversation_id and tenant:
            self._tenant_of_conversation.setdefault(rec.conversation_id, tenant)
        return answer

    def _operation(self, rec: RecordedRequest, size: int) -> _Answer:
        if rec.op == "create_conversation":
            return self._create_conversation(rec, size)
        if rec.op == "members":
            return self._members(rec)
        assert rec.conversation_id is not None
        cid = rec.conversation_id
        if rec.op != "delete":
            refusal = self._blocked_answer(self._members_of_created(cid)) or self._check_activity(
                rec.json, size
            )
            if refusal:
                return refusal
        if rec.op == "update":
            assert rec.activity_id is not None
            if self._messages.get(cid, {}).get(rec.activity_id) is None:
                return _error(
                    404, "NotFound", f"Activity {rec.activity_id} not found in conversation {cid}"
                )
        throttled = self._throttle(cid)
        if throttled:
            return throttled
        if rec.op == "delete":
            assert rec.activity_id is not None
            if rec.activity_id in self._messages.get(cid, {}):
                self._messages[cid][rec.activity_id] = None
            return _Answer(200)
        body: dict[str, Any] = rec.json
        if rec.op == "update":
            assert rec.activity_id is not None
            activity_id = rec.activity_id
        else:
            activity_id = self._new_activity_id()
        self._messages.setdefault(cid, {})[activity_id] = body
        reply_to = rec.activity_id if rec.op == "reply" else None
        assert rec.op is not None
        self.sent.append(SentActivity(rec.op, cid, activity_id, body, reply_to))
        return _Answer(200, {"id": activity_id})

    # ------------------------------------------------------------------ operations

    def _new_activity_id(self) -> str:
        return str(next(self._activity_numbers))

    def _check_activity(self, activity: Json, size: int) -> _Answer | None:
        if not isinstance(activity, dict) or not isinstance(activity.get("type"), str):
            return _error(400, "BadArgument", "The body must be an activity with a string 'type'")
        if self.max_activity_bytes is not None and size > self.max_activity_bytes:
            return _error(
                413,
                "MessageSizeTooBig",
                f"Activity of {size} bytes exceeds the limit of {self.max_activity_bytes} bytes",
            )
        return None

    def _blocked_answer(self, members: list[dict[str, Any]]) -> _Answer | None:
        for member in members:
            blocked = self._blocked.get(member.get("id", ""))
            if blocked:
                status, code = blocked
                return _error(status, code, f"The bot cannot write to user {member['id']}")
        return None

    def _members_of_created(self, conversation_id: str) -> list[dict[str, Any]]:
        conversation = self.conversations.get(conversation_id)
        if conversation is None or conversation["isGroup"]:
            return []
        return conversation["members"]

    def _throttle(self, conversation_id: str) -> _Answer | None:
        if not self.enforce_rate_limits:
            return None
        now = time.monotonic()
        stamps = self._writes.setdefault(conversation_id, deque())
        longest = max(span for _, span in RATE_LIMITS)
        while stamps and now - stamps[0] >= longest:
            stamps.popleft()
        wait = 0.0
        for limit, span in RATE_LIMITS:
            recent = [t for t in stamps if now - t < span]
            if len(recent) >= limit:
                wait = max(wait, recent[-limit] + span - now)
        if wait > 0:
            retry_after = str(max(1, math.ceil(wait)))
            return _error(
                429,
                "Throttled",
                f"Too many requests to conversation {conversation_id}",
                {"Retry-After": retry_after},
            )
        stamps.append(now)
        return None

    def _request_tenant(self, rec: RecordedRequest) -> str:
        body = rec.json if isinstance(rec.json, dict) else {}
        tenant = _tenant_of(body)
        conversation = body.get("conversation")
        if not tenant and isinstance(conversation, dict):
            named = conversation.get("tenantId")
            tenant = named if isinstance(named, str) and named else None
        cid = rec.conversation_id
        if not tenant and cid:
            tenant = self._tenant_of_conversation.get(cid)
            created = self.conversations.get(cid)
            if not tenant and created and created.get("tenantId"):
                tenant = created["tenantId"]
            roster = self._rosters.get(cid)
            if not tenant and roster:
                tenant = next(
                    (m["tenantId"] for m in roster.members if isinstance(m.get("tenantId"), str)),
                    None,
                )
        return tenant or ""

    def _tenant_throttle(self, tenant: str, now: float) -> _Answer | None:
        assert self.tenant_rate_limit is not None
        limit, span = self.tenant_rate_limit
        stamps = self._tenant_writes.setdefault(tenant, deque())
        while stamps and now - stamps[0] >= span:
            stamps.popleft()
        if len(stamps) < limit:
            return None
        wait = stamps[-limit] + span - now
        return _error(
            429,
            "Throttled",
            f"Too many requests for tenant {tenant!r}",
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )

    def _known_member(self, member: dict[str, Any]) -> dict[str, Any]:
        for roster in self._rosters.values():
            for known in roster.members:
                if known["id"] == member.get("id"):
                    return {**member, **copy.deepcopy(known)}
        return dict(member)

    def _create_conversation(self, rec: RecordedRequest, size: int) -> _Answer:
        body = rec.json
        if not isinstance(body, dict):
            return _error(400, "BadArgument", "The body must be ConversationParameters JSON")
        members = body.get("members") or []
        if not isinstance(members, list) or not all(
            isinstance(m, dict) and isinstance(m.get("id"), str) and m["id"] for m in members
        ):
            return _error(400, "BadArgument", "members must be channel accounts with an id")
        blocked = self._blocked_answer(members)
        if blocked:
            return blocked
        activity = body.get("activity")
        if activity is not None:
            refusal = self._check_activity(activity, size)
            if refusal:
                return refusal
        tenant = _tenant_of(body)
        is_group = bool(body.get("isGroup"))
        channel_data = body.get("channelData") if isinstance(body.get("channelData"), dict) else {}
        channel = channel_data.get("channel") if isinstance(channel_data, dict) else None
        channel_id = channel.get("id") if isinstance(channel, dict) else None

        activity_id = None
        if is_group:
            if not channel_id or activity is None:
                return _error(
                    400,
                    "BadArgument",
                    "Bots cannot create group chats; a group conversation needs "
                    "channelData.channel.id and an activity (a new channel thread)",
                )
            activity_id = self._new_activity_id()
            cid = f"{channel_id};messageid={activity_id}"
        else:
            if len(members) != 1:
                return _error(400, "BadArgument", "A 1:1 conversation needs exactly one member")
            if not tenant:
                return _error(400, "BadArgument", "Tenant ID is required (tenantId)")
            key = (tenant, members[0]["id"])
            cid = self._one_to_one.get(key) or f"a:1{uuid.uuid4().hex}"
            self._one_to_one[key] = cid
            if activity is not None:
                activity_id = self._new_activity_id()

        if cid not in self.conversations:
            self.conversations[cid] = {
                "members": [self._known_member(m) for m in members],
                "tenantId": tenant,
                "isGroup": is_group,
                "channelData": copy.deepcopy(channel_data),
            }
        answer: dict[str, Any] = {"id": cid, "serviceUrl": self._service_url}
        if activity_id is not None:
            assert isinstance(activity, dict)  # only an activity gets an id here
            self._messages.setdefault(cid, {})[activity_id] = activity
            self.sent.append(SentActivity("send", cid, activity_id, activity))
            answer["activityId"] = activity_id
        return _Answer(200, answer)

    def _members(self, rec: RecordedRequest) -> _Answer:
        cid = rec.conversation_id
        assert cid is not None
        roster = self._rosters.get(cid)
        if roster is None and cid in self.conversations:
            roster = _Roster(self.conversations[cid]["members"], 5)
        if roster is None:
            return _error(
                404,
                "ConversationNotFound",
                f"No roster for conversation {cid} (call set_roster on the stand-in)",
            )
        members = roster.members
        if rec.member_id is not None:
            for member in members:
                if rec.member_id in (
                    member.get("id"),
                    member.get("aadObjectId"),
                    member.get("userPrincipalName"),
                ):
                    return _Answer(200, copy.deepcopy(member))
            return _error(
                404,
                "MemberNotFoundInConversation",
                f"Member {rec.member_id} not found in conversation {cid}",
            )
        if not rec.path.lower().endswith("/pagedmembers"):
            return _Answer(200, copy.deepcopy(members))

        page_size = roster.page_size
        if "pageSize" in rec.query:
            try:
                asked = int(rec.query["pageSize"])
            except ValueError:
                return _error(400, "BadArgument", "pageSize must be an integer")
            if asked < 1:
                return _error(400, "BadArgument", "pageSize must be positive")
            page_size = min(page_size, asked)
        start = 0
        token = rec.query.get("continuationToken")
        if token:
            start_or_none = _read_token(token, cid)
            if start_or_none is None or start_or_none > len(members):
                return _error(400, "BadArgument", "Invalid continuation token")
            start = start_or_none
        end = start + page_size
        page: dict[str, Any] = {"members": copy.deepcopy(members[start:end])}
        if end < len(members):
            page["continuationToken"] = _make_token(end, cid)
        return _Answer(200, page)


def _make_token(offset: int, conversation_id: str) -> str:
    raw = json.dumps({"o": offset, "c": conversation_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, conversation_id: str) -> int | None:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(data, dict) or data.get("c") != conversation_id:
        return None
    offset = data.get("o")
    return offset if isinstance(offset, int) and offset >= 0 else None
