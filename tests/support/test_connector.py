"""The connector stand-in answers the Agents SDK's real clients like the Bot Connector would.

Everything here goes through the Microsoft 365 Agents SDK's own HTTP code (``ConnectorClient``,
``TeamsConnectorClient`` and the aiohttp ``CloudAdapter``), so a change in the paths, query
parameters, bodies or response shapes the SDK uses breaks these tests rather than the app tests
that rely on the stand-in. Tests named ``test_sdk_...`` pin what the SDK itself does against it
(no retries, ids put into the path as they are, serialisation, error types, timeouts, and which
adapter calls can run unauthenticated); the module docstring of ``connector.py`` sums them up.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any

import aiohttp
import pydantic
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from microsoft_agents.activity import Activity, ConversationParameters
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ActivityHandler, ConnectionManager, TurnContext
from microsoft_agents.hosting.core.authorization import (
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ClaimsIdentity,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.client import ConnectorClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from yarl import URL

from .connector import ConnectorStandIn, RecordedRequest

TENANT = "tenant-1"
BOT = "28:bot"
GROUP = "19:group-chat@thread.v2"
# Shaped like real Teams ids: a 1:1 chat, a channel thread and a user.
PERSONAL = "a:1xYz-AbC_dEf0123456789GhIjKlMnOpQrStUvWxYz-_0123456789aBcDeFgHiJkLmNoPqRsTuV"
THREAD = "19:7f3c0a1b2c3d4e5f@thread.tacv2;messageid=1700000000123"
USER = "29:1AbCdEfGhIjKlMnOpQrStUvWxYz-_0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ"


def member(n: int) -> dict[str, Any]:
    return {
        "id": f"29:user-{n}",
        "name": f"User {n}",
        "aadObjectId": f"aad-{n}",
        "userPrincipalName": f"user{n}@example.org",
        "tenantId": TENANT,
        "userRole": "user",
    }


@pytest.fixture
async def connector() -> AsyncIterator[ConnectorStandIn]:
    async with ConnectorStandIn() as stand_in:
        yield stand_in


@pytest.fixture
async def client(connector: ConnectorStandIn) -> AsyncIterator[ConnectorClient]:
    # An empty token is what the SDK uses unauthenticated: no Authorization header.
    connector_client = ConnectorClient(connector.service_url, "")
    try:
        yield connector_client
    finally:
        await connector_client.close()


def message(text: str, **wire: Any) -> Activity:
    """A message activity; ``wire`` takes Bot Framework (camelCase) field names."""
    return Activity.model_validate({"type": "message", "text": text, **wire})


def one_to_one(user_id: str, tenant: str | None = TENANT) -> ConversationParameters:
    wire: dict[str, Any] = {"isGroup": False, "bot": {"id": BOT}, "members": [{"id": user_id}]}
    if tenant:
        wire.update(tenantId=tenant, channelData={"tenant": {"id": tenant}})
    return ConversationParameters.model_validate(wire)


def error_code(error: aiohttp.ClientResponseError) -> str:
    """The Bot Connector error code, which send/reply/update errors carry as their message."""
    code: str = json.loads(error.message)["error"]["code"]
    return code


# ---------------------------------------------------------------------------- lifecycle


async def test_service_url_is_local_with_an_ephemeral_port() -> None:
    stand_in = ConnectorStandIn()
    with pytest.raises(RuntimeError):
        _ = stand_in.service_url
    url = await stand_in.start()
    try:
        assert url == stand_in.service_url
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        assert int(url.rstrip("/").rsplit(":", 1)[1]) > 0
    finally:
        await stand_in.stop()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(url + "v3/conversations/x/members")


# ---------------------------------------------------------------------------- activities


async def test_send_reply_update_delete_with_the_real_client(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    sent = await client.conversations.send_to_conversation(GROUP, message("first"))
    reply = await client.conversations.reply_to_activity(
        GROUP, "incoming-1", message("second", replyToId="incoming-1")
    )
    assert sent.id and reply.id and int(reply.id) > int(sent.id)
    assert reply.id > sent.id  # increasing as strings too

    updated = await client.conversations.update_activity(
        GROUP, sent.id, message("first, edited", id=sent.id)
    )
    assert updated.id == sent.id
    current = connector.current_activity(GROUP, sent.id)
    assert current is not None and current["text"] == "first, edited"

    await client.conversations.delete_activity(GROUP, reply.id)
    assert connector.current_activity(GROUP, reply.id) is None

    assert [a["text"] for a in connector.activities(GROUP)] == ["first", "second", "first, edited"]
    assert [a["text"] for a in connector.activities(op="send")] == ["first"]
    assert [a["text"] for a in connector.activities(GROUP, "reply")] == ["second"]
    assert [a["text"] for a in connector.activities(op="update")] == ["first, edited"]
    assert connector.activities("another conversation") == []
    assert connector.sent[1].reply_to_id == "incoming-1"
    assert connector.sent[1].activity_id == reply.id

    methods = [(r.method, r.op, r.status) for r in connector.requests]
    assert methods == [
        ("POST", "send", 200),
        ("POST", "reply", 200),
        ("PUT", "update", 200),
        ("DELETE", "delete", 200),
    ]
    first = connector.requests[0]
    assert first.path == f"/v3/conversations/{GROUP}/activities"
    assert first.conversation_id == GROUP
    assert first.json == {"type": "message", "text": "first"}  # only the fields that were set
    assert first.response == {"id": sent.id}
    assert (first.header("content-type") or "").startswith("application/json")
    assert (first.header("user-agent") or "").startswith("agents-sdk-py/")
    assert first.header("Authorization") is None
    assert connector.requests[1].activity_id == "incoming-1"
    # The session's default headers go on every request, bodiless DELETE included.
    assert connector.requests[3].header("content-type") == "application/json"

    with pytest.raises(ValueError):
        connector.activities(op="delete")


async def test_update_of_an_unknown_or_deleted_activity_is_404(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    with pytest.raises(aiohttp.ClientResponseError) as unknown:
        await client.conversations.update_activity(GROUP, "999", message("x", id="999"))
    assert unknown.value.status == 404
    assert error_code(unknown.value) == "NotFound"

    sent = await client.conversations.send_to_conversation("a:1other", message("x"))
    assert sent.id
    with pytest.raises(aiohttp.ClientResponseError) as elsewhere:  # ids are per conversation
        await client.conversations.update_activity(GROUP, sent.id, message("y", id=sent.id))
    assert elsewhere.value.status == 404

    await client.conversations.delete_activity("a:1other", sent.id)
    with pytest.raises(aiohttp.ClientResponseError) as deleted:
        await client.conversations.update_activity("a:1other", sent.id, message("y", id=sent.id))
    assert deleted.value.status == 404
    assert connector.activities(op="update") == []


async def test_a_body_without_an_activity_type_is_400(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    with pytest.raises(pydantic.ValidationError):  # the SDK's model insists on a type ...
        Activity.model_validate({"text": "no type"})
    untyped = Activity.model_construct(type=None, text="no type")  # ... so force one past it
    with pytest.raises(aiohttp.ClientResponseError) as error:
        await client.conversations.send_to_conversation(GROUP, untyped)
    assert error.value.status == 400
    assert error_code(error.value) == "BadArgument"
    assert connector.requests[-1].json == {"type": None, "text": "no type"}
    assert connector.activities() == []


async def test_an_activity_over_the_size_limit_is_413(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    with pytest.raises(aiohttp.ClientResponseError) as error:
        await client.conversations.send_to_conversation(GROUP, message("x" * 110_000))
    assert error.value.status == 413
    assert error_code(error.value) == "MessageSizeTooBig"
    await client.conversations.send_to_conversation(GROUP, message("x" * 90_000))
    assert len(connector.activities()) == 1


async def test_concurrent_sends_get_unique_increasing_ids(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    results = await asyncio.gather(
        *(client.conversations.send_to_conversation(GROUP, message(str(n))) for n in range(20))
    )
    ids = [r.id for r in results]
    assert len(set(ids)) == 20
    answered = [r.response["id"] for r in connector.requests]
    assert answered == sorted(answered, key=int) == sorted(answered)
    assert len(connector.activities(GROUP)) == 20


async def test_unknown_endpoints_are_404_and_recorded(connector: ConnectorStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(connector.service_url + "v3/teams/19:team/conversations") as resp:
            assert resp.status == 404
            body = await resp.json()
        async with session.post(
            connector.service_url + "v3/conversations/c/activities/history", json={}
        ) as history:
            assert history.status == 404
    assert body["error"]["code"] == "NotFound"
    assert body["error"]["message"]
    assert [(r.op, r.status, r.path) for r in connector.requests] == [
        (None, 404, "/v3/teams/19:team/conversations"),
        (None, 404, "/v3/conversations/c/activities/history"),
    ]


# ---------------------------------------------------------------------------- ids in the path


async def test_sdk_puts_ids_into_the_path_unencoded_and_the_stand_in_decodes_them(
    connector: ConnectorStandIn,
) -> None:
    """``ConnectorClient`` formats ids straight into the URL (botbuilder percent-encoded them):
    ``:``, ``@``, ``;`` and ``=`` go over the wire as they are. The stand-in decodes every path
    segment, so raw and percent-encoded ids reach the same conversation."""
    raw_paths: list[str] = []

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        raw_paths.append(params.url.raw_path)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    session = aiohttp.ClientSession(base_url=connector.service_url, trace_configs=[trace])
    traced = ConnectorClient(connector.service_url, "", session=session)
    try:
        sent = await traced.conversations.send_to_conversation(PERSONAL, message("1:1"))
        assert sent.id
        await traced.conversations.reply_to_activity(THREAD, "1700000000123", message("thread"))
        await traced.conversations.update_activity(PERSONAL, sent.id, message("v2", id=sent.id))
        connector.set_roster(PERSONAL, [{"id": USER, "name": "Someone"}])
        found = await traced.conversations.get_conversation_member(PERSONAL, USER)
        assert found.name == "Someone"
    finally:
        await traced.close()

    assert raw_paths == [
        f"/v3/conversations/{PERSONAL}/activities",
        f"/v3/conversations/{THREAD}/activities/1700000000123",
        f"/v3/conversations/{PERSONAL}/activities/{sent.id}",
        f"/v3/conversations/{PERSONAL}/members/{USER}",
    ]
    assert [(r.op, r.conversation_id) for r in connector.requests] == [
        ("send", PERSONAL),
        ("reply", THREAD),
        ("update", PERSONAL),
        ("members", PERSONAL),
    ]
    assert connector.requests[1].activity_id == "1700000000123"
    assert connector.requests[3].member_id == USER

    # botbuilder's percent-encoded form of the same thread id lands in the same conversation.
    encoded = THREAD.replace(":", "%3A").replace("@", "%40").replace(";", "%3B").replace("=", "%3D")
    url = f"{connector.service_url}v3/conversations/{encoded}/activities"
    async with (
        aiohttp.ClientSession() as plain,
        plain.post(URL(url, encoded=True), json={"type": "message", "text": "encoded"}) as resp,
    ):
        assert resp.status == 200
    assert connector.requests[-1].conversation_id == THREAD
    assert [a["text"] for a in connector.activities(THREAD)] == ["thread", "encoded"]


async def test_sdk_truncates_conversation_ids_and_does_not_escape_reserved_characters(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    """Conversation ids are cut to 150 characters; a ``?`` or ``/`` in an id breaks the path."""
    long_id = "a:1" + "x" * 200
    await client.conversations.send_to_conversation(long_id, message("long"))
    assert connector.requests[-1].conversation_id == long_id[:150]
    assert connector.activities(long_id) == []

    with pytest.raises(aiohttp.ClientResponseError) as query:
        await client.conversations.send_to_conversation("chat?x=1", message("query"))
    assert query.value.status == 404
    assert connector.requests[-1].path == "/v3/conversations/chat"
    assert connector.requests[-1].query == {"x": "1/activities"}

    with pytest.raises(aiohttp.ClientResponseError) as slash:
        await client.conversations.send_to_conversation("chat/1", message("slash"))
    assert slash.value.status == 404
    assert connector.requests[-1].op is None


# ---------------------------------------------------------------------------- conversations


async def test_create_conversation_one_to_one(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    created = await client.conversations.create_conversation(one_to_one("29:user-1"))
    assert created.id and created.id.startswith("a:1")
    assert created.service_url == connector.service_url
    assert created.activity_id is None
    assert connector.requests[-1].json == {  # the SDK sends tenantId (botbuilder: tenantID)
        "isGroup": False,
        "bot": {"id": BOT},
        "members": [{"id": "29:user-1"}],
        "tenantId": TENANT,
        "channelData": {"tenant": {"id": TENANT}},
    }
    assert connector.conversations[created.id] == {
        "members": [{"id": "29:user-1"}],
        "tenantId": TENANT,
        "isGroup": False,
        "channelData": {"tenant": {"id": TENANT}},
    }

    again = await client.conversations.create_conversation(one_to_one("29:user-1"))
    assert again.id == created.id  # Teams hands back the existing 1:1 chat
    other = await client.conversations.create_conversation(one_to_one("29:user-2"))
    assert other.id != created.id

    params = one_to_one("29:user-3")
    params.activity = message("hello there")
    with_activity = await client.conversations.create_conversation(params)
    assert with_activity.id and with_activity.activity_id
    assert connector.activities(with_activity.id, "send") == [
        connector.requests[-1].json["activity"]
    ]
    assert connector.sent[-1].activity_id == with_activity.activity_id
    await client.conversations.update_activity(
        with_activity.id, with_activity.activity_id, message("edited", id=with_activity.activity_id)
    )
    edited = connector.current_activity(with_activity.id, with_activity.activity_id)
    assert edited is not None and edited["text"] == "edited"

    sent = await client.conversations.send_to_conversation(created.id, message("proactive"))
    assert sent.id and int(sent.id) > int(with_activity.activity_id)


async def test_create_conversation_needs_a_tenant_and_one_member(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    with pytest.raises(aiohttp.ClientResponseError) as no_tenant:
        await client.conversations.create_conversation(one_to_one("29:user-1", tenant=None))
    assert no_tenant.value.status == 400
    assert connector.requests[-1].response["error"]["code"] == "BadArgument"

    two = one_to_one("29:user-1")
    two.members = [*two.members, *one_to_one("29:user-2").members]
    with pytest.raises(aiohttp.ClientResponseError):
        await client.conversations.create_conversation(two)

    group_chat = ConversationParameters.model_validate(
        {"isGroup": True, "members": [{"id": "29:user-1"}], "tenantId": TENANT}
    )
    with pytest.raises(aiohttp.ClientResponseError) as group_error:
        await client.conversations.create_conversation(group_chat)
    assert group_error.value.status == 400
    assert connector.conversations == {}


async def test_create_conversation_in_a_channel_starts_a_thread(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    params = ConversationParameters.model_validate(
        {
            "isGroup": True,
            "channelData": {"channel": {"id": "19:channel@thread.tacv2"}, "tenant": {"id": TENANT}},
            "activity": {"type": "message", "text": "new thread"},
            "tenantId": TENANT,
        }
    )
    created = await client.conversations.create_conversation(params)
    assert created.id == f"19:channel@thread.tacv2;messageid={created.activity_id}"
    assert connector.conversations[created.id]["isGroup"] is True
    assert [a["text"] for a in connector.activities(created.id)] == ["new thread"]
    # posting in the thread puts the ";messageid=" id into the path as it is
    await client.conversations.send_to_conversation(created.id, message("in thread"))
    assert [a["text"] for a in connector.activities(created.id)] == ["new thread", "in thread"]


async def test_sdk_serialisation_of_bodies(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    """camelCase wire names and only the fields that were set; the three activity calls treat an
    explicit ``None`` differently, and ``update_activity`` does not serialise in JSON mode."""
    by_name = ConversationParameters.model_validate(  # Python names work too
        {"is_group": False, "members": [{"id": "29:user-1"}], "tenant_id": TENANT}
    )
    await client.conversations.create_conversation(by_name)
    assert connector.requests[-1].json == {
        "isGroup": False,
        "members": [{"id": "29:user-1"}],
        "tenantId": TENANT,
    }

    def with_nones(text: str, **wire: Any) -> Activity:
        activity = message(text, **wire)
        # as apply_conversation_reference leaves it for a reference without a locale
        activity.locale = None  # type: ignore[assignment]
        return activity

    sent = await client.conversations.send_to_conversation(GROUP, with_nones("send"))
    assert sent.id
    assert connector.requests[-1].json == {"type": "message", "text": "send", "locale": None}
    await client.conversations.reply_to_activity(GROUP, "m-1", with_nones("reply"))
    assert connector.requests[-1].json == {"type": "message", "text": "reply"}
    await client.conversations.update_activity(GROUP, sent.id, with_nones("update", id=sent.id))
    assert connector.requests[-1].json == {
        "type": "message",
        "id": sent.id,
        "text": "update",
        "locale": None,
    }

    stamped = message("stamped", id=sent.id)
    stamped.timestamp = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    await client.conversations.send_to_conversation(GROUP, stamped)
    assert connector.requests[-1].json["timestamp"] == "2026-01-02T03:04:05Z"
    requests_before = len(connector.requests)
    with pytest.raises(TypeError, match="not JSON serializable"):
        await client.conversations.update_activity(GROUP, sent.id, stamped)
    assert len(connector.requests) == requests_before  # failed before anything was sent


# ---------------------------------------------------------------------------- members


async def test_paged_members_in_several_pages(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    roster = [member(n) for n in range(12)]
    connector.set_roster(GROUP, roster, page_size=5)

    pages: list[list[str]] = []
    token = None
    while True:
        page = await client.conversations.get_conversation_paged_members(
            GROUP, continuation_token=token
        )
        pages.append([m.id for m in page.members])
        token = page.continuation_token
        if token is None:
            break
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [i for p in pages for i in p] == [m["id"] for m in roster]
    assert "continuationToken" not in connector.requests[-1].response
    assert connector.requests[0].query == {}  # no pageSize, no continuationToken
    assert all(r.query.get("continuationToken") for r in connector.requests[1:])

    smaller = await client.conversations.get_conversation_paged_members(GROUP, page_size=3)
    assert len(smaller.members) == 3
    assert connector.requests[-1].query == {"pageSize": "3"}
    larger = await client.conversations.get_conversation_paged_members(GROUP, page_size=100)
    assert len(larger.members) == 5  # the roster's page size caps what the client asks for
    empty = await client.conversations.get_conversation_paged_members(GROUP, 2, "")
    assert connector.requests[-1].query == {"pageSize": "2", "continuationToken": ""}
    assert [m.id for m in empty.members] == ["29:user-0", "29:user-1"]  # "" is the first page

    with pytest.raises(aiohttp.ClientResponseError) as bad_token:
        await client.conversations.get_conversation_paged_members(
            GROUP, continuation_token="not-a-token"
        )
    assert bad_token.value.status == 400


async def test_members_and_single_member(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    connector.set_roster(GROUP, [member(1), member(2)])
    everyone = await client.conversations.get_conversation_members(GROUP)
    assert [m.id for m in everyone] == ["29:user-1", "29:user-2"]
    assert everyone[0].aad_object_id == "aad-1"
    assert everyone[0].tenant_id == TENANT
    # ConnectorClient returns plain ChannelAccounts: Teams' own fields stay camelCase extras.
    assert everyone[0].model_extra == {"userPrincipalName": "user1@example.org", "userRole": "user"}

    by_id = await client.conversations.get_conversation_member(GROUP, "29:user-2")
    by_aad = await client.conversations.get_conversation_member(GROUP, "aad-2")
    by_upn = await client.conversations.get_conversation_member(GROUP, "user2@example.org")
    assert by_id.name == by_aad.name == by_upn.name == "User 2"

    with pytest.raises(aiohttp.ClientResponseError) as unknown_member:
        await client.conversations.get_conversation_member(GROUP, "29:nobody")
    assert unknown_member.value.status == 404
    assert connector.requests[-1].response["error"]["code"] == "MemberNotFoundInConversation"

    with pytest.raises(aiohttp.ClientResponseError) as unknown_conversation:
        await client.conversations.get_conversation_paged_members("19:unknown@thread.v2")
    assert unknown_conversation.value.status == 404
    assert connector.requests[-1].response["error"]["code"] == "ConversationNotFound"
    assert {r.op for r in connector.requests} == {"members"}


async def test_members_of_a_created_one_to_one(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    connector.set_roster(GROUP, [member(7)])
    created = await client.conversations.create_conversation(one_to_one("29:user-7"))
    assert created.id
    page = await client.conversations.get_conversation_paged_members(created.id)
    assert [m.id for m in page.members] == ["29:user-7"]
    assert page.members[0].name == "User 7"  # filled in from the roster that knows the user


async def test_teams_connector_client_paged_members_loop(connector: ConnectorStandIn) -> None:
    """The CloudAdapter gives each turn a ``TeamsConnectorClient``; its own member calls ask for
    ``pagedMembers`` (capital M) with ``continuationToken=`` on the first page."""
    connector.set_roster(GROUP, [member(n) for n in range(11)], page_size=4)
    teams = TeamsConnectorClient(connector.service_url, "")
    try:
        seen = []
        token = ""
        pages = 0
        while True:
            result = await teams.get_conversation_paged_member(GROUP, 100, token)
            pages += 1
            seen.extend(result.members or [])
            token = result.continuation_token or ""
            if not token:
                break
        one = await teams.get_conversation_member(GROUP, "29:user-5")
    finally:
        await teams.close()
    assert pages == 3
    assert [m.id for m in seen] == [f"29:user-{n}" for n in range(11)]
    assert seen[3].user_principal_name == "user3@example.org"
    assert seen[3].aad_object_id == "aad-3"
    assert seen[3].tenant_id == TENANT
    assert one.user_principal_name == "user5@example.org"
    first = connector.requests[0]
    assert first.path == f"/v3/conversations/{GROUP}/pagedMembers"
    assert (first.op, first.query) == ("members", {"pageSize": "100", "continuationToken": ""})


# ---------------------------------------------------------------------------- failures


async def test_an_injected_429_is_answered_once_then_the_send_succeeds(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    connector.fail("send", 429, headers={"Retry-After": "0"})
    assert connector.pending_failures() == [("send", 429, 1)]

    with pytest.raises(aiohttp.ClientResponseError) as throttled:
        await client.conversations.send_to_conversation(GROUP, message("try"))
    assert throttled.value.status == 429
    assert throttled.value.headers is not None
    assert throttled.value.headers["Retry-After"] == "0"
    assert error_code(throttled.value) == "Throttled"
    assert connector.activities() == []

    retried = await client.conversations.send_to_conversation(GROUP, message("try"))
    assert retried.id
    assert [(r.status, r.injected) for r in connector.requests] == [(429, True), (200, False)]
    assert [a["text"] for a in connector.activities()] == ["try"]
    assert connector.pending_failures() == []


async def test_injected_failures_honour_op_match_times_and_body(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    def in_second_chat(request: RecordedRequest) -> bool:
        assert request.status == 0  # not answered yet
        return request.conversation_id == "chat-2"

    connector.fail(
        "reply", 503, times=2, match=in_second_chat, body={"error": {"code": "Busy", "message": ""}}
    )
    await client.conversations.send_to_conversation("chat-2", message("send is another op"))
    await client.conversations.reply_to_activity("chat-1", "m", message("not matched"))
    for _ in range(2):
        with pytest.raises(aiohttp.ClientResponseError) as error:
            await client.conversations.reply_to_activity("chat-2", "m", message("matched"))
        assert error.value.status == 503
        assert error_code(error.value) == "Busy"
    await client.conversations.reply_to_activity("chat-2", "m", message("matched"))
    assert [r.status for r in connector.requests] == [200, 200, 503, 503, 200]
    assert [a["text"] for a in connector.activities(op="reply")] == ["not matched", "matched"]

    with pytest.raises(ValueError):
        connector.fail("post", 500)
    with pytest.raises(ValueError):
        connector.fail("send", 500, times=0)


async def test_injected_member_and_create_failures(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    connector.set_roster(GROUP, [member(1)])
    connector.fail("members", 429)
    with pytest.raises(aiohttp.ClientResponseError) as members_error:
        await client.conversations.get_conversation_paged_members(GROUP)
    assert members_error.value.status == 429
    assert len((await client.conversations.get_conversation_paged_members(GROUP)).members) == 1

    connector.fail("create_conversation", 500)
    with pytest.raises(aiohttp.ClientResponseError) as create_error:
        await client.conversations.create_conversation(one_to_one("29:user-1"))
    assert create_error.value.status == 500
    assert connector.conversations == {}


async def test_sdk_never_retries_and_how_its_errors_look(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    """Unlike botbuilder (msrest retried GET/PUT/DELETE on 408/5xx and after a Retry-After),
    the Agents SDK makes exactly one request per call, whatever the method, status or
    Retry-After: every injected failure reaches the caller. The error is always an
    ``aiohttp.ClientResponseError`` with ``status`` and the response ``headers``; its
    ``message`` is the response body for send/reply/update and the reason phrase otherwise."""
    connector.set_roster(GROUP, [member(1)])
    sent = await client.conversations.send_to_conversation(GROUP, message("v1"))
    assert sent.id
    talk = client.conversations
    body = "the response body"
    calls: list[tuple[str, int, Callable[[], Awaitable[Any]], str]] = [
        ("update", 502, partial(talk.update_activity, GROUP, sent.id, message("v2")), body),
        ("update", 408, partial(talk.update_activity, GROUP, sent.id, message("v2")), body),
        ("delete", 503, partial(talk.delete_activity, GROUP, sent.id), "Service Unavailable"),
        ("members", 429, partial(talk.get_conversation_paged_members, GROUP), "Too Many Requests"),
        ("members", 500, partial(talk.get_conversation_member, GROUP, "29:user-1"), "Internal Server Error"),
        ("send", 502, partial(talk.send_to_conversation, GROUP, message("v3")), body),
        ("reply", 429, partial(talk.reply_to_activity, GROUP, "m", message("r")), body),
        ("create_conversation", 503, partial(talk.create_conversation, one_to_one("29:user-9")), "Service Unavailable"),
    ]  # fmt: skip
    for op, status, call, expected_message in calls:
        connector.fail(op, status, headers={"Retry-After": "0"})
        before = len(connector.requests)
        with pytest.raises(aiohttp.ClientResponseError) as error:
            await call()
        assert (op, error.value.status) == (op, status)
        assert error.value.headers is not None and error.value.headers["Retry-After"] == "0"
        if expected_message == body:
            assert json.loads(error.value.message) == connector.requests[-1].response
        else:
            assert error.value.message == expected_message
        assert not isinstance(error.value, aiohttp.ClientConnectionError)
        assert [(r.op, r.status) for r in connector.requests[before:]] == [(op, status)]
    assert connector.pending_failures() == []
    assert connector.activities() == [{"type": "message", "text": "v1"}]


async def test_sdk_connection_failures_and_timeouts() -> None:
    """A refused connection is one ``ClientConnectorError`` (no retry). The SDK's own sessions
    wait up to 300 s (30 s to connect); an app-supplied session's total timeout raises the
    built-in ``TimeoutError`` (not an ``aiohttp.ClientError``), a read timeout
    ``aiohttp.SocketTimeoutError`` (both a ``ClientConnectionError`` and a ``TimeoutError``)."""
    stand_in = ConnectorStandIn()
    url = await stand_in.start()
    await stand_in.stop()
    gone = ConnectorClient(url, "")
    try:
        assert gone.client.timeout == aiohttp.ClientTimeout(total=300, sock_connect=30)
        with pytest.raises(aiohttp.ClientConnectorError):
            await gone.conversations.send_to_conversation(GROUP, message("nobody there"))
    finally:
        await gone.close()

    arrived: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        arrived.append(request.path)
        await asyncio.sleep(5)
        return web.json_response({"id": "1"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", slow)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/"))
    try:
        for timeout, expected in (
            (aiohttp.ClientTimeout(total=0.1), TimeoutError),
            (aiohttp.ClientTimeout(sock_read=0.1), aiohttp.SocketTimeoutError),
        ):
            session = aiohttp.ClientSession(base_url=base, timeout=timeout)
            bounded = ConnectorClient(base, "", session=session)
            try:
                with pytest.raises(expected) as timed_out:
                    await bounded.conversations.send_to_conversation(GROUP, message("slow"))
            finally:
                await bounded.close()
            assert type(timed_out.value) is expected
            assert isinstance(timed_out.value, TimeoutError)
        assert not isinstance(TimeoutError(), aiohttp.ClientError)
        assert issubclass(aiohttp.SocketTimeoutError, aiohttp.ClientConnectionError)
        assert len(arrived) == 2  # both requests reached the server before the client gave up
    finally:
        await server.close()


async def test_connector_client_with_an_app_session(connector: ConnectorStandIn) -> None:
    """With ``session=``, the session's ``base_url`` is used and ``endpoint`` ignored; the client
    sets its headers (Authorization for a token longer than one character) on the session and
    ``close()`` closes the session but not a shared connector it does not own."""
    pool = aiohttp.TCPConnector()
    session = aiohttp.ClientSession(
        base_url=connector.service_url, connector=pool, connector_owner=False
    )
    authed = ConnectorClient("http://ignored.invalid/", "a-token", session=session)
    try:
        assert authed.base_uri == connector.service_url
        await authed.conversations.send_to_conversation(GROUP, message("with a token"))
        assert connector.requests[-1].header("Authorization") == "Bearer a-token"
        assert session.headers["Authorization"] == "Bearer a-token"
    finally:
        await authed.close()
    assert session.closed and not pool.closed

    short = ConnectorClient(connector.service_url, "x")  # one character: no header
    try:
        await short.conversations.send_to_conversation(GROUP, message("short token"))
        assert connector.requests[-1].header("Authorization") is None
    finally:
        await short.close()

    no_base = ConnectorClient(connector.service_url, "", session=aiohttp.ClientSession())
    try:
        with pytest.raises(aiohttp.InvalidUrlClientError):
            await no_base.conversations.send_to_conversation(GROUP, message("relative url"))
    finally:
        await no_base.close()
        await pool.close()
    assert len(connector.requests) == 2


async def test_a_blocked_user_gets_403_for_create_conversation_always(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    existing = await client.conversations.create_conversation(one_to_one("29:user-1"))
    assert existing.id
    connector.block_user("29:user-1")
    for _ in range(3):
        with pytest.raises(aiohttp.ClientResponseError) as blocked:
            await client.conversations.create_conversation(one_to_one("29:user-1"))
        assert blocked.value.status == 403
        assert connector.requests[-1].response["error"]["code"] == "MessageWritesBlocked"

    # an existing 1:1 chat with the user is blocked too; other users are not affected
    with pytest.raises(aiohttp.ClientResponseError) as send_blocked:
        await client.conversations.send_to_conversation(existing.id, message("hi"))
    assert send_blocked.value.status == 403
    assert error_code(send_blocked.value) == "MessageWritesBlocked"
    await client.conversations.create_conversation(one_to_one("29:user-2"))

    connector.block_user("29:user-3", status=404, code="BotNotInConversationRoster")
    with pytest.raises(aiohttp.ClientResponseError) as not_installed:
        await client.conversations.create_conversation(one_to_one("29:user-3"))
    assert not_installed.value.status == 404
    assert connector.requests[-1].response["error"]["code"] == "BotNotInConversationRoster"

    connector.unblock_user("29:user-1")
    await client.conversations.send_to_conversation(existing.id, message("hi again"))
    assert [a["text"] for a in connector.activities(existing.id)] == ["hi again"]


async def test_rate_limits_when_enforced() -> None:
    async with ConnectorStandIn(enforce_rate_limits=True) as limited:
        limited_client = ConnectorClient(limited.service_url, "")
        try:
            for n in range(7):
                await limited_client.conversations.send_to_conversation(GROUP, message(str(n)))
            with pytest.raises(aiohttp.ClientResponseError) as throttled:
                await limited_client.conversations.send_to_conversation(GROUP, message("8th"))
            assert throttled.value.status == 429
            assert throttled.value.headers is not None
            assert int(throttled.value.headers["Retry-After"]) >= 1
            await limited_client.conversations.send_to_conversation("other", message("fine"))
        finally:
            await limited_client.close()
    assert len(limited.activities(GROUP)) == 7


# ---------------------------------------------------------------------------- wait_for


async def test_wait_for_returns_when_the_predicate_holds(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.conversations.send_to_conversation(GROUP, message("eventually"))

    task = asyncio.create_task(later())
    await connector.wait_for(lambda c: len(c.activities(GROUP)) == 1, timeout=5)
    await task
    assert connector.activities(GROUP)[0]["text"] == "eventually"


async def test_wait_for_times_out_with_a_summary(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    await client.conversations.send_to_conversation(GROUP, message("only this"))
    connector.fail("send", 429)

    def two_messages(c: ConnectorStandIn) -> bool:
        return len(c.activities()) >= 2

    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(AssertionError) as timed_out:
        await connector.wait_for(two_messages, timeout=0.2)
    assert 0.2 <= loop.time() - started < 2
    text = str(timed_out.value)
    assert "two_messages" in text
    assert f"POST /v3/conversations/{GROUP}/activities -> 200" in text
    assert "'only this'" in text
    assert "('send', 429, 1)" in text


# ---------------------------------------------------------------------------- CloudAdapter


class _EchoBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:  # type: ignore[override]
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")


class _FakeTokenProvider(AnonymousTokenProvider):
    """Hands out a made-up token, as MSAL would a real one (the stand-in does not check it)."""

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        return "fake-token"


def _adapter(
    provider: type[AnonymousTokenProvider] = AnonymousTokenProvider, *, reraise: bool = True
) -> CloudAdapter:
    connections = ConnectionManager(
        provider_factory=lambda configuration: provider(),
        connections_configurations={
            "SERVICE_CONNECTION": AgentAuthConfiguration(anonymous_allowed=True)
        },
    )
    adapter = CloudAdapter(connection_manager=connections)

    async def raise_it(context: TurnContext, error: Exception) -> None:
        raise error

    if reraise:  # instead of the SDK's handler, which posts the error into the chat
        adapter.on_turn_error = raise_it
    return adapter


def _created_clients(adapter: CloudAdapter) -> list[ConnectorClientBase]:
    """Records the connector clients the adapter's factory creates (to check and close them)."""
    factory = adapter._channel_service_client_factory
    create = factory.create_connector_client
    created: list[ConnectorClientBase] = []

    async def recording(*args: Any, **kwargs: Any) -> ConnectorClientBase:
        connector_client = await create(*args, **kwargs)
        created.append(connector_client)
        return connector_client

    factory.create_connector_client = recording  # type: ignore[method-assign]
    return created


