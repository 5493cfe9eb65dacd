""" "Opfølgning fra sidst": the last plan's agreements, shown for review at the next conversation."""

from __future__ import annotations

from datetime import date, datetime

from cards.common import Element, facts, plain, safe_date, subheading, text
from cards.texts import Texts
from dialogs.conversation import PreviousPlan


def previous_section(previous: PreviousPlan | None, texts: Texts) -> list[Element]:
    if previous is None:
        return []
    finished = texts.date(datetime.fromisoformat(previous.finished_at).date())  # mid-sentence
    out: list[Element] = [
        subheading(texts.get("previous.title")),
        text(texts.get("previous.intro", date=finished), isSubtle=True),
    ]
    if not previous.agreements:
        return [*out, text(texts.get("previous.none"), isSubtle=True)]
    done = {f.agreement_id for f in previous.follow_ups if f.done_at}
    for agreement in previous.agreements:
        status = texts.get("previous.done" if agreement.id in done else "previous.open")
        pairs = [(texts.get("field.what"), plain(agreement.what))]
        if agreement.responsible:
            pairs.append((texts.get("field.responsible"), plain(agreement.responsible)))
        if agreement.follow_up:
            pairs.append(
                (
                    texts.get("field.follow_up"),
                    safe_date(texts.date(date.fromisoformat(agreement.follow_up))),
                )
            )
        pairs.append((texts.get("previous.status"), status))
        out.append(
            {"type": "Container", "style": "emphasis", "spacing": "Small", "items": [facts(pairs)]}
        )
    return out
