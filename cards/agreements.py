"""Every agreement of a conversation, a part at a time: where the live card's "Vis alle aftaler"
leads once there are more agreements than the live card shows.

Only the people who take part see it (the bot checks); on a live conversation each agreement has
"Redigér" and "Fjern" as on the live card. A part starts at the agreement ``start`` (in the order
they were made) and holds up to ``PART_SIZE`` agreements, fewer when long texts would take the
card over its budget (so it stays under Teams' 80 KB at every field limit); "Næste side" starts
where it ended, "Forrige side" where the part before it would start.
"""

from __future__ import annotations

from cards import verbs
from cards.common import Card, Element, card, execute, heading, notice, text
from cards.copies import live_data
from cards.live import CARD_BUDGET, agreement_item, size
from cards.texts import Texts
from dialogs.conversation import Conversation

PART_SIZE = 20
_RESERVE = 3_000  # the heading, the range line and the navigation buttons


def agreements_card(
    conversation: Conversation,
    texts: Texts,
    *,
    start: int = 0,
    message: str | None = None,
) -> Card:
    data = live_data(conversation)
    active = conversation.phase == "live"
    count = len(conversation.agreements)
    start = min(max(start, 0), max(count - 1, 0))
    items = _part(conversation, texts, data, active, range(start, count))
    body: list[Element] = [notice(message)] if message else []
    body.append(heading(texts.get("agreements.title", count=count)))
    if items:
        first, last = start + 1, start + len(items)
        body.append(text(texts.get("agreements.range", first=first, last=last, count=count)))
        body += items
    else:
        body.append(text(texts.get("live.no_agreements"), isSubtle=True))
    actions = []
    if start > 0:
        back = _part(conversation, texts, data, active, range(start - 1, -1, -1))
        actions.append(_goto(texts.get("agreements.previous"), data, start - len(back)))
    if start + len(items) < count:
        actions.append(_goto(texts.get("agreements.next"), data, start + len(items)))
    actions.append(execute(texts.get("agreements.back"), verbs.LIVE_REFRESH, data))
    return card(body, actions)


def _part(
    conversation: Conversation, texts: Texts, data: dict, active: bool, indexes: range
) -> list[Element]:
    """The items for the agreements at ``indexes``, as many as fit (at least one)."""
    budget = CARD_BUDGET - _RESERVE
    items: list[Element] = []
    for index in indexes[:PART_SIZE]:
        item = agreement_item(conversation.agreements[index], texts, data, active)
        budget -= size(item) + 1
        if budget < 0 and items:
            break
        items.append(item)
    return items if indexes.step > 0 else items[::-1]


def _goto(title: str, data: dict, start: int) -> Element:
    return execute(title, verbs.AGREEMENTS_SHOW, {**data, verbs.DATA_FROM: start})
