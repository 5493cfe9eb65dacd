"""How big a card may get, measured as Teams receives it.

Teams refuses a card of about 100 KB; every card stays under 80 KB (``tests/cards/
test_card_limits.py`` builds each one at every documented limit at once), and the builders aim
at ``CARD_BUDGET``, keeping the rest as a margin. Texts are limited in characters but cards in
bytes, and a character can take up to six bytes as sent (``æ`` is ``\\u00e6``), so where a card
lists what people wrote – agreements, notes, the last plan's agreements – it measures what it
adds: ``size`` is an element's bytes as sent and ``fitting`` takes items while they fit. What does
not fit is counted on the card, with a way to see it all (a paged card, or the plan).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from cards.common import Element

CARD_BUDGET = 70_000  # bytes per card, as sent; the test limit is 80 KB


def size(element: object) -> int:
    """Bytes of ``element`` as sent (JSON with non-ASCII escaped)."""
    return len(json.dumps(element).encode("ascii"))


def added(elements: list[Element]) -> int:
    """Bytes ``elements`` add to a card's list of elements."""
    return sum(size(element) + 2 for element in elements)


def fitting(items: Iterable[Element], budget: int, *, at_least: int = 0) -> list[Element]:
    """The first ``items`` that fit in ``budget`` bytes together in a JSON list (at least
    ``at_least`` of them, whatever their size)."""
    taken: list[Element] = []
    for item in items:
        budget -= size(item) + 2  # the ", " before it in the list
        if budget < 0 and len(taken) >= at_least:
            break
        taken.append(item)
    return taken
