"""Which posting of the live card a press comes from, and what an outdated posting shows.

The live card is posted again when it was lost ("Vis samtalekortet igen", or by the bot after a
post whose outcome it could not know). Each posting is a numbered copy
(``Conversation.live.copy``); its buttons send that number (``verbs.DATA_COPY``), so a press on
an outdated copy is refused, and such a copy shows ``stale_copy_card`` (no content, no
buttons) once the bot or Teams' refresh gets to it.
"""

from __future__ import annotations

from typing import Any

from cards import verbs
from cards.common import Card, card, heading, text
from cards.texts import Texts
from dialogs.conversation import Conversation


def live_data(conversation: Conversation) -> dict[str, Any]:
    """The data every button of the live card sends: the conversation, and the copy."""
    data: dict[str, Any] = {verbs.DATA_CONVERSATION: conversation.id}
    if conversation.live.copy:
        data[verbs.DATA_COPY] = conversation.live.copy
    return data


def stale_copy_card(conversation: Conversation, texts: Texts) -> Card:
    return card(
        [
            heading(texts.get("copy.title", kind=conversation.kind)),
            text(texts.get("copy.body")),
        ]
    )
