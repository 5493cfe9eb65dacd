"""Every wait is bounded, over HTTP against the real app: a press is answered within
``PRESS_DEADLINE`` seconds whatever the store or Teams are doing, says truthfully what became of
it, and stores nothing late.

- Storage that hangs (our own Azurite, stopped with SIGSTOP: connections are accepted, nothing
  is answered): every press of a live meeting gets "Det tog for lang tid, så intet er gemt" with
  "Prøv igen"; when the store answers again, none of them has been applied; "Prøv igen" then
  applies each once, however often it is pressed.
- A Bot Connector that answers every call after ten seconds: the live meeting's presses are
  answered at once (Teams calls run behind them), while a setup, which must read the chat's
  members first, is answered in time with "Prøv igen" and nothing created; its retry, once Teams
  is quick again, creates the conversation once.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from typing import Any

from plan.pdf import pdf_available
from settings import Settings
from tests.app.harness import BotServer, Chat, Client, card_text, press_activity, verbs_on
from tests.faults.conftest import (
    LEADER,
    MEMBERS,
    ControlledAzurite,
    agreement,
    prepared_grus,
    settle,
    setup_data,
    start_server,
    stored,
)
from tests.support.connector import ConnectorStandIn

PRESS_DEADLINE = 5.0  # seconds: Teams gives up on an invoke soon after
TOO_LATE = "Det tog for lang tid, så intet er gemt"


async def timed_press(
    client: Client, chat: Chat, who: Any, verb: str, data: dict[str, Any]
) -> tuple[float, int, dict[str, Any]]:
    started = time.monotonic()
    status, body = await client.post(press_activity(chat, who, verb, data))
    return time.monotonic() - started, status, (body or {}).get("value") or {}


def retry_of(card: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The "Prøv igen" button of a late answer: its verb and data."""
    (action,) = card["actions"]
    assert action["title"] == "Prøv igen"
    return action["verb"], action["data"]


async def test_presses_while_storage_hangs_are_answered_in_time_and_store_nothing_late(
    own_azurite: ControlledAzurite, connector: ConnectorStandIn
) -> None:
    env = {
        "AZURE_STORAGE_CONNECTION_STRING": own_azurite.connection_string,
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "AZURE_STORAGE_CONTAINER": "faults-storage-hangs",
    }
    server = await start_server(env)
    process = own_azurite._proc
    assert process is not None
    try:
        client = Client(server)
        group = Chat("19:storage-hangs@thread.v2", True, connector.service_url)
        conversation_id = await prepared_grus(client, (server,), connector, group)
        data = {"conversation": conversation_id}
        await client.press(group, LEADER, "live.start", data)
        await settle(server)
        before = await stored(server, conversation_id)

        process.send_signal(signal.SIGSTOP)  # the store hangs: no answer, no refusal
        try:
            answers = await asyncio.gather(
                *(
                    timed_press(
                        client, group, MEMBERS[n], "agreement.add", {**data, **agreement(n)}
                    )
                    for n in range(3)
                ),
                timed_press(client, group, LEADER, "live.next", {**data, "position": 0}),
            )
        finally:
            process.send_signal(signal.SIGCONT)
        for seconds, status, card in answers:
            assert status == 200 and seconds < PRESS_DEADLINE, (seconds, card_text(card))
            assert TOO_LATE in card_text(card)

        await settle(server)
        await server.parts.context.conversations.commits.drained()
        after = await stored(server, conversation_id)
        assert (after.agreements, after.live.position) == (before.agreements, 0)

        # "Prøv igen" applies each press once, however often it is pressed.
        for _, _, card in answers[:3]:
            verb, retry = retry_of(card)
            for _ in range(2):
                status, fresh = await client.press(group, MEMBERS[0], verb, retry)
                assert status == 200 and TOO_LATE not in card_text(fresh)
        assert len((await stored(server, conversation_id)).agreements) == 3
    finally:
        await server.stop()


async def test_presses_while_teams_answers_after_ten_seconds(
    tmp_path: Any, connector: ConnectorStandIn
) -> None:
    settings = Settings.from_env({"LOCAL_STORAGE_DIR": str(tmp_path / "data")})
    server = await BotServer(settings).start()
    try:
        client = Client(server)
        group = Chat("19:teams-slow@thread.v2", True, connector.service_url)
        conversation_id = await prepared_grus(client, (server,), connector, group)
        data = {"conversation": conversation_id}
        await client.press(group, LEADER, "live.start", data)
        await settle(server)

        connector.slow(10.0)
        # The meeting goes on: each press is answered at once, its card edits wait on Teams.
        for n in range(3):
            seconds, status, card = await timed_press(
                client, group, MEMBERS[n], "agreement.add", {**data, **agreement(n)}
            )
            assert status == 200 and "Aftalen er gemt" in card_text(card)
            assert seconds < PRESS_DEADLINE
        # A setup must ask Teams who is in the chat: it gives up in time, creating nothing.
        other = Chat("19:teams-slow-other@thread.v2", True, connector.service_url)
        connector.set_roster(other.id, [u.member() for u in (LEADER, *MEMBERS)])
        keys = await server.parts.store.keys("conversations/")
        seconds, status, card = await timed_press(client, other, LEADER, "setup.save", setup_data())
        assert status == 200 and seconds < PRESS_DEADLINE and TOO_LATE in card_text(card)
        assert await server.parts.store.keys("conversations/") == keys
        assert len((await stored(server, conversation_id)).agreements) == 3

        connector.slow(0)
        verb, retry = retry_of(card)
        assert verbs_on(card) == ["setup.save"]
        for _ in range(2):
            status, fresh = await client.press(other, LEADER, verb, retry)
            assert "Opsætningen er gemt" in card_text(fresh)
        assert len(await server.parts.store.keys("conversations/")) == len(keys) + 1
    finally:
        await server.stop()


async def test_a_busy_shared_thread_pool_holds_up_neither_presses_nor_the_plan(
    tmp_path: Any, connector: ConnectorStandIn
) -> None:
    """The default thread pool (which DNS lookups use) is kept busy: the state store, the
    documents and writing the plan each have threads of their own, so the meeting and its plan
    go on."""
    settings = Settings.from_env({"LOCAL_STORAGE_DIR": str(tmp_path / "data")})
    server = await BotServer(settings).start()
    loop = asyncio.get_running_loop()
    release = threading.Event()
    blockers = [loop.run_in_executor(None, release.wait) for _ in range(64)]
    try:
        client = Client(server)
        group = Chat("19:busy-pool@thread.v2", True, connector.service_url)
        conversation_id = await prepared_grus(client, (server,), connector, group)
        data = {"conversation": conversation_id}
        await client.press(group, LEADER, "live.start", data)
        status, card = await client.press(
            group, MEMBERS[0], "agreement.add", {**data, **agreement(0)}
        )
        assert "Aftalen er gemt" in card_text(card)
        status, card = await client.press(group, LEADER, "live.finish", data)
        assert status == 200
        await settle(server)
        versions = await server.parts.documents.versions(conversation_id, "plan")
        made = {"docx", "pdf"} if pdf_available() else {"docx"}  # the PDF too, not timed out
        assert {d.extension for d in versions if d.version == 1} == made
        assert not any(b.done() for b in blockers)  # the shared pool was busy all along
    finally:
        release.set()
        await asyncio.gather(*blockers)
        await server.stop()
