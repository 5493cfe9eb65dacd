"""HR's figures: the round per workplace and kind, as a card (one year) and as a CSV file (every
year), built from ``dialogs.round.figures`` rows only.

A row holds a year, a workplace as typed, a kind and six counts; a count below the threshold
arrives as ``None`` and is written "< 5" (with the default threshold): the card and the file
never carry a name, a note, a keyword or an agreement's text, because their input has none.
The card shows up to ``WORKPLACES_SHOWN`` workplaces, then "… og N arbejdspladser mere", with
the link to the CSV file and buttons for the other years (``figures.show`` with ``year``).

The CSV file is for Excel as Danish municipalities use it: UTF-8 with a byte order mark, ``;``
between fields, CRLF line ends, fields quoted where needed; a workplace's text that would start
a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading
``'``, so a cell never runs anything.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from cards import verbs
from cards.common import (
    Card,
    Element,
    card,
    cut,
    execute,
    facts,
    heading,
    notice,
    open_url,
    plain,
    subheading,
    text,
)
from cards.texts import Texts
from dialogs.round import Count, FigureRow

WORKPLACES_SHOWN = 30
WORKPLACE_SHOWN = 60  # characters of a workplace's name on the card (the file has it whole)
OTHER_YEARS = 3
CSV_COLUMNS = ("set_up", "held", "approved", "agreements", "done", "overdue")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def shown_count(count: Count, texts: Texts, threshold: int) -> str:
    return texts.get("figures.below", threshold=threshold) if count is None else str(count)


def _workplace(name: str, texts: Texts) -> str:
    if not name.strip():
        return texts.get("figures.no_workplace")
    return plain(cut(name, WORKPLACE_SHOWN))


def figures_card(
    rows: Sequence[FigureRow],
    texts: Texts,
    *,
    year: int,
    years: Sequence[int],
    threshold: int,
    csv_url: str,
    minutes: int,
    message: str | None = None,
) -> Card:
    """The figures of ``year`` (``rows`` may hold other years: they are left out); ``years``:
    every year there are figures for (buttons to the others)."""
    body: list[Element] = []
    if message:
        body.append(notice(message))
    body += [
        heading(texts.get("figures.title", year=year)),
        text(texts.get("figures.intro", threshold=threshold), isSubtle=True),
    ]
    of_year = [r for r in rows if r.year == year]
    workplaces: list[str] = list(dict.fromkeys(r.workplace for r in of_year))
    if not workplaces:
        body.append(text(texts.get("figures.none", year=year)))
    for workplace in workplaces[:WORKPLACES_SHOWN]:
        body.append(subheading(_workplace(workplace, texts)))
        pairs = []
        for row in (r for r in of_year if r.workplace == workplace):
            counts = {c: shown_count(getattr(row, c), texts, threshold) for c in CSV_COLUMNS}
            pairs.append((row.kind, texts.get("figures.line", **counts)))
        body.append(facts(pairs))
    if len(workplaces) > WORKPLACES_SHOWN:
        more = texts.get("figures.more", count=len(workplaces) - WORKPLACES_SHOWN)
        body.append(text(more, weight="Bolder"))
    body.append(text(texts.get("figures.csv_hint", minutes=minutes), isSubtle=True))
    actions: list[Element] = [open_url(texts.get("figures.csv"), csv_url)]
    for other in [y for y in years if y != year][:OTHER_YEARS]:
        actions.append(
            execute(
                texts.get("figures.year", year=other), verbs.FIGURES_SHOW, {verbs.DATA_YEAR: other}
            )
        )
    return card(body, actions)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA) else value


def figures_csv(rows: Sequence[FigureRow], texts: Texts, *, threshold: int) -> bytes:
    """Every row, one line each, under a header in the language of ``texts``."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    header = ("year", "workplace", "kind", *CSV_COLUMNS)
    writer.writerow([texts.get(f"figures.csv.{column}") for column in header])
    for row in rows:
        counts = [shown_count(getattr(row, c), texts, threshold) for c in CSV_COLUMNS]
        writer.writerow([str(row.year), _cell(row.workplace), row.kind, *counts])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
