"""Confidential by construction, over HTTP against the Bot Connector stand-in (issue 11):

- a MUS is held only where nobody else reads along: refused in a six-member group chat (nothing
  created, nobody prompted, a button that sets it up privately), and run to its plan in a chat of
  exactly the two of them and from the leader's 1:1 chat (the employee then works in their own
  1:1 chat, with the same live card edited in step);
- people who do not take part, or no longer do, get cards without content;
- a GRUS in a chat with onlookers shows them that it is under way and who takes part, never its
  content;
- starting with people unprepared asks first; the status card stays true as people prepare.
"""

from __future__ import annotations

from typing import Any

from tests.app.harness import BotServer, Chat, Client, card_of, card_text, press_activity, user
from tests.support.connector import ConnectorStandIn

LEADER = user(1, "Lene Leder")
EMPLOYEE = user(2, "Mads Medarbejder")
OTHERS = [user(n, f"Kollega {n}") for n in range(3, 7)]  # a group chat of six with the two
ONLOOKER = user(8, "Olga Onlooker")
STRANGER = user(99, "Fremmed Person")
KEYWORDS = ["Motivation", "Sparring", "Nærvær"]


def mus(participants: str, **more: Any) -> dict[str, Any]:
    return {
        "conversation": "",
        "kind": "MUS",
        "participants": participants,
        "date": "2099-05-04",
        "time": "10:00",
        "variant": "skema",
        **more,
    }


def chat_with(connector: ConnectorStandIn, member_id: str) -> Chat:
    for cid, info in connector.conversations.items():
        if not info["isGroup"] and any(m.get("id") == member_id for m in info["members"]):
            return Chat(cid, False, connector.service_url)
    raise AssertionError(f"no 1:1 chat with {member_id}")


async def choose(client: Client, chat: Chat, person: Any, conversation_id: str) -> str:
    status, card = await client.press(
        chat,
        person,
        "prep.keywords",
        {"conversation": conversation_id, "keywords": ",".join(KEYWORDS)},
    )
    assert status == 200, card_text(card)
    return card_text(card)


async def run_mus_to_its_plan(
    client: Client,
    server: BotServer,
    connector: ConnectorStandIn,
    home: Chat,
    participants: str,
) -> tuple[str, list[Chat]]:
    """Set up, prepare, start, agree, finish: the conversation id and where the live card is."""
    status, card = await client.press(home, LEADER, "setup.save", mus(participants))
    assert status == 200 and "Opsætningen er gemt" in card_text(card), card_text(card)
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await server.settle()
    leader_chat = home if not home.group else chat_with(connector, LEADER.id)
    employee_chat = chat_with(connector, EMPLOYEE.aad if not home.group else EMPLOYEE.id)
    await choose(client, leader_chat, LEADER, conversation_id)
    await choose(client, employee_chat, EMPLOYEE, conversation_id)
    data = {"conversation": conversation_id}
    status, card = await client.press(home, LEADER, "live.start", data)
    assert "Samtalen er startet" in card_text(card), card_text(card)
    await server.settle()
    agreement = {
        "form": "new",
        "new.perspective": "adfaerd",
        "new.what": "Kursus i konfliktløsning",
        "new.responsible": EMPLOYEE.aad if not home.group else EMPLOYEE.id,
    }
    status, card = await client.press(
        employee_chat, EMPLOYEE, "agreement.add", {**data, **agreement}
    )
    assert "Aftalen er gemt" in card_text(card), card_text(card)
    status, card = await client.press(home, LEADER, "live.finish", data)
    assert "Samtalen er afsluttet" in card_text(card), card_text(card)
    await server.settle()
    for chat in (leader_chat, employee_chat):
        plan = [a for a in connector.activities(chat.id) if "Hent Word" in card_text(card_of(a))]
        assert plan, f"no plan link in {chat.id}"
    return conversation_id, [leader_chat, employee_chat]


async def test_a_mus_in_a_six_member_chat_is_refused_and_nothing_is_made_or_sent(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:six@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [u.member() for u in (LEADER, EMPLOYEE, *OTHERS)])
    status, card = await client.press(group, LEADER, "setup.open", {"kind": "MUS"})
    assert "En MUS kan ikke holdes her" in card_text(card)
    status, card = await client.press(group, LEADER, "setup.save", mus(EMPLOYEE.id))
    assert status == 200
    shown = card_text(card)
    assert "fortrolig" in shown and "Kollega 3" in shown and "Opret den i min private chat" in shown
    await server.settle()
    assert await server.parts.store.keys("conversations/") == []
    assert [r.op for r in connector.requests if r.op != "members"] == []  # nobody prompted

    status, card = await client.press(group, LEADER, "setup.private", {"kind": "MUS"})
    assert "sendt opsætningen til din private chat" in card_text(card)
    private = chat_with(connector, LEADER.id)
    (setup,) = [card_of(a) for a in connector.activities(private.id)]
    picker = next(e for e in setup["body"] if e.get("id") == "participants")
    assert picker["choices.data"]["dataset"] == "graph.microsoft.com/users"
    assert await server.parts.store.keys("conversations/") == []


