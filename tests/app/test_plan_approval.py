"""Issue 13 over HTTP against the Bot Connector stand-in: a development plan a municipality can
file.

- a MUS with Albertslund's concept runs to a plan both parties approve (a comment to the leader
  on the way), and the approvals are on the first page of the Word document, read back with
  python-docx; a new version needs approval again;
- a MUS finished without goals asks the leader first, and its plan says "Ingen udviklingsmål i
  år";
- a GRUS where two members have their own goals gives each of them a copy that leads with
  theirs, and once everyone has approved, an approved copy that still does;
- a MUS with Gentofte's concept (no keywords, its own agenda and fields) from setup to plan.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from dialogs.concept import concepts_dir
from settings import Settings
from tests.app.harness import BotServer, Chat, Client, card_of, card_text, nodes, user, verbs_on
from tests.app.test_confidentiality import EMPLOYEE, KEYWORDS, LEADER, chat_with, mus
from tests.app.test_live_flow import EVERYONE, MEMBERS, agreement, prepared_grus
from tests.app.test_plan_flow import fetch
from tests.support.connector import ConnectorStandIn

Card = dict[str, Any]


# --- helpers --------------------------------------------------------------------------------------


def cards_in(connector: ConnectorStandIn, chat: Chat, text: str) -> list[Card]:
    """The cards posted in ``chat`` (as they are now, after edits) that say ``text``."""
    found = []
    sent = [s for s in connector.sent if s.conversation_id == chat.id and s.op == "send"]
    for message in sent:
        current = connector.current_activity(chat.id, message.activity_id) or message.body
        card = card_of(current)
        if card is not None and text in card_text(card):
            found.append(card)
    return found


def word_link(card: Card) -> str:
    (url,) = [
        a["url"]
        for a in card.get("actions", [])
        if a.get("type") == "Action.OpenUrl" and "Word" in a.get("title", "")
    ]
    return str(url)


async def document_of(card: Card) -> DocxDocument:
    status, body = await fetch(word_link(card))
    assert status == 200
    return docx.Document(io.BytesIO(body))


def blocks(document: DocxDocument) -> list[Paragraph | Table]:
    return list(document.iter_inner_content())


def heading_1s(document: DocxDocument) -> list[str]:
    return [
        p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"
    ]


def table_after(document: DocxDocument, heading: str) -> list[list[str]]:
    """The rows of the first table after the Heading 1 ``heading``."""
    seen = False
    for block in blocks(document):
        if isinstance(block, Paragraph) and block.text == heading:
            seen = True
        elif seen and isinstance(block, Table):
            return [[cell.text for cell in row.cells] for row in block.rows]
    raise AssertionError(f"no table after {heading!r}")


def all_text(document: DocxDocument) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def button(card: Card, verb: str) -> dict[str, Any]:
    found = [
        node
        for node in nodes(card)
        if node.get("type") == "Action.Execute" and node.get("verb") == verb
    ]
    assert found, f"no {verb} on the card"
    return found[0]


async def mus_in_a_chat_of_two(
    client: Client, server: BotServer, connector: ConnectorStandIn, name: str
) -> tuple[str, Chat, Chat, Chat]:
    """A MUS set up and prepared in a chat of the two, started: its id and the pair's chat,
    the leader's and the employee's 1:1 chats."""
    pair = Chat(f"19:{name}@thread.v2", True, connector.service_url)
    connector.set_roster(pair.id, [LEADER.member(), EMPLOYEE.member()])
    _, card = await client.press(pair, LEADER, "setup.save", mus(EMPLOYEE.id))
    assert "Opsætningen er gemt" in card_text(card), card_text(card)
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await server.settle()
    leader_chat, employee_chat = chat_with(connector, LEADER.id), chat_with(connector, EMPLOYEE.id)
    for person, chat in ((LEADER, leader_chat), (EMPLOYEE, employee_chat)):
        data = {"conversation": conversation_id, "keywords": ",".join(KEYWORDS)}
        status, card = await client.press(chat, person, "prep.keywords", data)
        assert status == 200, card_text(card)
    _, card = await client.press(pair, LEADER, "live.start", {"conversation": conversation_id})
    assert "Samtalen er startet" in card_text(card), card_text(card)
    await server.settle()
    return conversation_id, pair, leader_chat, employee_chat


# --- Albertslund: a MUS to an approved plan -------------------------------------------------------


async def test_a_mus_with_albertslunds_concept_ends_in_a_plan_both_approve(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    conversation_id, pair, leader_chat, employee_chat = await mus_in_a_chat_of_two(
        client, server, connector, "approve"
    )
    data = {"conversation": conversation_id}
    goal = {
        "form": "new",
        "new.perspective": "opgaver",
        "new.what": "Kursus i Kompetenceudvikling for nye kolleger",
        "new.when": "Inden sommerferien",
        "new.who": "Mads og en mentor",
        "new.responsible": EMPLOYEE.id,
        "new.follow_up": "2099-06-01",
        "new.value": "Bedre modtagelse af nye kolleger",
        "new.shared_with": "Uddannelseskoordinatoren",
    }
    _, card = await client.press(employee_chat, EMPLOYEE, "agreement.add", {**data, **goal})
    assert "Aftalen er gemt" in card_text(card) and "Uddannelseskoordinatoren" in card_text(card)
    _, card = await client.press(pair, LEADER, "live.finish", data)
    assert "Samtalen er afsluttet" in card_text(card), card_text(card)
    await server.settle()

    # Each finds the plan in their own 1:1 chat with "Godkend planen"; the employee can also
    # write a comment, the leader (who gets the comments) cannot.
    (leader_card,) = cards_in(connector, leader_chat, "Godkend planen")
    (employee_card,) = cards_in(connector, employee_chat, "Godkend planen")
    assert set(verbs_on(employee_card)) == {"plan.approve", "plan.comment", "plan.link"}
    assert set(verbs_on(leader_card)) == {"plan.approve", "plan.link"}
    assert "Mangler at godkende: Lene Leder, Mads Medarbejder." in card_text(leader_card)
    first = await document_of(employee_card)
    assert heading_1s(first)[0] == "Godkendelse"
    assert [row[2] for row in table_after(first, "Godkendelse")[1:]] == [
        "Ikke godkendt endnu",
        "Ikke godkendt endnu",
    ]
    assert "Uddannelseskoordinatoren" in all_text(first)  # "kan deles med" in Fortrolighed

    # A comment goes to the leader's 1:1 chat.
    approve = button(employee_card, "plan.approve")["data"]
    comment = {**approve, "comment.text": "Kan vi tilføje en dato for mentorordningen?"}
    _, card = await client.press(employee_chat, EMPLOYEE, "plan.comment", comment)
    assert "Din kommentar er sendt til Lene Leder" in card_text(card), card_text(card)
    await server.settle()
    (delivered,) = cards_in(connector, leader_chat, "har en kommentar til udviklingsplanen")
    assert "Mads Medarbejder" in card_text(delivered)
    assert "Kan vi tilføje en dato for mentorordningen?" in card_text(delivered)
    assert not cards_in(connector, pair, "mentorordningen")  # never in the shared chat

    # The employee approves: the leader's card in the chat shows who has not yet.
    _, card = await client.press(employee_chat, EMPLOYEE, "plan.approve", approve)
    assert "du har godkendt udviklingsplanen" in card_text(card), card_text(card)
    assert "plan.approve" not in verbs_on(card) and "Du godkendte planen" in card_text(card)
    await server.settle()
    (ready,) = cards_in(connector, pair, "Udviklingsplanen (version 1) er lavet")
    assert "1 af 2 har godkendt" in card_text(ready)
    assert "Mangler at godkende: Lene Leder." in card_text(ready)

    # The leader approves: everyone has their approved plan, with both approvals on its first
    # page.
    _, card = await client.press(leader_chat, LEADER, "plan.approve", approve)
    assert "du har godkendt udviklingsplanen" in card_text(card)
    await server.settle()
    (ready,) = cards_in(connector, pair, "Udviklingsplanen (version 1) er lavet")
    assert "Alle har godkendt udviklingsplanen (version 1)" in card_text(ready)
    for chat in (leader_chat, employee_chat):
        (approved,) = cards_in(connector, chat, "Alle har godkendt udviklingsplanen. Her er")
        document = await document_of(approved)
        first_page = table_after(document, "Godkendelse")
        assert [row[0] for row in first_page[1:]] == ["Lene Leder", "Mads Medarbejder"]
        for row in first_page[1:]:
            assert row[2].endswith(f"{date.today().year} kl. {row[2][-5:]}"), row
            assert row[2] != "Ikke godkendt endnu"
    stored, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert stored is not None and stored.plan_approved

    # "Lav udviklingsplanen igen": version 2 needs approval again; version 1's stay with it.
    _, card = await client.press(pair, LEADER, "plan.generate", data)
    await server.settle()
    stored, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert stored is not None and stored.plan_version == 2 and not stored.plan_approved
    assert len(stored.approvals_of(1)) == 2
    _, card = await client.press(employee_chat, EMPLOYEE, "plan.approve", approve)
    assert "nyere udgave af udviklingsplanen (version 2)" in card_text(card), card_text(card)
    assert button(card, "plan.approve")["data"]["version"] == 2
    versions = cards_in(connector, employee_chat, "er klar (version 2)")
    assert versions and "plan.approve" in verbs_on(versions[-1])


# --- Albertslund: a MUS without goals ------------------------------------------------------------


async def test_a_mus_finished_without_goals_says_so_in_its_plan(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    conversation_id, pair, leader_chat, _ = await mus_in_a_chat_of_two(
        client, server, connector, "no-goals"
    )
    data = {"conversation": conversation_id}
    finish = {**data, "finish.confidentiality": "Intet må videregives"}
    _, card = await client.press(pair, LEADER, "live.finish", finish)
    shown = card_text(card)
    assert "En MUS skal munde ud i en udviklingsplan" in shown, shown
    confirm = button(card, "live.finish")
    assert confirm["title"] == "Ingen udviklingsmål i år – afslut"
    assert confirm["data"]["no_goals"] is True
    assert confirm["data"]["finish.confidentiality"] == "Intet må videregives"  # kept
    stored, _ = await server.parts.store.load(f"conversations/{conversation_id}")
    assert stored is not None and stored.phase == "live"  # nothing closed yet

    _, card = await client.press(pair, LEADER, "live.finish", confirm["data"])
    assert "Samtalen er afsluttet" in card_text(card), card_text(card)
    await server.settle()
    (plan,) = cards_in(connector, leader_chat, "Godkend planen")
    document = await document_of(plan)
    text = all_text(document)
    assert "Ingen udviklingsmål i år." in text and "Intet må videregives" in text


# --- a GRUS where members have own goals ------------------------------------------------------------


async def test_a_grus_gives_each_member_with_own_goals_a_copy_that_leads_with_them(
    client: Client, server: BotServer, connector: ConnectorStandIn
) -> None:
    group = Chat("19:grus-own-goals@thread.v2", True, connector.service_url)
    conversation_id = await prepared_grus(client, (server,), connector, group)
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    owners = MEMBERS[1], MEMBERS[2]
    presses = [
        {**agreement(0), "new.what": "Fælles tavlemøde hver morgen"},
        {**agreement(1), "new.what": "Mentor for Medlem 3", "new.member": owners[0].id},
        {**agreement(2), "new.what": "Kursus i dialog for Medlem 4", "new.member": owners[1].id},
        {**agreement(3), "new.what": "Praktik i Borgerservice", "new.member": owners[0].id},
    ]
    for press in presses:
        _, card = await client.press(group, MEMBERS[0], "agreement.add", {**data, **press})
        assert "Aftalen er gemt" in card_text(card), card_text(card)
    _, card = await client.press(
        group, LEADER, "live.finish", {**data, "finish.confidentiality": ""}
    )
    assert "Samtalen er afsluttet" in card_text(card), card_text(card)
    await server.settle()

    async def copy_of(person: Any) -> tuple[str, DocxDocument]:
        (card,) = cards_in(connector, chat_with(connector, person.id), "Godkend planen")
        return word_link(card), await document_of(card)

    mine: dict[str, str] = {}
    for owner, goals in ((owners[0], ("Mentor", "Praktik")), (owners[1], ("Kursus i dialog",))):
        link, document = await copy_of(owner)
        mine[owner.id] = link.split("?")[0]
        headings = heading_1s(document)
        lead = f"Egne udviklingsmål: {owner.name}"
        assert headings[:2] == ["Godkendelse", lead], headings
        body = [b for b in blocks(document)]
        start = next(i for i, b in enumerate(body) if isinstance(b, Paragraph) and b.text == lead)
        end = next(
            i
            for i, b in enumerate(body)
            if i > start and isinstance(b, Paragraph) and b.text == "Stikord for samtalen"
        )
        leading = "\n".join(
            cell.text
            for b in body[start:end]
            if isinstance(b, Table)
            for row in b.rows
            for cell in row.cells
        )
        assert all(goal in leading for goal in goals), leading
        assert "Fælles tavlemøde" not in leading  # the group's goals follow, in the perspectives
    assert mine[owners[0].id] != mine[owners[1].id]  # each their own document

    link, group_plan = await copy_of(MEMBERS[0])  # no own goals: the group's plan
    headings = heading_1s(group_plan)
    assert not any(h.startswith("Egne udviklingsmål:") for h in headings)
    assert headings.index("Egne udviklingsmål") > headings.index("Opgaver")  # after the group's
    text = all_text(group_plan)
    assert owners[0].name in text and owners[1].name in text and "Praktik i Borgerservice" in text
    assert link.split("?")[0] not in mine.values()

    # Once everyone has approved, each owner's approved copy still leads with their goals and
    # shows every approval on its first page.
    for person in EVERYONE:
        chat = chat_with(connector, person.id)
        (card,) = cards_in(connector, chat, "Godkend planen")
        _, answer = await client.press(
            chat, person, "plan.approve", button(card, "plan.approve")["data"]
        )
        assert "du har godkendt" in card_text(answer), card_text(answer)
    await server.settle()
    for owner in owners:
        chat = chat_with(connector, owner.id)
        (approved,) = cards_in(connector, chat, "Alle har godkendt udviklingsplanen. Her er")
        assert word_link(approved).split("?")[0] != mine[owner.id]  # a newer rendering
        document = await document_of(approved)
        assert heading_1s(document)[1] == f"Egne udviklingsmål: {owner.name}"
        first_page = table_after(document, "Godkendelse")[1:]
        assert len(first_page) == len(EVERYONE)
        assert "Ikke godkendt endnu" not in [row[2] for row in first_page]


# --- Gentofte: a MUS from setup to plan ------------------------------------------------------------


@pytest.fixture
async def gentofte_server(tmp_path: Path, connector: ConnectorStandIn) -> AsyncIterator[BotServer]:
    settings = Settings.from_env(
        {
            "LOCAL_STORAGE_DIR": str(tmp_path / "data"),
            "CONCEPT_FILE": str(concepts_dir() / "gentofte.json"),
        }
    )
    server = await BotServer(settings).start()
    yield server
    await server.stop()


async def test_a_mus_with_gentoftes_concept_from_setup_to_plan(
    gentofte_server: BotServer, connector: ConnectorStandIn
) -> None:
    server, client = gentofte_server, Client(gentofte_server)
    pair = Chat("19:gentofte@thread.v2", True, connector.service_url)
    connector.set_roster(pair.id, [LEADER.member(), EMPLOYEE.member()])
    await client.say(pair, LEADER, "hjælp")
    await server.settle()
    (help_card,) = cards_in(connector, pair, "Samtaleguide – udviklingssamtaler")
    assert "Konceptet i brug: **Gentofte Kommune**" in card_text(help_card)
    assert "stikord" not in card_text(help_card)

    _, card = await client.press(pair, LEADER, "setup.save", mus(EMPLOYEE.id))
    assert "Opsætningen er gemt" in card_text(card), card_text(card)
    assert "0 af 2 er forberedt" in card_text(card)
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    data = {"conversation": conversation_id}
    await server.settle()
    employee_chat = chat_with(connector, EMPLOYEE.id)
    (prompt,) = cards_in(connector, employee_chat, "Forberedelse til MUS")
    shown = card_text(prompt)
    assert "Opsamling på mål og resultater fra sidste samtale" in shown
    assert "Konkretisering af kompetenceudviklingsplanen." in shown
    assert "Strategisk ledelse" not in shown  # a LUS point
    assert "Vælg præcis tre stikord" not in shown and "Jeg er forberedt" in shown
    notes = {**data, "note_kompetence": "Jeg vil gerne på kursus"}
    _, card = await client.press(employee_chat, EMPLOYEE, "prep.keywords", notes)
    assert "Tak – du er meldt forberedt" in card_text(card) and "Du er forberedt" in card_text(card)
    _, card = await client.press(pair, LEADER, "prep.status", data)
    assert "1 af 2 er forberedt" in card_text(card) and "✅ Mads Medarbejder er forberedt" in (
        card_text(card)
    )

    _, card = await client.press(pair, LEADER, "live.start", data)
    assert "1 har ikke meldt sig forberedt endnu" in card_text(card), card_text(card)
    _, card = await client.press(pair, LEADER, "live.start", {**data, "force": True})
    assert "Samtalen er startet" in card_text(card)
    _, card = await client.press(pair, EMPLOYEE, "live.refresh", data)
    shown = card_text(card)
    assert "Opsamling på mål og resultater fra sidste samtale" in shown
    assert "Spørgsmål 1 af 7" in shown
    for label in ("Udviklingsmål/kompetencemål: hvad skal nås?", "Tidshorisont (typisk 1–2 år)"):
        assert label in shown
    goal = {
        "form": "new",
        "new.perspective": "kompetence",
        "new.what": "Kompetenceudvikling i digital sagsbehandling",
        "new.how": "Sidemandsoplæring og et kursus",
        "new.core_task": "Hurtigere svar til borgerne",
        "new.who": "En erfaren kollega",
        "new.use": "I den daglige sagsbehandling fra foråret",
        "new.horizon": "1–2 år",
        "new.responsible": EMPLOYEE.id,
        "new.follow_up": "2099-06-01",
        "new.shared_with": "HR (kursusbudgettet)",
    }
    _, card = await client.press(pair, EMPLOYEE, "agreement.add", {**data, **goal})
    assert "Aftalen er gemt" in card_text(card), card_text(card)
    assert "Sidemandsoplæring og et kursus" in card_text(card)
    _, card = await client.press(pair, LEADER, "live.finish", data)
    assert "Samtalen er afsluttet" in card_text(card), card_text(card)
    await server.settle()

    (plan,) = cards_in(connector, employee_chat, "Godkend planen")
    document = await document_of(plan)
    assert document.paragraphs[0].text == "KOMPETENCEUDVIKLINGSPLAN"
    assert "Stikord for samtalen" not in heading_1s(document)
    assert heading_1s(document)[:3] == ["Godkendelse", "Opfølgning", "Udvikling og rolle"]
    text = all_text(document)
    for expected in (
        "Kompetenceudvikling i digital sagsbehandling",
        "Sidemandsoplæring og et kursus",
        "Kerneopgaven",
        "Tidshorisont",
        "1–2 år",
        "hvilke oplysninger, der kan videregives og til hvem",  # Gentofte's own rule
        "HR (kursusbudgettet)",
    ):
        assert expected in text, expected

    # The follow-up reminder shows the development goal with Gentofte's fields.
    await server.parts.reminders.run_once(date(2099, 6, 1))
    (reminder,) = cards_in(connector, employee_chat, "Opfølgning på jeres MUS")
    assert "Hvordan" in card_text(reminder) and "Sidemandsoplæring og et kursus" in card_text(
        reminder
    )
    assert user(99).id not in card_text(reminder)
