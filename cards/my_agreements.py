""" "Mine aftaler": the agreements of a person's development plans they are responsible for,
across their conversations, open ones first by follow-up date (``dialogs.round.my_agreements``),
each with "Marker som udført" and "Flyt datoen" as on the follow-up reminder.

The buttons are the reminder's own verbs (``followup.done``, ``followup.move``) with
``view`` = ``my.agreements`` and the part shown (``from``), so that the answer is this card again,
where it was pressed. Each move form has its own date input (``cards.follow_up.due_input``,
named by the button's ``form``): a card's inputs are all sent with every button. ``PART``
agreements a part, their texts cut at ``WHAT`` characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cards import verbs
from cards.common import (
    Card,
    Element,
    card,
    cut,
    execute,
    heading,
    notice,
    plain,
    text,
    written_date,
)
from cards.follow_up import due_input
from cards.paging import step_buttons
from cards.texts import Texts

PART = 8
WHAT = 200


@dataclass(frozen=True)
class AgreementLine:
    """One agreement as the card shows it (its text read from its conversation)."""

    conversation_id: str
    agreement_id: str
    kind: str
    day: str  # the conversation's
    what: str
    due: str
    done: bool


def _status(line: AgreementLine, texts: Texts, today: date) -> str:
    if line.done:
        return texts.get("my_agreements.done")
    if not line.due:
        return texts.get("my_agreements.no_date")
    key = "my_agreements.overdue" if line.due < today.isoformat() else "my_agreements.due"
    return texts.get(key, date=written_date(texts, line.due))


def _item(line: AgreementLine, number: int, start: int, texts: Texts, today: date) -> Element:
    what = cut(line.what, WHAT)
    origin = texts.get("my_agreements.from", kind=line.kind, date=written_date(texts, line.day))
    items: list[Element] = [
        text(plain(what), weight="Bolder"),
        text(f"{origin} · {_status(line, texts, today)}", isSubtle=True, spacing="None"),
    ]
    if not line.done and line.due:
        data = {
            verbs.DATA_CONVERSATION: line.conversation_id,
            verbs.DATA_AGREEMENT: line.agreement_id,
            verbs.DATA_VIEW: verbs.MY_AGREEMENTS,
            verbs.DATA_FROM: start,
        }
        form = str(number)
        move = {
            "type": "Action.ShowCard",
            "title": texts.get("followup.move"),
            "card": card(
                [
                    {
                        "type": "Input.Date",
                        "id": due_input(form),
                        "label": texts.get("field.follow_up"),
                        "value": line.due,
                    }
                ],
                [
                    execute(
                        texts.get("live.save"),
                        verbs.FOLLOWUP_MOVE,
                        {**data, verbs.DATA_FORM: form},
                    )
                ],
            ),
        }
        done = execute(texts.get("followup.done"), verbs.FOLLOWUP_DONE, data)
        items.append({"type": "ActionSet", "actions": [done, move], "spacing": "Small"})
    return {"type": "Container", "items": items, "separator": True, "spacing": "Medium"}


def my_agreements_card(
    lines: Sequence[AgreementLine],
    texts: Texts,
    *,
    today: date,
    start: int = 0,
    count: int | None = None,
    end: int | None = None,
    message: str | None = None,
    success: bool = True,
) -> Card:
    """``lines``: the part shown, beginning with agreement number ``start`` (0-based) of
    ``count`` in all (default: just these); ``end``: where the next part begins (default: after
    these; later when some of the part were left out, so "Næste side" repeats none)."""
    count = len(lines) if count is None else count
    body: list[Element] = []
    if message:
        body.append(notice(message, error=not success))
    body += [
        heading(texts.get("my_agreements.title")),
        text(texts.get("my_agreements.intro"), isSubtle=True),
    ]
    if not lines:
        body.append(text(texts.get("my_agreements.none")))
    body += [_item(line, start + i, start, texts, today) for i, line in enumerate(lines[:PART])]
    actions: list[Element] = []
    if count > len(lines) or start > 0:
        last = start + len(lines[:PART])
        body.append(
            text(
                texts.get("my_agreements.range", first=start + 1, last=last, count=count),
                isSubtle=True,
            )
        )
        after = last if end is None else max(end, last)
        actions += step_buttons(
            texts, verbs.MY_AGREEMENTS, start=start, last=after, count=count, most=PART
        )
    return card(body, actions)
