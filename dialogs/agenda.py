"""The ordered list of questions a conversation steps through.

The nine questions of the concept come first, perspective by perspective (Adfærd first), in the
kind's form (du or I) unless the leader reworded them; the workplace's extra questions follow.
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
        AgendaItem(q.id, q.perspective_id, setup.wording.get(q.id) or q.text(form), q.number)
        for q in concept.questions
    ]
    for extra in setup.extra_questions:
        items.append(
            AgendaItem(extra.id, extra.perspective_id, extra.text, len(items) + 1, extra=True)
        )
    return tuple(items)