async def test_a_mus_in_a_chat_of_the_two_runs_to_its_plan(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    pair = Chat("19:the-two@thread.v2", True, connector.service_url)
    connector.set_roster(pair.id, [LEADER.member(), EMPLOYEE.member()])
    conversation_id, _ = await run_mus_to_its_plan(client, server, connector, pair, EMPLOYEE.id)
    live = (await server.parts.deliveries.get(conversation_id)).live
    assert [m.chat.conversation_id for m in live] == [pair.id]


async def test_a_mus_from_the_leaders_one_to_one_chat_runs_to_its_plan_in_both_chats(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    leader_chat = Chat("a:leader-personal", False, connector.service_url)
    conversation_id, chats = await run_mus_to_its_plan(
        client, server, connector, leader_chat, EMPLOYEE.aad
    )
    live = (await server.parts.deliveries.get(conversation_id)).live
    assert sorted(m.chat.conversation_id for m in live) == sorted(c.id for c in chats)
    for message in live:  # the same card, edited in step in both 1:1 chats
        shown = card_text(
            card_of(
                connector.current_activity(message.chat.conversation_id, message.activity_id) or {}
            )
        )
        assert "samtalen er afsluttet" in shown and "Kursus i konfliktløsning" in shown


async def test_someone_added_to_the_mus_chat_stops_the_start_naming_them(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    pair = Chat("19:pair-grows@thread.v2", True, connector.service_url)
    connector.set_roster(pair.id, [LEADER.member(), EMPLOYEE.member()])
    _, card = await client.press(pair, LEADER, "setup.save", mus(EMPLOYEE.id))
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await server.settle()
    connector.set_roster(pair.id, [LEADER.member(), EMPLOYEE.member(), ONLOOKER.member()])
    data = {"conversation": conversation_id, "force": True}
    _status, card = await client.press(pair, LEADER, "live.start", data)
    shown = card_text(card)
    assert "Olga Onlooker" in shown and "Fjern dem fra chatten" in shown
    stored, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert stored.phase == "preparation"


async def grus_with_an_onlooker(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> tuple[Chat, str]:
    group = Chat("19:grus-onlooked@thread.v2", True, connector.service_url)
    everyone = (LEADER, EMPLOYEE, *OTHERS[:2])
    connector.set_roster(group.id, [u.member() for u in (*everyone, ONLOOKER)])
    data = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(u.id for u in everyone[1:]),
        "date": "2099-05-04",
        "variant": "skema",
    }
    _status, card = await client.press(group, LEADER, "setup.save", data)
    assert "Deltager ikke" in card_text(card) and "Olga Onlooker" in card_text(card)
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await server.settle()
    for person in everyone:
        await choose(client, chat_with(connector, person.id), person, conversation_id)
    await server.settle()
    return group, conversation_id


async def test_a_grus_with_an_onlooker_never_shows_its_content_in_the_chat(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group, conversation_id = await grus_with_an_onlooker(client, server, connector)
    # Everyone's keywords went to the participants' own cards, not to the chat.
    assert not any("Sparring" in card_text(card_of(a)) for a in connector.activities(group.id))
    employee_prompt = connector.activities(chat_with(connector, EMPLOYEE.id).id)
    assert "Jeres stikord" in card_text(card_of(employee_prompt[-1]))
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    await client.press(
        group,
        EMPLOYEE,
        "note.add",
        {**data, "note.perspective": "adfaerd", "note.text": "Hemmelig note om trivsel"},
    )
    await server.settle()
    (live,) = (await server.parts.deliveries.get(conversation_id)).live
    shared = card_of(connector.current_activity(group.id, live.activity_id) or {})
    shown = card_text(shared)
    assert "Lene Leder" in shown and "Kun deltagerne ser" in shown
    assert (
        "Hemmelig note" not in shown and "Sparring" not in shown and "Hvordan trives" not in shown
    )
    assert shared["refresh"]["userIds"] == [LEADER.id, EMPLOYEE.id, OTHERS[0].id, OTHERS[1].id]
    # The onlooker pressing anything gets no content; a participant gets their own full view.
    _, card = await client.press(group, ONLOOKER, "live.refresh", data)
    assert "Du deltager ikke" in card_text(card) and "Hemmelig note" not in card_text(card)
    _, card = await client.press(group, EMPLOYEE, "live.refresh", data)
    assert "Hemmelig note om trivsel" in card_text(card)


async def test_strangers_and_people_who_left_get_no_content(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group, conversation_id = await grus_with_an_onlooker(client, server, connector)
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    await client.press(
        group,
        LEADER,
        "note.add",
        {**data, "note.perspective": "adfaerd", "note.text": "Fortroligt"},
    )
    elsewhere = Chat("19:another-chat@thread.v2", True, connector.service_url)
    for who, chat in ((STRANGER, elsewhere), (ONLOOKER, group)):
        for verb in ("live.refresh", "prep.status", "agreements.show"):
            status, card = await client.press(chat, who, verb, {**data, "from": 0})
            assert status == 200 and "Fortroligt" not in card_text(card), (who, verb)
            assert "Sparring" not in card_text(card), (who, verb)

    # Teams tells the bot that the employee left the chat: they may no longer read or add.
    gone = group.activity(LEADER, type="conversationUpdate", membersRemoved=[EMPLOYEE.member()])
    assert (await client.post(gone))[0] in (200, 201, 202)
    await server.settle()
    status, card = await client.press(group, EMPLOYEE, "live.refresh", data)
    assert "Fortroligt" not in card_text(card)
    status, card = await client.press(
        group, EMPLOYEE, "note.add", {**data, "note.perspective": "adfaerd", "note.text": "Sent"}
    )
    assert "Du deltager ikke" in card_text(card)
    stored, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert all(n.text != "Sent" for n in stored.notes)


async def test_before_it_starts_a_stranger_reads_nobody_s_name(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    _, conversation_id = await grus_with_an_onlooker(client, server, connector)
    elsewhere = Chat("19:another-chat@thread.v2", True, connector.service_url)
    for verb in ("live.refresh", "prep.status"):
        status, card = await client.press(
            elsewhere, STRANGER, verb, {"conversation": conversation_id}
        )
        shown = card_text(card)
        assert status == 200 and EMPLOYEE.name not in shown and LEADER.name not in shown, verb


async def test_starting_unprepared_asks_first_and_the_status_card_stays_true(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-status@thread.v2", True, connector.service_url)
    everyone = (LEADER, EMPLOYEE, *OTHERS)
    connector.set_roster(group.id, [u.member() for u in everyone])
    data = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(u.id for u in everyone[1:]),
        "date": "2099-05-04",
    }
    await client.say(group, LEADER, "ny GRUS")  # the setup card is a message in the chat ...
    await server.settle()
    setup_message = [s for s in connector.sent if s.conversation_id == group.id][-1].activity_id
    setup = press_activity(group, LEADER, "setup.save", data)
    setup["replyToId"] = setup_message  # ... and Teams names it on the press
    _, body = await client.post(setup)
    answer = body["value"]
    assert "Opsætningen er gemt" in card_text(answer)
    conversation_id = str(answer["actions"][0]["data"]["conversation"])
    await server.settle()
    # The pressed card became the status card for everyone, without the banner ...
    edited = [
        r for r in connector.requests if r.op == "update" and r.activity_id == "1700000000000"
    ]
    assert edited and "Opsætningen er gemt" not in card_text(card_of(edited[-1].json))
    assert "0 af 6 har valgt stikord" in card_text(card_of(edited[-1].json))
    # ... and it is edited as people prepare.
    await choose(client, chat_with(connector, EMPLOYEE.id), EMPLOYEE, conversation_id)
    await server.settle()
    edited = [
        r for r in connector.requests if r.op == "update" and r.activity_id == "1700000000000"
    ]
    assert "1 af 6 har valgt stikord" in card_text(card_of(edited[-1].json))

    _, card = await client.press(group, LEADER, "live.start", {"conversation": conversation_id})
    assert "5 har ikke valgt stikord endnu" in card_text(card) and "Start alligevel" in card_text(
        card
    )
    stored, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert stored.phase == "preparation"
    _status, card = await client.press(
        group, LEADER, "live.start", {"conversation": conversation_id, "force": True}
    )
    assert "Samtalen er startet" in card_text(card)

    # "status" in an employee's 1:1 chat finds their own conversation.
    await client.say(chat_with(connector, OTHERS[0].id), OTHERS[0], "status")
    await server.settle()
    replies = connector.activities(chat_with(connector, OTHERS[0].id).id, op="send")
    assert "samtalen er i gang" in card_text(card_of(replies[-1]))
