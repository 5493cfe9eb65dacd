"""Issue 3 end to end over HTTP: setup in a group chat of 12 → prompts in 1:1 chats (one 429, one
403 injected) → keyword choices with refusals → everyone's keywords in the group chat.

Issue 11: the keywords are sent as the card's toggles (``keyword.<name>``: ``"true"``/``"false"``)
and parsed strictly; the answer to a press appears on top and beside the button; after saving the
card folds to a summary, and ``prep.edit`` ("Ret") opens the form again; the prompt the bot edits
in place later shows the person's current state."""

from __future__ import annotations

from collections import Counter
from typing import Any

from cards.preparation import INPUT_KEYWORDS, keyword_input, note_input
from dialogs.concept import default_concept_path, load_concept
from tests.app.harness import BotServer, Chat, Client, card_of, card_text, nodes, user, verbs_on
from tests.support.connector import ConnectorStandIn

CONCEPT = load_concept(default_concept_path())

LEADER = user(1, "Lene Leder")
MEMBERS = [user(n) for n in range(2, 13)]  # with the leader, a roster of 12
BLOCKED = MEMBERS[4]
STRANGER = user(99, "Fremmed Person")
GOOD = ["Motivation", "Sparring", "Nærvær"]


def setup_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in MEMBERS),
        "date": "2099-03-02",
        "time": "09:30",
        "duration": "",
        "variant": "skema",
        "walk": "false",
        "workplace": "Borgerservice",
        "cofacilitator": "",
        "focus": "Trivsel i en travl tid",
        "wording_q1": "Hvordan trives I i Borgerservice?",
    }
    data.update(overrides)
    return data


def picked(*keywords: str, **extra: Any) -> dict[str, Any]:
    """What the preparation card sends: every keyword's toggle, the chosen ones switched on."""
    toggles = {keyword_input(k): "true" if k in keywords else "false" for k in CONCEPT.keywords}
    return {**toggles, **extra}


def one_to_one_sends(connector: ConnectorStandIn) -> Counter[str]:
    created = set(connector.conversations)
    return Counter(
        a["conversation"]["id"]
        for a in connector.activities(op="send")
        if a["conversation"]["id"] in created
    )


def chat_for(connector: ConnectorStandIn, member_id: str) -> str:
    for cid, info in connector.conversations.items():
        if any(m.get("id") == member_id for m in info["members"]):
            return cid
    raise AssertionError(f"no 1:1 chat with {member_id}")


def toggles_on(card: dict[str, Any] | None) -> list[dict[str, Any]]:
    return nodes(card, "Input.Toggle")


async def stored(server: BotServer, conversation_id: str) -> Any:
    conversation, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    return conversation


