"""Meeting start and end events (RSC OnlineMeeting.ReadBasic.Chat) in the meeting chat."""

from __future__ import annotations

from tests.app.harness import BotServer, Chat, Client, card_of, card_text, verbs_on
from tests.app.test_live_flow import LEADER, prepared_grus
from tests.support.connector import ConnectorStandIn

START = "application/vnd.microsoft.meetingStart"
END = "application/vnd.microsoft.meetingEnd"


def meeting_event(chat: Chat, name: str) -> dict:
    details = {
        "Id": "meeting-1",
        "JoinUrl": "https://teams.example/join",
        "Title": "GRUS",
        "MeetingType": "Scheduled",
    }
    details["StartTime" if name == START else "EndTime"] = "2099-01-05T09:00:00Z"
    return chat.activity(
        LEADER,
        type="event",
        name=name,
        value=details,
        channelData={"tenant": {"id": "tenant-1"}, "meeting": {"id": "meeting-1"}},
    )


async def test_the_meeting_starting_and_ending_prompt_the_leader(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    meeting_chat = Chat("19:meeting_abc@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, meeting_chat)
    before = len(connector.activities(meeting_chat.id))

    status, _ = await client.post(meeting_event(meeting_chat, START))
    assert status in (200, 201, 202)
    posted = card_of(connector.activities(meeting_chat.id)[-1])
    assert len(connector.activities(meeting_chat.id)) == before + 1
    assert "Mødet er begyndt" in card_text(posted) and "live.start" in verbs_on(posted)

    await client.press(meeting_chat, LEADER, "live.start", {"conversation": conversation_id})
    await server.settle()
    count = len(connector.activities(meeting_chat.id))
    await client.post(meeting_event(meeting_chat, START))  # already live: nothing to say
    assert len(connector.activities(meeting_chat.id)) == count
    await client.post(meeting_event(meeting_chat, END))
    assert "Mødet er slut" in card_text(card_of(connector.activities(meeting_chat.id)[-1]))

    other = Chat("19:meeting_without@thread.v2", True, connector.service_url)
    await client.post(meeting_event(other, START))  # a meeting with no conversation: silence
    assert connector.activities(other.id) == []
