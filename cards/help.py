"""The help card: what the bot does and how to start."""

from __future__ import annotations

from cards import verbs
from cards.common import Card, card, execute, heading, text
from cards.texts import Texts

KINDS = ("GRUS", "MUS", "LUS")


def help_card(texts: Texts) -> Card:
    body = [
        heading(texts.get("help.title")),
        text(texts.get("help.intro")),
        *(text(texts.get(f"help.step{n}"), spacing="Medium") for n in range(1, 5)),
        text(texts.get("help.commands"), isSubtle=True, spacing="Medium"),
    ]
    actions = [
        execute(texts.get("help.new", kind=kind), verbs.SETUP_OPEN, {verbs.DATA_KIND: kind})
        for kind in KINDS
    ]
    return card(body, actions)
