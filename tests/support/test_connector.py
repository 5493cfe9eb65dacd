"""The connector stand-in answers botbuilder's real clients like the Bot Connector would.

Everything here goes through botbuilder's own HTTP code (``ConnectorClient``, ``TeamsInfo``,
``CloudAdapter``), so a change in the paths, query parameters or response shapes the SDK
expects breaks these tests rather than the app tests that rely on the stand-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import ActivityHandler, BotAdapter, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ErrorResponseException,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.exceptions import HttpOperationError

from .connector import ConnectorStandIn, RecordedRequest

TENANT = "tenant-1"
GROUP = "19:group-chat@thread.v2"


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
    # CloudAdapter without an app id uses exactly these credentials: no Authorization header.
    async with ConnectorClient(
        MicrosoftAppCredentials.empty(), base_url=connector.service_url
    ) as connector_client:
        yield connector_client


def message(text: str, **extra: Any) -> Activity:
    return Activity(type="message", text=text, **extra)


def one_to_one(user_id: str, tenant: str | None = TENANT) -> ConversationParameters:
    return ConversationParameters(
        is_group=False,
        members=[ChannelAccount(id=user_id)],
        tenant_id=tenant,
        channel_data={"tenant": {"id": tenant}} if tenant else None,
    )


def status_of(error: HttpOperationError) -> int:
    return error.response.status_code


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
        GROUP, "incoming-1", message("second", reply_to_id="incoming-1")
    )
    assert sent.id and reply.id and int(reply.id) > int(sent.id)
    assert reply.id > sent.id  # increasing as strings too

    updated = await client.conversations.update_activity(
        GROUP, sent.id, message("first, edited", id=sent.id)
    )
    assert updated.id == sent.id
    assert connector.current_activity(GROUP, sent.id)["text"] == "first, edited"

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
    assert first.path == f"/v3/conversations/{GROUP}/activities"  # decoded
    assert first.conversation_id == GROUP
    assert first.json["text"] == "first"
    assert first.response == {"id": sent.id}
    assert first.header("content-type", "").startswith("application/json")
    assert first.header("Authorization") is None
    assert connector.requests[1].activity_id == "incoming-1"

    with pytest.raises(ValueError):
        connector.activities(op="delete")


async def test_update_of_an_unknown_or_deleted_activity_is_404(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    with pytest.raises(ErrorResponseException) as unknown:
        await client.conversations.update_activity(GROUP, "999", message("x", id="999"))
    assert status_of(unknown.value) == 404
    assert unknown.value.error.error.code == "NotFound"

    sent = await client.conversations.send_to_conversation("a:1other", message("x"))
    with pytest.raises(ErrorResponseException) as elsewhere:  # ids are per conversation
        await client.conversations.update_activity(GROUP, sent.id, message("y", id=sent.id))
    assert status_of(elsewhere.value) == 404

    await client.conversations.delete_activity("a:1other", sent.id)
    with pytest.raises(ErrorResponseException) as deleted:
        await client.conversations.update_activity("a:1other", sent.id, message("y", id=sent.id))
    assert status_of(deleted.value) == 404
    assert connector.activities(op="update") == []


async def test_a_body_without_an_activity_type_is_400(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    with pytest.raises(ErrorResponseException) as error:
        await client.conversations.send_to_conversation(GROUP, Activity(text="no type"))
    assert status_of(error.value) == 400
    assert connector.activities() == []


async def test_an_activity_over_the_size_limit_is_413(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    with pytest.raises(ErrorResponseException) as error:
        await client.conversations.send_to_conversation(GROUP, message("x" * 110_000))
    assert status_of(error.value) == 413
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


# ---------------------------------------------------------------------------- conversations


async def test_create_conversation_one_to_one(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    created = await client.conversations.create_conversation(one_to_one("29:user-1"))
    assert created.id.startswith("a:1")
    assert created.service_url == connector.service_url
    assert created.activity_id is None
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
    assert with_activity.activity_id
    assert connector.activities(with_activity.id, "send") == [
        connector.requests[-1].json["activity"]
    ]
    assert connector.sent[-1].activity_id == with_activity.activity_id
    await client.conversations.update_activity(
        with_activity.id, with_activity.activity_id, message("edited", id=with_activity.activity_id)
    )
    assert connector.current_activity(with_activity.id, with_activity.activity_id)["text"] == (
        "edited"
    )

    sent = await client.conversations.send_to_conversation(created.id, message("proactive"))
    assert int(sent.id) > int(with_activity.activity_id)


async def test_create_conversation_needs_a_tenant_and_one_member(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    with pytest.raises(ErrorResponseException) as no_tenant:
        await client.conversations.create_conversation(one_to_one("29:user-1", tenant=None))
    assert status_of(no_tenant.value) == 400
    assert no_tenant.value.error.error.code == "BadArgument"

    two = one_to_one("29:user-1")
    two.members.append(ChannelAccount(id="29:user-2"))
    with pytest.raises(ErrorResponseException):
        await client.conversations.create_conversation(two)

    group_chat = ConversationParameters(
        is_group=True, members=[ChannelAccount(id="29:user-1")], tenant_id=TENANT
    )
    with pytest.raises(ErrorResponseException) as group_error:
        await client.conversations.create_conversation(group_chat)
    assert status_of(group_error.value) == 400
    assert connector.conversations == {}


async def test_create_conversation_in_a_channel_starts_a_thread(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    params = ConversationParameters(
        is_group=True,
        channel_data={"channel": {"id": "19:channel@thread.tacv2"}, "tenant": {"id": TENANT}},
        activity=message("new thread"),
        tenant_id=TENANT,
    )
    created = await client.conversations.create_conversation(params)
    assert created.id == f"19:channel@thread.tacv2;messageid={created.activity_id}"
    assert connector.conversations[created.id]["isGroup"] is True
    assert [a["text"] for a in connector.activities(created.id)] == ["new thread"]
    # replying in the thread goes through the encoded conversation id
    await client.conversations.send_to_conversation(created.id, message("in thread"))
    assert [a["text"] for a in connector.activities(created.id)] == ["new thread", "in thread"]


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
    assert "continuationToken" not in connector.requests[0].query
    assert all(r.query.get("continuationToken") for r in connector.requests[1:])

    smaller = await client.conversations.get_conversation_paged_members(GROUP, page_size=3)
    assert len(smaller.members) == 3
    assert connector.requests[-1].query["pageSize"] == "3"
    larger = await client.conversations.get_conversation_paged_members(GROUP, page_size=100)
    assert len(larger.members) == 5  # the roster's page size caps what the client asks for

    with pytest.raises(HttpOperationError) as bad_token:
        await client.conversations.get_conversation_paged_members(
            GROUP, continuation_token="not-a-token"
        )
    assert status_of(bad_token.value) == 400


async def test_members_and_single_member(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    connector.set_roster(GROUP, [member(1), member(2)])
    everyone = await client.conversations.get_conversation_members(GROUP)
    assert [m.id for m in everyone] == ["29:user-1", "29:user-2"]
    assert everyone[0].aad_object_id == "aad-1"

    by_id = await client.conversations.get_conversation_member(GROUP, "29:user-2")
    by_aad = await client.conversations.get_conversation_member(GROUP, "aad-2")
    assert by_id.name == by_aad.name == "User 2"

    with pytest.raises(HttpOperationError) as unknown_member:
        await client.conversations.get_conversation_member(GROUP, "29:nobody")
    assert status_of(unknown_member.value) == 404
    assert connector.requests[-1].response["error"]["code"] == "MemberNotFoundInConversation"

    with pytest.raises(HttpOperationError) as unknown_conversation:
        await client.conversations.get_conversation_paged_members("19:unknown@thread.v2")
    assert status_of(unknown_conversation.value) == 404
    assert {r.op for r in connector.requests} == {"members"}


async def test_members_of_a_created_one_to_one(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    connector.set_roster(GROUP, [member(7)])
    created = await client.conversations.create_conversation(one_to_one("29:user-7"))
    page = await client.conversations.get_conversation_paged_members(created.id)
    assert [m.id for m in page.members] == ["29:user-7"]
    assert page.members[0].name == "User 7"  # filled in from the roster that knows the user


async def test_teams_info_paged_members_loop(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    connector.set_roster(GROUP, [member(n) for n in range(11)], page_size=4)
    activity = Activity(
        type="message",
        channel_id="msteams",
        service_url=connector.service_url,
        conversation=ConversationAccount(id=GROUP, conversation_type="groupChat"),
        channel_data={"tenant": {"id": TENANT}},
    )
    context = TurnContext(TestAdapter(), activity)
    context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY] = client

    seen = []
    token = None
    pages = 0
    while True:
        result = await TeamsInfo.get_paged_members(context, token)
        pages += 1
        seen.extend(result.members)
        token = result.continuation_token
        if not token:
            break
    assert pages == 3
    assert [m.id for m in seen] == [f"29:user-{n}" for n in range(11)]
    assert seen[3].user_principal_name == "user3@example.org"
    assert seen[3].aad_object_id == "aad-3"
    assert seen[3].tenant_id == TENANT

    one = await TeamsInfo.get_member(context, "29:user-5")
    assert one.user_principal_name == "user5@example.org"


# ---------------------------------------------------------------------------- failures


async def test_an_injected_429_is_answered_once_then_the_send_succeeds(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    connector.fail("send", 429, headers={"Retry-After": "0"})
    assert connector.pending_failures() == [("send", 429, 1)]

    with pytest.raises(ErrorResponseException) as throttled:
        await client.conversations.send_to_conversation(GROUP, message("try"))
    assert status_of(throttled.value) == 429
    assert throttled.value.response.headers["Retry-After"] == "0"
    assert throttled.value.error.error.code == "Throttled"
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
        with pytest.raises(ErrorResponseException) as error:
            await client.conversations.reply_to_activity("chat-2", "m", message("matched"))
        assert status_of(error.value) == 503
        assert error.value.error.error.code == "Busy"
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
    with pytest.raises(HttpOperationError) as members_error:
        await client.conversations.get_conversation_paged_members(GROUP)
    assert status_of(members_error.value) == 429
    assert len((await client.conversations.get_conversation_paged_members(GROUP)).members) == 1

    connector.fail("create_conversation", 500)
    with pytest.raises(ErrorResponseException) as create_error:
        await client.conversations.create_conversation(one_to_one("29:user-1"))
    assert status_of(create_error.value) == 500  # POST: the SDK does not retry
    assert connector.conversations == {}


async def test_the_sdk_itself_retries_get_put_delete(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    """Documents botbuilder's behaviour (msrest over urllib3), not the stand-in's.

    GET/PUT/DELETE are retried inside the SDK on 408 and 5xx (except 501/505), and on
    413/429/503 that carry Retry-After (after sleeping it); POST never is. So a single injected
    502 on an update, or a 429 with Retry-After on a member call, never reaches the bot.
    """
    sent = await client.conversations.send_to_conversation(GROUP, message("v1"))
    connector.fail("update", 502)
    await client.conversations.update_activity(GROUP, sent.id, message("v2", id=sent.id))
    connector.set_roster(GROUP, [member(1)])
    connector.fail("members", 429, headers={"Retry-After": "0"})
    await client.conversations.get_conversation_paged_members(GROUP)
    connector.fail("send", 502)
    with pytest.raises(ErrorResponseException):
        await client.conversations.send_to_conversation(GROUP, message("v3"))
    assert [(r.method, r.status) for r in connector.requests] == [
        ("POST", 200),
        ("PUT", 502),
        ("PUT", 200),
        ("GET", 429),
        ("GET", 200),
        ("POST", 502),
    ]


async def test_a_blocked_user_gets_403_for_create_conversation_always(
    connector: ConnectorStandIn, client: ConnectorClient
) -> None:
    existing = await client.conversations.create_conversation(one_to_one("29:user-1"))
    connector.block_user("29:user-1")
    for _ in range(3):
        with pytest.raises(ErrorResponseException) as blocked:
            await client.conversations.create_conversation(one_to_one("29:user-1"))
        assert status_of(blocked.value) == 403
        assert blocked.value.error.error.code == "MessageWritesBlocked"

    # an existing 1:1 chat with the user is blocked too; other users are not affected
    with pytest.raises(ErrorResponseException) as send_blocked:
        await client.conversations.send_to_conversation(existing.id, message("hi"))
    assert status_of(send_blocked.value) == 403
    await client.conversations.create_conversation(one_to_one("29:user-2"))

    connector.block_user("29:user-3", status=404, code="BotNotInConversationRoster")
    with pytest.raises(ErrorResponseException) as not_installed:
        await client.conversations.create_conversation(one_to_one("29:user-3"))
    assert status_of(not_installed.value) == 404
    assert not_installed.value.error.error.code == "BotNotInConversationRoster"

    connector.unblock_user("29:user-1")
    await client.conversations.send_to_conversation(existing.id, message("hi again"))
    assert [a["text"] for a in connector.activities(existing.id)] == ["hi again"]


async def test_rate_limits_when_enforced(client: ConnectorClient) -> None:
    async with ConnectorStandIn(enforce_rate_limits=True) as limited:
        limited_client = ConnectorClient(MicrosoftAppCredentials.empty(), limited.service_url)
        async with limited_client:
            for n in range(7):
                await limited_client.conversations.send_to_conversation(GROUP, message(str(n)))
            with pytest.raises(ErrorResponseException) as throttled:
                await limited_client.conversations.send_to_conversation(GROUP, message("8th"))
            assert status_of(throttled.value) == 429
            assert int(throttled.value.response.headers["Retry-After"]) >= 1
            await limited_client.conversations.send_to_conversation("other", message("fine"))
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
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(f"echo: {turn_context.activity.text}")


class _NoAuth:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


@pytest.fixture
async def adapter_app() -> AsyncIterator[tuple[CloudAdapter, str]]:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_NoAuth()))
    bot = _EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot) or web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield adapter, str(server.make_url("/api/messages"))
    finally:
        await server.close()


async def test_cloud_adapter_replies_reach_the_stand_in(
    connector: ConnectorStandIn, adapter_app: tuple[CloudAdapter, str]
) -> None:
    _, endpoint = adapter_app
    incoming = {
        "type": "message",
        "id": "incoming-42",
        "text": "hello",
        "channelId": "msteams",
        "serviceUrl": connector.service_url,
        "from": {"id": "29:user-1", "aadObjectId": "aad-1", "name": "User 1"},
        "recipient": {"id": "28:bot", "name": "Bot"},
        "conversation": {"id": "a:1chat", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
    }
    async with aiohttp.ClientSession() as session, session.post(endpoint, json=incoming) as resp:
        assert resp.status < 300
    await connector.wait_for(lambda c: bool(c.activities("a:1chat")))
    reply = connector.activities("a:1chat", "reply")[0]
    assert reply["text"] == "echo: hello"
    assert reply["replyToId"] == "incoming-42"
    request = connector.requests[-1]
    assert request.path == "/v3/conversations/a:1chat/activities/incoming-42"
    assert request.header("Authorization") is None


async def test_cloud_adapter_proactive_create_conversation(
    connector: ConnectorStandIn, adapter_app: tuple[CloudAdapter, str]
) -> None:
    adapter, _ = adapter_app
    sent_ids: list[str] = []

    async def callback(turn_context: TurnContext) -> None:
        response = await turn_context.send_activity("a proactive hello")
        sent_ids.append(response.id)

    await adapter.create_conversation(
        "", callback, one_to_one("29:user-9"), "msteams", connector.service_url, None
    )
    (conversation_id,) = connector.conversations
    assert connector.conversations[conversation_id]["tenantId"] == TENANT
    # botbuilder gives the create-conversation turn a random activity id, so a send_activity in
    # the callback is a *reply* to that unknown id (Teams accepts it in a 1:1 chat).
    assert [a["text"] for a in connector.activities(conversation_id)] == ["a proactive hello"]
    assert [a["text"] for a in connector.activities(conversation_id, "reply")] == [
        "a proactive hello"
    ]
    assert sent_ids == [connector.sent[0].activity_id]

    connector.block_user("29:user-10")
    with pytest.raises(ErrorResponseException) as blocked:
        await adapter.create_conversation(
            "", callback, one_to_one("29:user-10"), "msteams", connector.service_url, None
        )
    assert status_of(blocked.value) == 403
    assert sent_ids == [connector.sent[0].activity_id]
