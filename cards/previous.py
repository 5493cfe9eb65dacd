""" "Opfølgning fra sidst": the last plan's agreements, reviewed at the next conversation.

``previous_section`` is that part of the preparation card and of the live card (at the first
question): when the plan was made and its agreements with their status – the first ``SHOWN`` of
them, and only as many as fit in the ``budget`` bytes the card leaves it (measured). The rest are
counted ("… og 192 aftaler mere fra sidst.") under a button "Vis alle aftaler fra sidst"
(``previous.show``), which opens ``previous_card``: every agreement of the last plan, a part at a
time, with the way back to the card it came from (the preparation card while the conversation is
in preparation, the live card after). The bot shows the paged card to current participants only.
"""

from __future__ import annotations

from datetime import datetime

from cards import verbs
from cards.budget import fitting, size
from cards.common import (
    Card,
    Element,
    card,
    execute,
    facts,
    heading,
    notice,
    plain,
    subheading,
    text,
    written_date,
)
from cards.fields import title
from cards.paging import paged
from cards.texts import Texts
from dialogs.concept import FOLLOW_UP, RESPONSIBLE, WHAT, Concept
from dialogs.conversation import Agreement, Conversation, PreviousPlan

SHOWN = 8  # on the preparation and live cards; "Vis alle aftaler fra sidst" shows every one
PART_SIZE = 20  # on the paged card


def previous_section(
    conversation: Conversation, concept: Concept, texts: Texts, *, budget: int
) -> list[Element]:
    """The section, within ``budget`` bytes (its title, the plan's date and the count of what
    does not fit are always there)."""
    previous = conversation.previous
    if previous is None:
        return []
    out: list[Element] = [subheading(texts.get("previous.title")), _intro(previous, texts)]
    if not previous.agreements:
        return [*out, text(texts.get("previous.none"), isSubtle=True)]
    count = len(previous.agreements)
    summary = _summary(conversation, texts, count, count)  # the widest it can be
    room = budget - size(out) - size(summary) - 8
    done = _done(previous)
    first = previous.agreements[:SHOWN]
    shown = fitting((_item(concept, a, a.id in done, texts) for a in first), room)
    out += shown
    if len(shown) < count:
        out += _summary(conversation, texts, count - len(shown), count)
    return out


def previous_card(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    *,
    start: int = 0,
    message: str | None = None,
) -> Card:
    """Every agreement of the last plan, up to ``PART_SIZE`` at a time from ``start``."""
    previous = conversation.previous
    agreements = previous.agreements if previous else ()
    count = len(agreements)
    data = {verbs.DATA_CONVERSATION: conversation.id}
    body: list[Element] = [notice(message)] if message else []
    body.append(heading(texts.get("previous.card_title", count=count)))
    if previous is not None:
        body.append(_intro(previous, texts, card=True))
    if conversation.phase == "preparation":
        back = execute(texts.get("previous.back_prep"), verbs.PREP_SHOW, data)
    else:
        back = execute(texts.get("agreements.back"), verbs.LIVE_REFRESH, data)
    done = _done(previous) if previous else set()
    return card(
        *paged(
            body,
            back,
            texts,
            count=count,
            start=start,
            item=lambda i: _item(concept, agreements[i], agreements[i].id in done, texts),
            verb=verbs.PREVIOUS_SHOW,
            data=data,
            empty=texts.get("previous.none"),
            most=PART_SIZE,
        )
    )


def _intro(previous: PreviousPlan, texts: Texts, *, card: bool = False) -> Element:
    finished = texts.date(datetime.fromisoformat(previous.finished_at).date())  # mid-sentence
    key = "previous.card_intro" if card else "previous.intro"
    return text(texts.get(key, date=finished), isSubtle=True)


def _summary(conversation: Conversation, texts: Texts, hidden: int, count: int) -> list[Element]:
    """ "… og 192 aftaler mere fra sidst." (or, when none fit, how many there were) and the
    button to see them all."""
    key = "previous.more" if hidden < count else "previous.count"
    show_all = execute(
        texts.get("previous.show_all"),
        verbs.PREVIOUS_SHOW,
        {verbs.DATA_CONVERSATION: conversation.id, verbs.DATA_FROM: 0},
    )
    return [
        text(texts.get(key, count=hidden), isSubtle=True),
        {"type": "ActionSet", "actions": [show_all]},
    ]


def _done(previous: PreviousPlan) -> set[str]:
    return {f.agreement_id for f in previous.follow_ups if f.done_at}


def _item(concept: Concept, agreement: Agreement, done: bool, texts: Texts) -> Element:
    """What was agreed, who was responsible and when it was to be followed up (the fields the
    bot acts on, under the concept's labels: the last plan's other fields may be another
    concept's), and whether it was done."""
    pairs = [(title(concept, WHAT, texts), plain(agreement.what))]
    if agreement.responsible:
        pairs.append((title(concept, RESPONSIBLE, texts), plain(agreement.responsible)))
    if agreement.follow_up:
        follow_up = written_date(texts, agreement.follow_up)
        pairs.append((title(concept, FOLLOW_UP, texts), follow_up))
    status = texts.get("previous.done" if done else "previous.open")
    pairs.append((texts.get("previous.status"), status))
    return {"type": "Container", "style": "emphasis", "spacing": "Small", "items": [facts(pairs)]}
