""" "Mine samtaler": the conversations a person leads or co-facilitates last year, this year and
later, by state, each with its date, kind, people and next follow-up and a button that opens its status
card (or, once finished, its plan); then "Mangler i år", the people they held a MUS with last
year and not yet this year.

Built from index entries (``dialogs.round.led`` and ``missing_this_year``), never from the
conversations' content. ``PART`` conversations a part ("Næste side" / "Forrige side" with
``my.conversations`` and ``from``), names cut at 40 characters, at most ``MISSING_SHOWN`` names
under "Mangler i år" and "… og N mere" after them, so the card stays short at Teams' width and
small at any count.
"""

from __future__ import annotations

from collections.abc import Sequence

from cards import verbs
from cards.common import (
    Card,
    Element,
    card,
    execute,
    heading,
    notice,
    subheading,
    text,
    written_date,
)
from cards.paging import step_buttons
from cards.people import short
from cards.texts import Texts
from dialogs.round import Missing
from dialogs.summary import CLOSED, PersonEntry, year_of

PART = 12
MISSING_SHOWN = 30


def _name(name: str, texts: Texts) -> str:
    return short(name) if name else texts.get("mine.unnamed")


def _line(entry: PersonEntry, texts: Texts) -> str:
    if entry.kind == "GRUS" or not entry.others:
        people = texts.get("mine.people", count=entry.people)
    else:
        people = ", ".join(_name(o.name, texts) for o in entry.others[:2])
    parts = [f"**{entry.kind}**", written_date(texts, entry.day), people]
    if entry.role == "co_facilitator":
        parts.append(texts.get("mine.cofacilitator"))
    return " · ".join(parts)


def _item(entry: PersonEntry, texts: Texts) -> Element:
    items: list[Element] = [text(_line(entry, texts))]
    if entry.next_follow_up:
        follow_up = texts.get("mine.next_follow_up", date=written_date(texts, entry.next_follow_up))
        items.append(text(follow_up, isSubtle=True, spacing="None"))
    verb = verbs.PLAN_LINK if entry.state in CLOSED else verbs.PREP_STATUS
    opens = execute(texts.get("mine.open"), verb, {verbs.DATA_CONVERSATION: entry.conversation_id})
    items.append({"type": "ActionSet", "actions": [opens], "spacing": "Small"})
    return {"type": "Container", "items": items, "spacing": "Medium"}


def _missing(missing: Sequence[Missing], texts: Texts, year: int) -> list[Element]:
    body = [subheading(texts.get("mine.missing", count=len(missing)))]
    if not missing:
        return [*body, text(texts.get("mine.missing_none", year=year, last=year - 1))]
    body.append(text(texts.get("mine.missing_intro", year=year, last=year - 1)))
    for person in missing[:MISSING_SHOWN]:
        last = written_date(texts, person.last)
        if person.planned:
            planned = written_date(texts, person.planned)
            line = texts.get(
                "mine.missing_planned", name=_name(person.name, texts), date=last, planned=planned
            )
        else:
            line = texts.get("mine.missing_line", name=_name(person.name, texts), date=last)
        body.append(text(f"- {line}", spacing="None"))
    if len(missing) > MISSING_SHOWN:
        more = texts.get("mine.missing_more", count=len(missing) - MISSING_SHOWN)
        body.append(text(more, isSubtle=True))
    return body


def my_conversations_card(
    entries: Sequence[PersonEntry],
    missing: Sequence[Missing] | None,
    texts: Texts,
    *,
    year: int,
    start: int = 0,
    message: str | None = None,
) -> Card:
    """``entries``: as ``dialogs.round.led`` orders them; ``missing``: "Mangler i år" (None when
    the person held no MUS last year, so there is nothing to miss)."""
    body: list[Element] = []
    if message:
        body.append(notice(message))
    body += [
        heading(texts.get("mine.title")),
        text(texts.get("mine.intro", year=year, last=year - 1), isSubtle=True),
    ]
    count = len(entries)
    start = min(max(start, 0), max(count - 1, 0))
    shown = entries[start : start + PART]
    if not entries:
        body.append(text(texts.get("mine.none", year=year, last=year - 1)))
    group: tuple[int, str] | None = None
    for entry in shown:
        entry_year = year_of(entry.day)
        if group is None or group[0] != entry_year:
            body.append(subheading(str(entry_year)))
        if group != (entry_year, entry.state):
            total = sum(
                1 for e in entries if year_of(e.day) == entry_year and e.state == entry.state
            )
            state = texts.get(f"state.{entry.state}")
            body.append(text(texts.get("mine.state", state=state, count=total), weight="Bolder"))
        group = (entry_year, entry.state)
        body.append(_item(entry, texts))
    actions: list[Element] = []
    if count > PART:
        last = start + len(shown)
        body.append(
            text(texts.get("mine.range", first=start + 1, last=last, count=count), isSubtle=True)
        )
        actions += step_buttons(
            texts, verbs.MY_CONVERSATIONS, start=start, last=last, count=count, most=PART
        )
    if missing is not None and start == 0:
        body += _missing(missing, texts, year)
    return card(body, actions)
