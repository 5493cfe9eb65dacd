"""Every agreement of a conversation, a part at a time: where the live card's "Vis alle aftaler"
leads once there are more agreements than the live card shows.

Only the people who take part see it (the bot checks); on a live conversation each agreement has
"Redigér" and "Fjern" as on the live card. A part starts at the agreement ``start`` (in the order
they were made) and holds up to ``PART_SIZE`` agreements, fewer when long texts would take the
card over ``CARD_BUDGET`` (measured, ``cards.paging``), so it stays under Teams' limit at every
field limit; "Næste side" starts where it ended, "Forrige side" where the part before it would
start.
"""

from __future__ import annotations

from cards import verbs
from cards.common import Card, Element, card, execute, heading, notice
from cards.copies import live_data
from cards.fields import agreement_facts
from cards.live import agreement_item
from cards.paging import paged
from cards.texts import Texts
from dialogs.concept import Concept
from dialogs.conversation import Agreement, Conversation

PART_SIZE = 20


def agreements_card(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    *,
    start: int = 0,
    message: str | None = None,
) -> Card:
    data = live_data(conversation)
    active = conversation.phase == "live"

    def facts_of(agreement: Agreement) -> Element:
        return agreement_facts(conversation, concept, agreement, texts)

    count = len(conversation.agreements)
    body: list[Element] = [notice(message)] if message else []
    body.append(heading(texts.get("agreements.title", count=count)))
    back = execute(texts.get("agreements.back"), verbs.LIVE_REFRESH, data)
    return card(
        *paged(
            body,
            back,
            texts,
            count=count,
            start=start,
            item=lambda i: agreement_item(
                conversation.agreements[i], texts, data, active, facts_of
            ),
            verb=verbs.AGREEMENTS_SHOW,
            data=data,
            empty=texts.get("live.no_agreements"),
            most=PART_SIZE,
        )
    )
