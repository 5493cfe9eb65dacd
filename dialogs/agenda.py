"""The ordered list of questions a conversation steps through.

The concept's questions for the conversation's kind come first (for Albertslund the nine, for
every kind), perspective by perspective (Adfærd first), in the kind's form (du or I) unless the
leader reworded them, numbered 1..n for that kind; the workplace's extra questions follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.concept import Concept
from dialogs.conversation import Conversation


@dataclass(frozen=True)
class AgendaItem:
    id: str
    perspective_id: str
    text: str
    number: int
    extra: bool = False


def agenda(conversation: Conversation, concept: Concept) -> tuple[AgendaItem, ...]:
    setup = conversation.setup
    form = concept.kind(setup.kind).form
    items = [
        AgendaItem(q.id, q.perspective_id, setup.wording.get(q.id) or q.text(form), number)
        for number, q in enumerate(concept.questions_for(setup.kind), start=1)
    ]
    for extra in setup.extra_questions:
        items.append(
            AgendaItem(extra.id, extra.perspective_id, extra.text, len(items) + 1, extra=True)
        )
    return tuple(items)