def incoming_message(connector: ConnectorStandIn, text: str = "hello") -> Activity:
    return Activity.model_validate(
        {
            "type": "message",
            "id": "incoming-42",
            "text": text,
            "channelId": "msteams",
            "serviceUrl": connector.service_url,
            "from": {"id": "29:user-1", "aadObjectId": "aad-1", "name": "User 1"},
            "recipient": {"id": BOT, "name": "Bot"},
            "conversation": {"id": PERSONAL, "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
        }
    )


async def test_cloud_adapter_replies_reach_the_stand_in(connector: ConnectorStandIn) -> None:
    adapter = _adapter()
    created = _created_clients(adapter)
    result = await adapter.process_activity(
        ClaimsIdentity(), incoming_message(connector), _EchoBot().on_turn
    )
    assert result is None  # a message turn has no invoke response
    (reply,) = connector.activities(PERSONAL, "reply")
    assert reply == {
        "type": "message",
        "channelId": "msteams",
        "serviceUrl": connector.service_url,
        "from": {"id": BOT, "name": "Bot"},
        "recipient": {"id": "29:user-1", "name": "User 1", "aadObjectId": "aad-1"},
        "conversation": {"id": PERSONAL, "conversationType": "personal", "tenantId": TENANT},
        "text": "echo: hello",
        "inputHint": "acceptingInput",
        "replyToId": "incoming-42",
    }
    request = connector.requests[-1]
    assert request.path == f"/v3/conversations/{PERSONAL}/activities/incoming-42"
    assert request.header("Authorization") is None
    # Each turn gets its own TeamsConnectorClient (a new HTTP session), closed after the turn.
    (turn_client,) = created
    assert isinstance(turn_client, TeamsConnectorClient)
    assert turn_client.client.closed


async def test_cloud_adapter_over_http(connector: ConnectorStandIn) -> None:
    adapter = _adapter()
    bot = _EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot) or web.Response(status=500)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    incoming = incoming_message(connector).model_dump(
        by_alias=True, exclude_unset=True, mode="json"
    )
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(server.make_url("/api/messages"), json=incoming) as resp,
        ):
            assert resp.status == 202
    finally:
        await server.close()
    # the reply was sent before the 202: no waiting needed
    assert [a["text"] for a in connector.activities(PERSONAL, "reply")] == ["echo: hello"]


