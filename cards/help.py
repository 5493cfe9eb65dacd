"""The help card: what the bot does and how to start (in a 1:1 chat also "Mine samtaler" and
"Mine aftaler", which are shown only there)."""

from __future__ import annotations

from cards import verbs
from cards.common import Card, card, execute, heading, plain, text
from cards.texts import Texts

KINDS = ("GRUS", "MUS", "LUS")


BOT_NAME = "Samtaleguide"


def help_card(texts: Texts, bot_name: str = BOT_NAME, *, personal: bool = False) -> Card:
    """``bot_name``: the bot's name as this chat shows it (for mentioning it in a group chat);
    ``personal``: the person's own 1:1 chat with the bot."""
    body = [
        heading(texts.get("help.title")),
        text(texts.get("help.intro")),
        *(text(texts.get(f"help.step{n}"), spacing="Medium") for n in range(1, 5)),
        text(texts.get("help.commands"), isSubtle=True, spacing="Medium"),
        text(texts.get("help.mention", bot=plain(bot_name)), isSubtle=True),
    ]
    actions = [
        execute(texts.get("help.new", kind=kind), verbs.SETUP_OPEN, {verbs.DATA_KIND: kind})
        for kind in KINDS
    ]
    if personal:
        actions += [
            execute(texts.get("help.my_conversations"), verbs.MY_CONVERSATIONS),
            execute(texts.get("help.my_agreements"), verbs.MY_AGREEMENTS),
        ]
    return card(body, actions)
