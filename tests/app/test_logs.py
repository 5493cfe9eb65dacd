"""Logs are JSON lines with a correlation id, and carry no conversation content or names."""

from __future__ import annotations

import json
import logging

import pytest

from bot.observability import JsonFormatter, configure_logging
from tests.app.harness import BotServer, Chat, Client
from tests.app.test_live_flow import EVERYONE, LEADER, MEMBERS, agreement, prepared_grus
from tests.support.connector import ConnectorStandIn

SECRET_NOTE = "Hemmelig-note-4711"


async def test_a_whole_conversation_logs_no_content(
    client: Client, server: BotServer, connector: ConnectorStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("DEBUG")  # as `LOG_LEVEL=DEBUG python app.py` would
    logging.getLogger().addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    group = Chat("19:grus-logs@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    await client.press(
        group,
        MEMBERS[0],
        "note.add",
        {**data, "note.perspective": "adfaerd", "note.text": SECRET_NOTE},
    )
    await client.press(group, MEMBERS[1], "agreement.add", {**data, **agreement(3)})
    connector.fail("send", 500, times=2)
    await client.press(group, LEADER, "live.finish", data)
    await client.press(
        group, MEMBERS[2], "agreement.add", {**data, "new.what": "x" * 600}
    )  # refused
    await server.settle()

    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert any('"activity handled"' in line for line in lines)
    handled = [json.loads(line) for line in lines if '"activity handled"' in line]
    assert all(entry["correlation"] != "-" for entry in handled)
    text = "\n".join(lines)
    for person in EVERYONE:
        assert person.name not in text
    for forbidden in (SECRET_NOTE, "Aftale nummer 03", "Hele gruppen", "Bedre trivsel"):
        assert forbidden not in text
    for line in lines:
        json.loads(line)
    logging.getLogger().handlers.clear()
