"""The year's round, read from index entries (``dialogs.summary``), purely.

- ``led(entries, year)``: the conversations a person leads or co-facilitates (and has not left)
  last year, this year and later (set up ahead: in December, January's), by year (newest
  first), state (in ``STATES`` order), then day.
- ``missing_this_year(entries, year)``: the people the person held a MUS with last year (as its
  leader; held: started or finished) with whom no MUS has been held this year; a MUS with them
  set up this year but not held yet is named as planned.
- ``my_agreements(entries)``: the agreements of finished conversations the person is
  responsible for (and has not left): open ones first by follow-up date (those without a date
  after them), then the done ones, newest date first.
- ``figures(groups, today, threshold)``: HR's figures per year, workplace and kind: set up,
  held, plans approved, agreements made, done and overdue (open and due before ``today``).
  A count below ``threshold`` is never given out: it is ``None``, shown as "< 5". There is no
  total across workplaces or kinds, from which a suppressed count could be worked out again.

Tombstones (entries with ``removed`` set) are ignored everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from dialogs.concept import KIND_CODES
from dialogs.summary import CLOSED, HELD, STATES, PersonEntry, RoundEntry, year_of


@dataclass(frozen=True)
class Missing:
    key: str
    name: str
    last: str  # the day of last year's MUS with them
    planned: str = ""  # the day of this year's MUS with them, set up but not held yet


@dataclass(frozen=True)
class MyAgreement:
    conversation_id: str
    agreement_id: str
    kind: str
    day: str  # the conversation's
    due: str  # "" when it has no follow-up date
    done: bool


Count = int | None  # None: below the threshold, never given out


@dataclass(frozen=True)
class FigureRow:
    year: int
    workplace: str
    kind: str
    set_up: Count
    held: Count
    approved: Count
    agreements: Count
    done: Count
    overdue: Count


def current(entries: Iterable[PersonEntry]) -> list[PersonEntry]:
    """The entries that are not tombstones, one per conversation (the newest version)."""
    newest: dict[str, PersonEntry] = {}
    for entry in entries:
        known = newest.get(entry.conversation_id)
        if known is None or entry.version > known.version:
            newest[entry.conversation_id] = entry
    return [e for e in newest.values() if not e.removed]


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_CODES.index(kind) if kind in KIND_CODES else len(KIND_CODES), kind)


def led(entries: Iterable[PersonEntry], year: int) -> list[PersonEntry]:
    found = [
        e
        for e in current(entries)
        if e.role in ("leader", "co_facilitator") and not e.left and year_of(e.day) >= year - 1
    ]
    return sorted(
        found,
        key=lambda e: (-year_of(e.day), STATES.index(e.state), e.day, e.conversation_id),
    )


def missing_this_year(entries: Iterable[PersonEntry], year: int) -> list[Missing]:
    mine = [e for e in current(entries) if e.role == "leader" and e.kind == "MUS"]
    last: dict[str, tuple[str, str]] = {}  # key -> (day, name), the latest MUS last year
    held_now: set[str] = set()
    planned: dict[str, str] = {}
    for entry in mine:
        entry_year = year_of(entry.day)
        for other in entry.others:
            if entry_year == year - 1 and entry.state in HELD:
                if other.key not in last or last[other.key][0] < entry.day:
                    last[other.key] = (entry.day, other.name)
            elif entry_year == year:
                if entry.state in HELD:
                    held_now.add(other.key)
                elif other.key not in planned or entry.day < planned[other.key]:
                    planned[other.key] = entry.day
    missing = [
        Missing(key, name, day, planned.get(key, ""))
        for key, (day, name) in last.items()
        if key not in held_now
    ]
    return sorted(missing, key=lambda m: (m.name.casefold(), m.key))


def my_agreements(entries: Iterable[PersonEntry]) -> list[MyAgreement]:
    found = [
        MyAgreement(e.conversation_id, d.agreement_id, e.kind, e.day, d.due, d.done)
        for e in current(entries)
        if e.state in CLOSED and not e.left
        for d in e.mine
    ]
    open_ones = sorted(
        (a for a in found if not a.done),
        key=lambda a: (a.due == "", a.due, a.day, a.conversation_id, a.agreement_id),
    )
    done = sorted(
        (a for a in found if a.done),
        key=lambda a: (a.due, a.day, a.conversation_id, a.agreement_id),
        reverse=True,
    )
    return open_ones + done


def shown(count: int, threshold: int) -> Count:
    """``count`` as HR may see it: ``None`` when it is below ``threshold``."""
    return count if count >= threshold else None


def figures(
    groups: Iterable[tuple[int, str, Sequence[RoundEntry]]], today: date, threshold: int
) -> list[FigureRow]:
    """``groups``: (year, workplace as shown, its entries) for each workplace and year."""
    day = today.isoformat()
    rows = []
    for year, workplace, entries in groups:
        live = [e for e in entries if not e.removed]
        for kind in sorted({e.kind for e in live}, key=_kind_rank):
            of_kind = [e for e in live if e.kind == kind]
            rows.append(
                FigureRow(
                    year=year,
                    workplace=workplace,
                    kind=kind,
                    set_up=shown(len(of_kind), threshold),
                    held=shown(sum(e.state in HELD for e in of_kind), threshold),
                    approved=shown(sum(e.state == "approved" for e in of_kind), threshold),
                    agreements=shown(sum(e.agreements for e in of_kind), threshold),
                    done=shown(sum(e.done for e in of_kind), threshold),
                    overdue=shown(
                        sum(sum(due < day for due in e.open_dues) for e in of_kind), threshold
                    ),
                )
            )
    return sorted(rows, key=lambda r: (-r.year, r.workplace.casefold(), _kind_rank(r.kind)))
