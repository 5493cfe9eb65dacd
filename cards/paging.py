"""Long lists a part at a time: the paged cards of agreements ("Vis alle aftaler") and of the
last plan's agreements ("Vis alle aftaler fra sidst").

``page(count, start, item, most=…, budget=…)`` is the part of a list of ``count`` items that
starts at the item ``start`` (0-based, clamped to the list): up to ``most`` items, fewer when
their measured size would take them over ``budget`` bytes, and always at least one, so that
"Næste side" always moves on. It says where the next part starts and where the part before does:
the parts are cut from the first item on, as "Næste side" cuts them, so "Forrige side" then
"Næste side" lands where one started. Items are made by ``item(index)`` only when measured.

``paged(head, back, texts, …)`` is the body and actions of such a card: ``head``, then "Aftale
x–y af n" and the part; "Forrige side" / "Næste side" (``verb`` with ``from``) and ``back``. The
part gets the room the rest of the card leaves under ``CARD_BUDGET``, measured with the widest
range line and both page buttons. ``step_buttons`` are the page buttons of a list cut into equal parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cards import verbs
from cards.budget import CARD_BUDGET, fitting, size
from cards.common import Element, card, execute, text
from cards.texts import Texts


@dataclass(frozen=True)
class Page:
    items: list[Element]
    first: int  # the index of the first item shown
    previous: int | None  # where the part before this one starts; None on the first
    next: int | None  # where the part after this one starts; None on the last


def page(count: int, start: int, item: Callable[[int], Element], *, most: int, budget: int) -> Page:
    if count <= 0:
        return Page([], 0, None, None)
    start = min(max(start, 0), count - 1)

    def part(first: int) -> list[Element]:
        return fitting(
            (item(i) for i in range(first, min(count, first + most))), budget, at_least=1
        )

    previous, boundary = None, 0
    while boundary < start:  # the parts before, cut from the first item as "Næste side" cuts
        previous, boundary = boundary, boundary + len(part(boundary))
    items = part(start)
    after = start + len(items)
    return Page(items, start, previous, after if after < count else None)


def paged(
    head: list[Element],
    back: Element,
    texts: Texts,
    *,
    count: int,
    start: int,
    item: Callable[[int], Element],
    verb: str,
    data: dict,
    empty: str,
    most: int,
) -> tuple[list[Element], list[Element]]:
    def goto(title_key: str, at: int) -> Element:
        return execute(texts.get(title_key), verb, {**data, verbs.DATA_FROM: at})

    widest = [
        text(texts.get("agreements.range", first=count, last=count, count=count)),
        goto("agreements.previous", count),
        goto("agreements.next", count),
    ]
    budget = CARD_BUDGET - size(card([*head, *widest], [back]))
    part = page(count, start, item, most=most, budget=budget)
    body = list(head)
    if part.items:
        first, last = part.first + 1, part.first + len(part.items)
        body.append(text(texts.get("agreements.range", first=first, last=last, count=count)))
        body += part.items
    else:
        body.append(text(empty, isSubtle=True))
    actions = []
    if part.previous is not None:
        actions.append(goto("agreements.previous", part.previous))
    if part.next is not None:
        actions.append(goto("agreements.next", part.next))
    return body, [*actions, back]


def step_buttons(
    texts: Texts, verb: str, *, start: int, last: int, count: int, most: int
) -> list[Element]:
    """For lists cut into parts of ``most``: "Forrige side" (the part before ``start``) and
    "Næste side" (from ``last``, the end of the part shown), where there is one."""
    buttons = []
    if start > 0:
        back = {verbs.DATA_FROM: max(start - most, 0)}
        buttons.append(execute(texts.get("agreements.previous"), verb, back))
    if last < count:
        buttons.append(execute(texts.get("agreements.next"), verb, {verbs.DATA_FROM: last}))
    return buttons