async def test_cloud_adapter_default_turn_error_handler_posts_the_error_to_the_chat(
    connector: ConnectorStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = _adapter(reraise=False)
    connector.fail("reply", 403)
    await adapter.process_activity(
        ClaimsIdentity(), incoming_message(connector), _EchoBot().on_turn
    )
    assert [(r.op, r.status) for r in connector.requests] == [("reply", 403), ("reply", 200)]
    (posted,) = connector.activities(PERSONAL)
    assert posted["text"].startswith('Exception caught : 403, message=\'{"error"')
    assert "Traceback" in capsys.readouterr().out


async def test_cloud_adapter_continues_a_conversation_anonymously(
    connector: ConnectorStandIn,
) -> None:
    """``continue_conversation_with_claims(ClaimsIdentity(), ...)`` runs unauthenticated. The
    continuation activity of a ``ConversationReference`` has a random id, so ``send_activity``
    in the callback is a *reply* to that id; without an id it is a plain send."""
    adapter = _adapter()
    reference = incoming_message(connector).get_conversation_reference()
    continuation = reference.get_continuation_activity()
    seen: list[tuple[str | None, str | None]] = []

    async def callback(turn_context: TurnContext) -> None:
        seen.append((turn_context.activity.type, turn_context.activity.id))
        await turn_context.send_activity("a proactive hello")

    await adapter.continue_conversation_with_claims(ClaimsIdentity(), continuation, callback)
    assert seen == [("event", continuation.id)]
    assert continuation.id and len(continuation.id) == 36  # a uuid4
    request = connector.requests[-1]
    assert (request.op, request.activity_id) == ("reply", continuation.id)
    assert request.json["replyToId"] == continuation.id
    assert request.header("Authorization") is None

    continuation.id = None
    await adapter.continue_conversation_with_claims(ClaimsIdentity(), continuation, callback)
    assert connector.requests[-1].op == "send"
    assert "replyToId" not in connector.requests[-1].json
    assert [a["text"] for a in connector.activities(PERSONAL)] == ["a proactive hello"] * 2


async def test_cloud_adapter_continue_conversation_needs_a_token(
    connector: ConnectorStandIn,
) -> None:
    """``continue_conversation(app_id, ...)`` builds a claims identity with claims, so it is not
    anonymous and wants a token for a user-token client: unauthenticated it fails at once."""
    adapter = _adapter()
    called: list[TurnContext] = []

    async def callback(turn_context: TurnContext) -> None:
        called.append(turn_context)

    continuation = incoming_message(connector).get_conversation_reference()
    with pytest.raises(ValueError, match="Failed to obtain token for user token client"):
        await adapter.continue_conversation("", continuation.get_continuation_activity(), callback)
    assert called == []
    assert connector.requests == []


async def test_cloud_adapter_create_conversation_needs_a_token(
    connector: ConnectorStandIn,
) -> None:
    """``create_conversation`` is never anonymous (it adds a service-url claim). It creates the
    conversation first, then fails for want of a user-token client token: the chat exists, the
    callback never runs, and its connector client's HTTP session is left open."""
    adapter = _adapter()
    created = _created_clients(adapter)
    called: list[TurnContext] = []

    async def callback(turn_context: TurnContext) -> None:
        called.append(turn_context)

    try:
        with pytest.raises(ValueError, match="Failed to obtain token for user token client"):
            await adapter.create_conversation(
                "", "msteams", connector.service_url, "audience", one_to_one("29:user-9"), callback
            )
        assert called == []
        assert [(r.op, r.status) for r in connector.requests] == [("create_conversation", 200)]
        (conversation_id,) = connector.conversations
        assert connector.conversations[conversation_id]["tenantId"] == TENANT
        (leaked,) = created
        assert isinstance(leaked, TeamsConnectorClient) and not leaked.client.closed
    finally:
        for connector_client in created:
            await connector_client.close()


async def test_cloud_adapter_proactive_calls_with_a_token(connector: ConnectorStandIn) -> None:
    """With any token (here a fake one) ``create_conversation`` works. Its turn's activity id is
    the ``activityId`` the create answered (a random uuid when no activity went with it), so
    ``send_activity`` in the callback is a reply. A refused create raises before the callback.
    ``continue_conversation(app_id, ...)`` works too."""
    adapter = _adapter(_FakeTokenProvider)
    created = _created_clients(adapter)
    turns: list[tuple[str | None, str | None]] = []

    async def callback(turn_context: TurnContext) -> None:
        turns.append((turn_context.activity.id, turn_context.activity.conversation.id))
        await turn_context.send_activity("a proactive hello")

    params = one_to_one("29:user-9")
    params.activity = message("first")
    await adapter.create_conversation(
        "app-id", "msteams", connector.service_url, "audience", params, callback
    )
    (conversation_id,) = connector.conversations
    first, hello = connector.sent
    assert turns == [(first.activity_id, conversation_id)]
    assert (hello.op, hello.reply_to_id) == ("reply", first.activity_id)
    assert [a["text"] for a in connector.activities(conversation_id)] == [
        "first",
        "a proactive hello",
    ]
    assert {r.header("Authorization") for r in connector.requests} == {"Bearer fake-token"}

    await adapter.create_conversation(
        "app-id", "msteams", connector.service_url, "audience", one_to_one("29:user-8"), callback
    )
    assert len(turns[-1][0] or "") == 36  # no activity created: a uuid4
    assert connector.sent[-1].op == "reply" and connector.sent[-1].reply_to_id == turns[-1][0]

    connector.block_user("29:user-10")
    try:
        with pytest.raises(aiohttp.ClientResponseError) as blocked:
            await adapter.create_conversation(
                "app-id", "msteams", connector.service_url, "audience", one_to_one("29:user-10"),
                callback,
            )  # fmt: skip
        assert blocked.value.status == 403
        assert len(turns) == 2

        continuation = Activity.model_validate(
            {
                "type": "event",
                "name": "ContinueConversation",
                "channelId": "msteams",
                "serviceUrl": connector.service_url,
                "conversation": {"id": conversation_id},
                "recipient": {"id": BOT},
            }
        )
        await adapter.continue_conversation("app-id", continuation, callback)
        assert turns[-1] == (None, conversation_id)
        assert (connector.requests[-1].op, connector.requests[-1].status) == ("send", 200)
        assert connector.requests[-1].header("Authorization") == "Bearer fake-token"
    finally:
        for connector_client in created:
            await connector_client.close()


async def test_a_delivered_failure_is_carried_out_and_then_answered_with_the_failure() -> None:
    async with ConnectorStandIn() as connector, aiohttp.ClientSession() as session:
        connector.fail("send", 502, deliver=True)
        url = f"{connector.service_url}v3/conversations/a:1/activities"
        async with session.post(url, json={"type": "message", "text": "hej"}) as response:
            assert response.status == 502
        assert connector.activities("a:1") == [{"type": "message", "text": "hej"}]


async def test_slow_answers_after_the_delay_for_the_named_ops_only() -> None:
    async with ConnectorStandIn() as connector, aiohttp.ClientSession() as session:
        connector.slow(0.3, ["send"])
        url = f"{connector.service_url}v3/conversations/a:1/activities"
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with session.post(url, json={"type": "message"}) as response:
            assert response.status == 200
        assert loop.time() - started >= 0.3
        connector.slow(0)
        connector.slow(0.3, ["update"])
        started = loop.time()
        async with session.post(url, json={"type": "message"}) as response:
            assert response.status == 200
        assert loop.time() - started < 0.3