async def test_setup_prompts_choices_and_sharing(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-borgerservice@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [LEADER.member(), *(m.member() for m in MEMBERS)], page_size=5)

    # The leader asks for a setup card; the roster is read page by page (12 people, pages of 5).
    await client.say(group, LEADER, "ny GRUS")
    (setup_message,) = connector.activities(group.id)
    setup = card_of(setup_message)
    assert verbs_on(setup)[-1] == "setup.save"
    assert all(m.name in card_text(setup) for m in MEMBERS)
    assert sum(1 for r in connector.requests if r.op == "members") == 3

    # Save, while Teams throttles one prompt and one member has blocked the bot.
    connector.fail("send", 429, headers={"Retry-After": "0"})
    connector.block_user(BLOCKED.id)
    status, card = await client.press(group, LEADER, "setup.save", setup_data())
    assert status == 200
    assert "Opsætningen er gemt" in card_text(card)
    conversation_id = verbs_on(card) and card["actions"][0]["data"]["conversation"]
    await server.settle()

    sends = one_to_one_sends(connector)
    assert len(sends) == 11 and set(sends.values()) == {1}  # everyone but the blocked, once each
    assert any(r.op == "send" and r.status == 429 for r in connector.requests)
    prompt = card_of(connector.activities(chat_for(connector, MEMBERS[0].id), op="send")[0])
    assert "Hvordan trives I i Borgerservice?" in card_text(prompt)  # the leader's wording
    assert (
        "Hvornår motiveres I, og hvad skaber arbejdsglæde for jer og jeres kollegaer?"
        in card_text(prompt)
    )
    assert "2\\. marts 2099" in card_text(prompt)  # escaped: not a numbered list
    assert "09:30" in card_text(prompt)
    warning = card_of(connector.activities(group.id)[-1])
    assert f"{BLOCKED.name} kunne ikke nås" in card_text(warning)
    assert BLOCKED.id in (await server.parts.deliveries.get(conversation_id)).unreachable

    # Refusals: a fourth keyword, a keyword outside the concept, a stranger. Nothing changes.
    member_chat = Chat(chat_for(connector, MEMBERS[0].id), False, connector.service_url)
    before = await stored(server, conversation_id)
    refusals = [
        (MEMBERS[0], picked(*GOOD, "Mod"), "præcis tre"),
        (MEMBERS[0], picked(*GOOD[:2]), "præcis tre"),
        (
            MEMBERS[0],
            picked(*GOOD[:2], **{keyword_input("Kaffe"): "true"}),
            "»Kaffe« er ikke et af konceptets stikord",
        ),
        (MEMBERS[0], picked(*GOOD, **{keyword_input("Mod"): "ja"}), "Intet er ændret"),
        (MEMBERS[0], picked(*GOOD, **{keyword_input("Mod"): 1}), "Intet er ændret"),
        (MEMBERS[0], picked(*GOOD, **{keyword_input(""): "false"}), "Intet er ændret"),
        (MEMBERS[0], {INPUT_KEYWORDS: "Motivation,,Sparring"}, "Intet er ændret"),
        (STRANGER, picked(*GOOD), "deltager ikke"),
    ]
    for who, data, message in refusals:
        status, card = await client.press(
            member_chat, who, "prep.keywords", {"conversation": conversation_id, **data}
        )
        assert status == 200 and message in card_text(card), card_text(card)
    # The fourth keyword: refused beside the button (and on top), the four still ticked.
    status, card = await client.press(
        member_chat,
        MEMBERS[0],
        "prep.keywords",
        {
            "conversation": conversation_id,
            **picked(*GOOD, "Mod", **{note_input("adfaerd"): "Mit udkast"}),
        },
    )
    assert card is not None
    four = "Vælg præcis tre forskellige stikord (du valgte 4)."
    assert card_text(card["body"][0]).count(four) == 1
    assert card_text(card["body"][-1]).count(four) == 1
    assert verbs_on({"actions": card["actions"]}) == ["prep.keywords"]
    ticked = {e["title"] for e in toggles_on(card) if e["value"] == "true"}
    assert ticked == {*GOOD, "Mod"}
    assert "Mit udkast" in card_text(card)
    status, card = await client.press(
        member_chat,
        MEMBERS[0],
        "prep.keywords",
        {"conversation": "../../etc", "keywords": ",".join(GOOD)},
    )
    assert status == 200 and "finde den samtale" in card_text(card)
    assert await stored(server, conversation_id) == before

    # A stranger cannot remind or share.
    status, card = await client.press(
        group, STRANGER, "prep.remind", {"conversation": conversation_id}
    )
    assert "deltager ikke" in card_text(card)
    status, card = await client.press(
        group, MEMBERS[1], "prep.share", {"conversation": conversation_id}
    )
    assert "Kun lederen" in card_text(card)
    assert await stored(server, conversation_id) == before

    # Everyone reachable chooses, with private notes.
    for person in [LEADER, *MEMBERS]:
        if person is BLOCKED:
            continue
        chat = Chat(chat_for(connector, person.id), False, connector.service_url)
        status, card = await client.press(
            chat,
            person,
            "prep.keywords",
            {
                "conversation": conversation_id,
                **picked(*GOOD, **{note_input("adfaerd"): f"hemmeligt-{person.id}"}),
            },
        )
        assert "Dine stikord er gemt" in card_text(card)
        assert verbs_on(card) == ["prep.edit"] and toggles_on(card) == []  # folded
    await server.settle()
    group_text = "\n".join(card_text(card_of(a)) for a in connector.activities(group.id))
    assert "Jeres stikord" not in group_text  # not everyone has chosen yet
    assert "hemmeligt" not in group_text

    # The blocked member installs the app; the leader's reminder now reaches them once.
    connector.unblock_user(BLOCKED.id)
    status, card = await client.press(
        group, LEADER, "prep.remind", {"conversation": conversation_id}
    )
    assert "Jeg har påmindet 1" in card_text(card)
    await server.settle()
    blocked_chat = Chat(chat_for(connector, BLOCKED.id), False, connector.service_url)
    assert len(connector.activities(blocked_chat.id, op="send")) == 1
    await client.press(
        blocked_chat,
        BLOCKED,
        "prep.keywords",
        {"conversation": conversation_id, INPUT_KEYWORDS: "Mod,Ansvar,Helhed"},
    )  # a card sent before the toggles still sends the comma-joined list
    await server.settle()

    # When all have chosen, the group chat shows who chose which keywords, and nothing private.
    summary = card_text(card_of(connector.activities(group.id)[-1]))
    assert "Jeres stikord til GRUS" in summary
    assert f"{BLOCKED.name}" in summary and "Ansvar" in summary
    assert all(m.name in summary for m in MEMBERS)
    assert "hemmeligt" not in "\n".join(
        card_text(card_of(a)) for a in connector.activities(group.id)
    )
    assert set(one_to_one_sends(connector).values()) == {1}  # nobody prompted twice


