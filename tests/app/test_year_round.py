"""Issue 16 over HTTP on Azurite: the year's round.

- a leader with conversations in several states this year and last sees them in "Mine
  samtaler", with "Mangler i år" right (last year's round is run by the bot itself with its
  clock a year back);
- an employee sees the agreements they are responsible for from a GRUS and a MUS in "Mine
  aftaler" and marks one done there (and moves another);
- HR gets the figures per workplace and kind, small counts as "< 5", as a card and as a CSV
  file by a short-lived link, and neither holds any name or text of the conversations;
- anyone else asking for the figures is refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from cards import verbs
from dialogs.conversation import Approval
from settings import Settings
from tests.app.harness import BotServer, Chat, Client, User, card_of, card_text, nodes, user
from tests.app.test_confidentiality import chat_with
from tests.support.connector import ConnectorStandIn

LEADER = user(1, "Lene Leder")
ANNA = user(2, "Anna Andersen")
BO = user(3, "Bo Bertelsen")
CARL = user(4, "Carl Clausen")
DINA = user(5, "Dina Dalgaard")
EVA = user(6, "Eva Eriksen")
HR = user(40, "Helle Hansen HR")
KEYWORDS = ["Motivation", "Sparring", "Nærvær"]
ZONE = ZoneInfo("Europe/Copenhagen")
TODAY = datetime.now(ZONE).date()
YEAR = TODAY.year


def env_for(azurite: Any, container: str, **more: str) -> dict[str, str]:
    return {
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
        "AZURE_STORAGE_CONTAINER": container,
        "AZURE_STORAGE_DOCUMENTS_CONTAINER": container + "-docs",
        "REMINDER_INTERVAL_SECONDS": "0",
        **more,
    }


@pytest.fixture
async def start(
    azurite: Any, blob_container_name: str
) -> AsyncIterator[Callable[..., Awaitable[BotServer]]]:
    """Start the app on this test's Azurite container (``utc_now``: the bot's clock); every
    instance started is stopped at the end."""
    running: list[BotServer] = []

    async def starter(utc_now: Callable[[], datetime] | None = None, **more: str) -> BotServer:
        settings = Settings.from_env(env_for(azurite, blob_container_name, **more))
        server = await BotServer(settings, utc_now=utc_now).start()
        policy = type(server.parts.teams.policy)
        server.parts.teams.policy = policy(attempts=6, base=0.01, cap=0.05)
        running.append(server)
        return server

    yield starter
    for server in running:
        await server.stop()


def a_year_ago() -> datetime:
    return datetime(YEAR - 1, 2, 1, 9, 0, tzinfo=UTC)


async def mus(
    client: Client,
    server: BotServer,
    connector: ConnectorStandIn,
    employee: User,
    day: str,
    until: str,
    *,
    workplace: str = "Rådhuset",
    agreements: tuple[tuple[str, str], ...] = (),
) -> str:
    """A MUS held in a chat of just the two of them on ``day``, taken ``until`` ``set_up``,
    ``live`` or ``finished``; ``agreements``: (what, follow-up day), the employee responsible."""
    home = Chat(f"19:mus-{employee.id}-{day}@thread.v2", True, connector.service_url)
    connector.set_roster(home.id, [LEADER.member(), employee.member()])
    setup = {
        "conversation": "",
        "kind": "MUS",
        "participants": employee.id,
        "date": day,
        "time": "10:00",
        "workplace": workplace,
        "focus": "Fokus på arbejdsglæde i teamet",
    }
    status, card = await client.press(home, LEADER, "setup.save", setup)
    assert status == 200 and "Opsætningen er gemt" in card_text(card), card_text(card)
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await server.settle()
    if until == "set_up":
        return conversation_id
    for person in (LEADER, employee):
        await choose(client, chat_with(connector, person.id), person, conversation_id)
    data = {"conversation": conversation_id}
    status, card = await client.press(home, LEADER, "live.start", data)
    assert "Samtalen er startet" in card_text(card), card_text(card)
    await client.press(
        home,
        employee,
        "note.add",
        {**data, "note.perspective": "adfaerd", "note.text": "Hemmelig note om trivslen"},
    )
    for what, due in agreements:
        status, card = await client.press(
            home,
            employee,
            "agreement.add",
            {
                **data,
                "form": "new",
                "new.perspective": "opgaver",
                "new.what": what,
                "new.responsible": employee.id,
                "new.follow_up": due,
            },
        )
        assert "Aftalen er gemt" in card_text(card), card_text(card)
    if until == "finished":
        if not agreements:  # a MUS ends in a plan: the leader confirms "Ingen udviklingsmål i år"
            status, card = await client.press(home, LEADER, "live.finish", data)
            assert "Ingen udviklingsmål i år" in card_text(card), card_text(card)
            data = {**data, verbs.DATA_NO_GOALS: True}
        status, card = await client.press(home, LEADER, "live.finish", data)
        assert "Samtalen er afsluttet" in card_text(card), card_text(card)
    await server.settle()
    return conversation_id


async def choose(client: Client, chat: Chat, person: User, conversation_id: str) -> None:
    status, card = await client.press(
        chat,
        person,
        "prep.keywords",
        {"conversation": conversation_id, "keywords": ",".join(KEYWORDS)},
    )
    assert status == 200 and "Dine stikord er gemt" in card_text(card), card_text(card)


async def grus(
    client: Client,
    server: BotServer,
    connector: ConnectorStandIn,
    members: list[User],
    day: str,
    until: str,
    *,
    workplace: str = "Skolen",
    agreements: tuple[tuple[User, str, str], ...] = (),
) -> str:
    """A GRUS led by the leader on ``day``; ``agreements``: (responsible, what, follow-up)."""
    group = Chat(f"19:grus-{day}-{len(members)}@thread.v2", True, connector.service_url)
    connector.set_roster(group.id, [u.member() for u in (LEADER, *members)])
    setup = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in members),
        "date": day,
        "workplace": workplace,
    }
    status, card = await client.press(group, LEADER, "setup.save", setup)
    assert status == 200 and "Opsætningen er gemt" in card_text(card), card_text(card)
    conversation_id = str(card["actions"][0]["data"]["conversation"])
    await server.settle()
    if until == "set_up":
        return conversation_id
    for person in (LEADER, *members):
        await choose(client, chat_with(connector, person.id), person, conversation_id)
    data = {"conversation": conversation_id}
    await client.press(group, LEADER, "live.start", data)
    for responsible, what, due in agreements:
        agreement = {
            "form": "new",
            "new.perspective": "struktur",
            "new.what": what,
            "new.responsible": responsible.id,
            "new.follow_up": due,
        }
        status, card = await client.press(
            group, responsible, "agreement.add", {**data, **agreement}
        )
        assert "Aftalen er gemt" in card_text(card), card_text(card)
    if until == "finished":
        await client.press(group, LEADER, "live.finish", data)
    await server.settle()
    return conversation_id


def day_of(value: date) -> str:
    return value.isoformat()


def lines(card: dict[str, Any] | None) -> list[str]:
    return card_text(card).splitlines()


def danish(value: date) -> str:
    months = "januar,februar,marts,april,maj,juni,juli,august,september,oktober,november,december"
    return f"{value.day}\\. {months.split(',')[value.month - 1]} {value.year}"


async def test_a_leader_sees_the_round_and_whom_they_still_need_to_see(
    start: Callable[..., Awaitable[BotServer]], connector: ConnectorStandIn
) -> None:
    # Last year, run by the bot with its clock a year back: MUS with Anna, Bo and Carl held,
    # one with Dina only set up (never held).
    then = await start(utc_now=a_year_ago)
    client = Client(then)
    last = [date(YEAR - 1, 3, 10), date(YEAR - 1, 3, 11), date(YEAR - 1, 3, 12)]
    for employee, day in zip((ANNA, BO, CARL), last, strict=True):
        await mus(client, then, connector, employee, day_of(day), "finished")
    await mus(client, then, connector, DINA, day_of(date(YEAR - 1, 4, 1)), "set_up")
    await then.stop()

    # This year: Anna's MUS held and finished, Bo's set up, a GRUS under way.
    now = await start()
    client = Client(now)
    held = await mus(client, now, connector, ANNA, day_of(TODAY), "finished")
    planned = await mus(client, now, connector, BO, day_of(TODAY), "set_up")
    live = await grus(client, now, connector, [CARL, DINA, EVA], day_of(TODAY), "live")

    mine = chat_with(connector, LEADER.id)
    status, card = await client.press(mine, LEADER, "my.conversations")
    assert status == 200
    shown = lines(card)
    assert "Mine samtaler" in shown and str(YEAR) in shown and str(YEAR - 1) in shown
    # by year, then by state: this year set up (Bo), under way (the GRUS), finished (Anna) ...
    order = [s for s in shown if s.endswith(")") and s.split(" (")[0] in STATE_NAMES]
    assert order == [
        "Oprettet (1)",
        "I gang (1)",
        "Afsluttet (1)",
        "Oprettet (1)",  # ... last year: Dina's, never held
        "Afsluttet (3)",
    ]
    text = card_text(card)
    assert f"**MUS** · {danish(TODAY)} · Bo Bertelsen" in text
    assert f"**GRUS** · {danish(TODAY)} · 4 deltagere" in text
    assert "Anna Andersen" in text and "Carl Clausen" in text
    # "Mangler i år": held with Bo and Carl last year, not yet this year; Bo's is planned
    assert "Mangler i år (2)" in shown
    assert f"- Bo Bertelsen – sidst {danish(last[1])}, planlagt {danish(TODAY)}" in shown, shown
    assert f"- Carl Clausen – sidst {danish(last[2])}" in shown
    missing = text.split("Mangler i år")[1]
    assert "Anna" not in missing and "Dina" not in missing
    # Each opens its status card, or once finished its plan.
    opened = {b["data"]["conversation"]: b["verb"] for b in _buttons(card, "Åbn")}
    assert opened[held] == "plan.link" and opened[planned] == opened[live] == "prep.status"
    status, answer = await client.press(mine, LEADER, "prep.status", {"conversation": planned})
    assert "MUS – forberedelse" in card_text(answer)
    # Nothing here is content: no notes, no keywords, no focus points.
    for content in ("Hemmelig note", "Motivation", "Fokus på arbejdsglæde"):
        assert content not in text

    # The text command gives the same card; in a group chat it says where to look.
    await client.say(mine, LEADER, "mine samtaler")
    await now.settle()
    posted = card_of(connector.activities(mine.id)[-1])
    assert "Mangler i år (2)" in card_text(posted)
    group = Chat("19:somewhere@thread.v2", True, connector.service_url)
    await client.say(group, LEADER, "mine samtaler")
    await now.settle()
    assert "kun i din private chat" in connector.activities(group.id)[-1]["text"]
    status, card = await client.press(group, LEADER, "my.conversations")
    assert "kun i din private chat" in card_text(card) and "Anna" not in card_text(card)
    # An employee leads nothing.
    status, card = await client.press(chat_with(connector, EVA.id), EVA, "my.conversations")
    assert f"Du leder ingen samtaler i {YEAR - 1}, {YEAR} eller senere." in card_text(card)


STATE_NAMES = {"Oprettet", "Forberedes", "I gang", "Afsluttet", "Plan godkendt"}


def _buttons(card: dict[str, Any] | None, title: str) -> list[dict[str, Any]]:
    return [n for n in nodes(card, "Action.Execute") if n.get("title") == title]


async def test_an_employee_sees_their_agreements_and_marks_one_done(
    start: Callable[..., Awaitable[BotServer]], connector: ConnectorStandIn
) -> None:
    server = await start()
    client = Client(server)
    soon, later = TODAY + timedelta(days=30), TODAY + timedelta(days=60)
    from_mus = await mus(
        client,
        server,
        connector,
        ANNA,
        day_of(TODAY),
        "finished",
        agreements=(("Kursus i konfliktløsning", day_of(later)),),
    )
    from_grus = await grus(
        client,
        server,
        connector,
        [ANNA, BO],
        day_of(TODAY),
        "finished",
        agreements=(
            (ANNA, "Fast sparringsmøde hver anden uge", day_of(soon)),
            (BO, "Bo skriver referatet", day_of(soon)),
        ),
    )
    anna = chat_with(connector, ANNA.id)
    status, card = await client.press(anna, ANNA, "my.agreements")
    assert status == 200
    text = card_text(card)
    # Both of hers, open ones by follow-up date (the GRUS's first); not Bo's.
    assert text.index("Fast sparringsmøde") < text.index("Kursus i konfliktløsning")
    assert "Bo skriver referatet" not in text
    assert f"GRUS {danish(TODAY)} · Opfølgning {danish(soon)}" in text
    assert f"MUS {danish(TODAY)} · Opfølgning {danish(later)}" in text

    # "Marker som udført" on the GRUS's agreement: the answer is this card again.
    (done,) = [
        b for b in _buttons(card, "Marker som udført") if b["data"]["conversation"] == from_grus
    ]
    status, card = await client.press(anna, ANNA, "followup.done", done["data"])
    text = card_text(card)
    assert "Aftalen er markeret som udført." in text and "Mine aftaler" in text
    assert text.index("Kursus i konfliktløsning") < text.index("Fast sparringsmøde")
    assert "✅ Udført" in text
    stored, _ = await server.parts.store.load(f"conversations/{from_grus}")
    agreement = next(a for a in stored.agreements if a.what.startswith("Fast sparringsmøde"))
    assert next(f for f in stored.follow_ups if f.agreement_id == agreement.id).done_at
    await server.settle()
    status, card = await client.press(anna, ANNA, "my.agreements")
    assert card_text(card).index("Kursus") < card_text(card).index("Fast sparringsmøde")

    # "Flyt datoen" on the MUS's agreement: its own date input, the answer here again.
    (move,) = [b for b in verbs_of(card, "followup.move")]
    moved_to = TODAY + timedelta(days=90)
    data = {**move["data"], f"followup.due.{move['data']['form']}": day_of(moved_to)}
    status, card = await client.press(anna, ANNA, "followup.move", data)
    assert "Opfølgningen er flyttet." in card_text(card)
    assert f"Opfølgning {danish(moved_to)}" in card_text(card)
    assert move["data"]["conversation"] == from_mus
    # A date in the past is refused on this card, which stays as it was.
    data = {**move["data"], f"followup.due.{move['data']['form']}": "2000-01-01"}
    status, card = await client.press(anna, ANNA, "followup.move", data)
    assert "ligger i fortiden" in card_text(card) and "Mine aftaler" in card_text(card)

    # Someone else pressing her button changes nothing and sees none of it.
    status, card = await client.press(
        Chat("a:eva-personal", False, connector.service_url), EVA, "followup.done", done["data"]
    )
    assert "Kursus i konfliktløsning" not in card_text(card)
    assert "Fast sparringsmøde" not in card_text(card)
    # Bo sees his own only.
    status, card = await client.press(chat_with(connector, BO.id), BO, "my.agreements")
    assert "Bo skriver referatet" in card_text(card) and "Fast sparringsmøde" not in card_text(card)


def verbs_of(card: dict[str, Any] | None, verb: str) -> list[dict[str, Any]]:
    return [n for n in nodes(card, "Action.Execute") if n.get("verb") == verb]


async def test_hr_gets_the_figures_and_no_content(
    start: Callable[..., Awaitable[BotServer]], connector: ConnectorStandIn
) -> None:
    server = await start(HR_VIEWERS=HR.aad)
    client = Client(server)
    employees = [user(n, f"Medarbejder Nummer {n}") for n in range(10, 16)]
    held = await mus(
        client,
        server,
        connector,
        employees[0],
        day_of(TODAY),
        "finished",
        agreements=(("Hemmelig aftale om lønforhandling", day_of(TODAY + timedelta(days=5))),),
    )
    for employee in employees[1:]:  # six MUS set up at the town hall in all
        await mus(client, server, connector, employee, day_of(TODAY), "set_up")
    await grus(client, server, connector, [ANNA, BO, CARL], day_of(TODAY), "live")
    # The plan of the held MUS is approved by both (the approval flow is issue 13's).
    stored, etag = await server.parts.store.load(f"conversations/{held}")
    approvals = tuple(replace_approval(p.user_id, stored.created_at) for p in stored.participants)
    await server.parts.store.save(
        f"conversations/{held}", replace(stored, plan_version=1, approvals=approvals), etag
    )
    assert await server.parts.context.conversations.write_index(held)

    hr_chat = Chat("a:hr-personal", False, connector.service_url)
    await client.say(hr_chat, HR, "nøgletal")
    await server.settle()
    card = card_of(connector.activities(hr_chat.id)[-1])
    text = card_text(card)
    assert f"Nøgletal {YEAR}" in text and "Rådhuset" in text and "Skolen" in text
    facts = {f["title"]: f["value"] for f in _facts(card)}
    assert facts["MUS"] == (
        "Oprettet 6 · holdt < 5 · plan godkendt < 5 · aftaler < 5, udført < 5, overskredet < 5"
    )
    assert facts["GRUS"].startswith("Oprettet < 5 · holdt < 5")
    (link,) = [a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    async with aiohttp.ClientSession() as session, session.get(link) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-store"
        assert "attachment" in response.headers["Content-Disposition"]
        data = (await response.read()).decode("utf-8")
    rows = list(csv.reader(io.StringIO(data.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == [
        "År", "Arbejdsplads", "Samtaletype", "Oprettet", "Holdt", "Plan godkendt", "Aftaler",
        "Udført", "Overskredet",
    ]  # fmt: skip
    assert [str(YEAR), "Rådhuset", "MUS", "6", "< 5", "< 5", "< 5", "< 5", "< 5"] in rows
    assert [str(YEAR), "Skolen", "GRUS", "< 5", "< 5", "< 5", "< 5", "< 5", "< 5"] in rows

    # No name, note, keyword, text or id of the conversations in either.
    people = [LEADER, ANNA, BO, CARL, *employees]
    content = [
        *(p.name for p in people),
        *(p.id for p in people),
        *(p.aad for p in people),
        *KEYWORDS,
        "Hemmelig aftale",
        "lønforhandling",
        "Hemmelig note",
        "Fokus på arbejdsglæde",
        held,
    ]
    for trace in content:
        assert trace not in text, trace
        assert trace not in data, trace

    # The link is the bot's own and short-lived: changed, it is refused.
    async with aiohttp.ClientSession() as session, session.get(link.replace("sig=", "sig=0")) as r:
        assert r.status == 403 and "nøgletal" in (await r.text())
    # Last year has nothing.
    _, card = await client.press(hr_chat, HR, "figures.show", {"year": YEAR - 1})
    assert f"Der er ingen samtaler i {YEAR - 1}." in card_text(card)


def replace_approval(user_id: str, at: str) -> Approval:
    return Approval(user_id, 1, at)


def _facts(card: dict[str, Any] | None) -> list[dict[str, str]]:
    return [fact for node in nodes(card, "FactSet") for fact in node["facts"]]


async def test_anyone_else_asking_for_the_figures_is_refused(
    start: Callable[..., Awaitable[BotServer]], connector: ConnectorStandIn
) -> None:
    server = await start(HR_VIEWERS=HR.aad)
    client = Client(server)
    await mus(client, server, connector, ANNA, day_of(TODAY), "set_up")
    leader_chat = chat_with(connector, LEADER.id)
    for words in ("nøgletal", "noegletal", "Nøgletal"):
        await client.say(leader_chat, LEADER, words)
    await server.settle()
    answers = [a.get("text", "") for a in connector.activities(leader_chat.id)[-3:]]
    assert answers == ["Nøgletallene er kun for HR. Har du brug for dem, så kontakt HR."] * 3
    status, card = await client.press(leader_chat, LEADER, "figures.show", {"year": YEAR})
    assert status == 200 and "kun for HR" in card_text(card) and "Rådhuset" not in card_text(card)
    # Someone with HR's Teams id but another Entra id is not HR either.
    impostor = User(HR.id, HR.name, "00000000-0000-4000-8000-000000000999")
    status, card = await client.press(leader_chat, impostor, "figures.show", {"year": YEAR})
    assert "kun for HR" in card_text(card)
    # HR in a group chat is told where to look, without figures.
    group = Chat("19:hr-group@thread.v2", True, connector.service_url)
    status, card = await client.press(group, HR, "figures.show", {"year": YEAR})
    assert "kun i din private chat" in card_text(card) and "Rådhuset" not in card_text(card)
