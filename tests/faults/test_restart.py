"""The bot killed and restarted in the middle of a meeting, over HTTP against the real app.

Instance A runs the live card in the group chat; the leader moves to question 3 and members add
agreements. A stops (gracefully, draining its follow-up work, or abruptly, with the pending
follow-up work cancelled), and instance B starts on the same store (Azurite, or the same
LOCAL_STORAGE_DIR). Presses on the existing live card continue where it was: next goes to
question 4, the same live card message is edited, every agreement is there, once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.app.harness import BotServer, Chat, Client, card_text
from tests.faults.conftest import (
    LEADER,
    MEMBERS,
    agreement,
    delivered,
    live_card_id,
    live_card_text,
    prepared_grus,
    settle,
    start_server,
    stored,
)
from tests.support.connector import ConnectorStandIn


def store_env(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if kind == "files":
        return {"LOCAL_STORAGE_DIR": str(tmp_path / "data")}
    azurite = request.getfixturevalue("azurite")
    return {
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
        "AZURE_STORAGE_CONTAINER": request.getfixturevalue("blob_container_name"),
    }


async def cancel_follow_up_work(server: BotServer) -> int:
    """What a killed process leaves behind: its follow-up work (fan-out, card edits) never
    finishes. Cancels every spawned task; returns how many were still under way."""
    tasks = [task for task in server.parts.tasks._tasks if not task.done()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return len(tasks)


@pytest.mark.parametrize(
    "store", [pytest.param("azurite", marks=pytest.mark.azurite), pytest.param("files")]
)
@pytest.mark.parametrize("stop", ["graceful", "abrupt"])
async def test_a_restarted_bot_continues_the_live_card_where_it_was(
    store: str,
    stop: str,
    connector: ConnectorStandIn,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    env = store_env(store, request, tmp_path)
    first = await start_server(env)
    running = [first]
    try:
        client = Client(first)
        group = Chat(f"19:grus-restart-{store}-{stop}@thread.v2", True, connector.service_url)
        conversation_id = await prepared_grus(client, (first,), connector, group)
        data = {"conversation": conversation_id}
        assert (await client.press(group, LEADER, "live.start", data))[0] == 200
        await settle(first)
        live_id = live_card_id(connector, group)
        assert "Spørgsmål 1 af 9" in live_card_text(connector, group, live_id)
        for position in (0, 1):
            status, card = await client.press(
                group, LEADER, "live.next", {**data, "position": position}
            )
            assert status == 200 and f"Spørgsmål {position + 2} af 9" in card_text(card)
        await settle(first)

        gate = {"closed": stop == "abrupt"}
        if stop == "abrupt":
            # Teams is slow to take the edits (throttled), so they are still under way when
            # the process dies.
            first.parts.teams.policy = type(first.parts.teams.policy)(base=1.0, cap=1.0)
            connector.fail("update", 429, times=1000, match=lambda _: gate["closed"])
        invokes = [f"restart-add-{n}" for n in range(4)]
        added = await asyncio.gather(
            *(
                client.press(
                    group,
                    MEMBERS[n],
                    "agreement.add",
                    {**data, **agreement(n)},
                    activity_id=invokes[n],
                )
                for n in range(4)
            )
        )
        assert all(status == 200 and "Aftalen er gemt" in card_text(c) for status, c in added)

        if stop == "abrupt":
            assert await cancel_follow_up_work(first) > 0, "no follow-up work was under way"
            gate["closed"] = False
            shown = live_card_text(connector, group, live_id)
            assert "Aftale nummer 00" not in shown  # the edits died with the process
        running.remove(first)
        await first.stop()
        if stop == "graceful":  # a graceful stop finished its edits first
            shown = live_card_text(connector, group, live_id)
            assert all(f"Aftale nummer {n:02d}" in shown for n in range(4)), shown

        # Instance B on the same store; people press on the card they have.
        second = await start_server(env)
        running.append(second)
        client = Client(second)
        edits_before = len(connector.requests)
        # Teams redelivers an invoke whose answer died with A: it adds nothing again.
        status, card = await client.press(
            group, MEMBERS[0], "agreement.add", {**data, **agreement(0)}, activity_id=invokes[0]
        )
        assert status == 200 and "Spørgsmål 3 af 9" in card_text(card)
        status, card = await client.press(group, LEADER, "live.next", {**data, "position": 2})
        assert status == 200 and "Spørgsmål 4 af 9" in card_text(card), card_text(card)
        status, card = await client.press(
            group, MEMBERS[4], "agreement.add", {**data, **agreement(4)}
        )
        assert status == 200 and "Aftalen er gemt" in card_text(card)
        await settle(second)

        conversation = await stored(second, conversation_id)
        assert conversation.live.position == 3
        assert sorted(a.what for a in conversation.agreements) == [
            f"Aftale nummer {n:02d}" for n in range(5)
        ]
        edits = [
            r
            for r in connector.requests[edits_before:]
            if r.op == "update" and r.status == 200 and r.conversation_id == group.id
        ]
        assert edits and {r.activity_id for r in edits} == {live_id}
        assert [m.activity_id for m in (await delivered(second, conversation_id)).live] == [live_id]
        shown = live_card_text(connector, group, live_id)
        assert "Spørgsmål 4 af 9" in shown
        assert all(f"Aftale nummer {n:02d}" in shown for n in range(5)), shown
        assert live_card_id(connector, group) == live_id  # edited, never posted again
    finally:
        for server in running:
            await server.stop()