async def test_a_mus_from_the_leaders_personal_chat_with_the_people_picker(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    leader_chat = Chat("a:leader-personal", False, connector.service_url)
    employee = MEMBERS[0]
    await client.say(leader_chat, LEADER, "ny MUS")
    setup = card_of(connector.activities(leader_chat.id)[-1])
    picker = next(e for e in setup["body"] if e.get("id") == "participants")
    assert picker["choices.data"]["dataset"] == "graph.microsoft.com/users"
    await client.say(leader_chat, LEADER, "ny GRUS")
    assert "gruppechatten" in card_text(card_of(connector.activities(leader_chat.id)[-1]))

    # The people picker gives Entra object ids; a roster id from somewhere else is refused.
    status, card = await client.press(
        leader_chat, LEADER, "setup.save", setup_data(kind="MUS", participants="29:not-a-guid")
    )
    assert "Vælg en af mulighederne" in card_text(card)
    # The refusal is on top and again right above the button that was pressed.
    assert card["body"][0]["id"] == "notice" and card["body"][-1]["id"] == "notice-below"
    assert "Vælg en af mulighederne" in card_text(card["body"][-1])
    assert verbs_on(card) == ["setup.save"]
    status, card = await client.press(
        leader_chat,
        LEADER,
        "setup.save",
        setup_data(kind="MUS", participants=employee.aad, wording_q1=""),
    )
    assert status == 200 and "Opsætningen er gemt" in card_text(card)
    conversation_id = card["actions"][0]["data"]["conversation"]
    await server.settle()
    prompt_chat = chat_for(connector, employee.aad)
    prompt = card_text(card_of(connector.activities(prompt_chat)[0]))
    assert "Forberedelse til MUS" in prompt
    assert (
        "Hvordan trives du helt grundlæggende med dit arbejde og dine opgaver?" in prompt
    )  # du-form

    # The employee answers from their own chat with their Teams id; the Entra id matches them.
    status, card = await client.press(
        Chat(prompt_chat, False, connector.service_url),
        employee,
        "prep.keywords",
        {"conversation": conversation_id, "keywords": ",".join(GOOD)},
    )
    assert "Dine stikord er gemt" in card_text(card)
    stored, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert stored.participant(employee.aad).name == employee.name  # learnt on their first press


async def test_the_leader_edits_the_setup_until_the_conversation_starts(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-edit@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [LEADER.member(), *(m.member() for m in MEMBERS)])
    status, card = await client.press(
        group, LEADER, "setup.save", setup_data(participants=",".join(m.id for m in MEMBERS[:3]))
    )
    conversation_id = card["actions"][0]["data"]["conversation"]
    await server.settle()
    assert len(one_to_one_sends(connector)) == 4

    status, card = await client.press(
        group, MEMBERS[0], "setup.open", {"conversation": conversation_id, "kind": "GRUS"}
    )
    assert "Kun lederen" in card_text(card)
    status, card = await client.press(
        group, LEADER, "setup.open", {"conversation": conversation_id, "kind": "GRUS"}
    )
    assert "Redigér GRUS" in card_text(card)
    edited = setup_data(
        conversation=conversation_id,
        participants=",".join(m.id for m in MEMBERS[:4]),
        wording_q1="Ny ordlyd?",
    )
    status, card = await client.press(group, LEADER, "setup.save", edited)
    assert "Ændringerne er gemt" in card_text(card)
    await server.settle()
    sends = one_to_one_sends(connector)
    assert len(sends) == 5 and set(sends.values()) == {1}  # only the newcomer got a new message
    updates = [r for r in connector.requests if r.op == "update" and r.status == 200]
    assert len(updates) == 4  # everyone else's card was refreshed in place
    assert all("Ny ordlyd?" in card_text(card_of(r.json)) for r in updates)

    await client.press(
        group, LEADER, "live.start", {"conversation": conversation_id, "force": True}
    )
    status, card = await client.press(group, LEADER, "setup.save", edited)
    assert status == 200 and "ikke lade sig gøre på dette tidspunkt" in card_text(card)


async def test_the_card_folds_after_saving_and_ret_opens_it_again(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-ret@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [LEADER.member(), *(m.member() for m in MEMBERS)])
    status, card = await client.press(
        group, LEADER, "setup.save", setup_data(participants=",".join(m.id for m in MEMBERS[:2]))
    )
    conversation_id = card["actions"][0]["data"]["conversation"]
    await server.settle()
    chooser, waiting = MEMBERS[0], MEMBERS[1]
    chooser_chat = Chat(chat_for(connector, chooser.id), False, connector.service_url)
    waiting_chat = chat_for(connector, waiting.id)
    ref = {"conversation": conversation_id}

    # Saved: the card folds to the summary; the notes are saved but not shown again.
    status, card = await client.press(
        chooser_chat,
        chooser,
        "prep.keywords",
        {**ref, **picked(*GOOD, **{note_input("struktur"): "mit-udkast"})},
    )
    assert status == 200 and card is not None
    saved = "Dine stikord er gemt."
    assert saved in card_text(card["body"][0]) and saved in card_text(card["body"][-1])
    assert "Dine stikord: Motivation, Sparring, Nærvær" in card_text(card)
    assert "Dine private noter er gemt" in card_text(card)
    assert "mit-udkast" not in card_text(card) and toggles_on(card) == []
    assert verbs_on({"actions": card["actions"]}) == ["prep.edit"]
    await server.settle()  # the save's own follow-up work (its index) is done
    before = await stored(server, conversation_id)

    # "Ret" answers with the full form, filled in; nothing is stored.
    status, card = await client.press(chooser_chat, chooser, "prep.edit", ref)
    assert status == 200
    assert {t["title"] for t in toggles_on(card) if t["value"] == "true"} == set(GOOD)
    assert "mit-udkast" in card_text(card)
    assert verbs_on({"actions": card["actions"]}) == ["prep.keywords"]
    assert "Dine stikord er gemt" not in card_text(card)

    # Only the person themselves, only in their 1:1 chat.
    status, card = await client.press(group, chooser, "prep.edit", ref)
    assert "kun rettes i din private chat" in card_text(card) and "mit-udkast" not in card_text(
        card
    )
    status, card = await client.press(chooser_chat, STRANGER, "prep.edit", ref)
    assert "deltager ikke" in card_text(card) and toggles_on(card) == []
    status, card = await client.press(chooser_chat, chooser, "prep.edit", {"conversation": "x"})
    assert "finde den samtale" in card_text(card)
    assert await stored(server, conversation_id) == before

    # The leader edits the setup: the delivered prompts show each person's current state, and
    # the banner of the earlier press is gone.
    status, card = await client.press(
        group,
        LEADER,
        "setup.save",
        setup_data(
            conversation=conversation_id,
            participants=",".join(m.id for m in MEMBERS[:2]),
            wording_q1="Ny ordlyd?",
        ),
    )
    assert "Ændringerne er gemt" in card_text(card)
    await server.settle()
    (folded,) = connector.activities(chooser_chat.id, op="update")
    folded_card = card_of(folded)
    assert "Ny ordlyd?" in card_text(folded_card)
    assert "Dine stikord: Motivation, Sparring, Nærvær" in card_text(folded_card)
    assert "stikord er gemt" not in card_text(folded_card)  # no banner of the earlier press
    assert "mit-udkast" not in card_text(folded_card)
    assert verbs_on(folded_card) == ["prep.edit"] and toggles_on(folded_card) == []
    (form,) = connector.activities(waiting_chat, op="update")
    assert verbs_on(card_of(form)) == ["prep.keywords"] and len(toggles_on(card_of(form))) == 33
    assert "Ændringerne er gemt" not in card_text(card_of(form))

    # Once the conversation has started (the leader confirms starting with one unprepared), the
    # prompts are locked and "Ret" is refused.
    await client.press(group, LEADER, "live.start", {**ref, "force": True})
    await server.settle()
    locked = card_of(connector.activities(chooser_chat.id, op="update")[-1])
    assert "stikordene kan ikke længere ændres" in card_text(locked)
    assert verbs_on(locked) == [] and toggles_on(locked) == []
    status, card = await client.press(chooser_chat, chooser, "prep.edit", ref)
    assert status == 200 and "ikke lade sig gøre på dette tidspunkt" in card_text(card)
    assert toggles_on(card) == [] and verbs_on(card) == []
    status, card = await client.press(
        chooser_chat, chooser, "prep.keywords", {**ref, **picked(*GOOD)}
    )
    assert "ikke lade sig gøre på dette tidspunkt" in card_text(card)
