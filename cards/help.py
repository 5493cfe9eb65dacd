"""The help card: what the bot does, which concept it follows, and how to start (in a 1:1 chat
also "Mine samtaler" and "Mine aftaler", which are shown only there)."""

from __future__ import annotations

from cards import verbs
from cards.common import Card, card, execute, heading, plain, text
from cards.texts import Texts
from dialogs.concept import Concept

KINDS = ("GRUS", "MUS", "LUS")


BOT_NAME = "Samtaleguide"


def listing(items: list[str], texts: Texts) -> str:
    """»A«, »B« og »C« (in English: “A”, “B” and “C”)."""
    quoted = [texts.get("help.quoted", item=plain(item)) for item in items]
    if len(quoted) < 2:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} {texts.get('help.and')} {quoted[-1]}"


def help_card(
    concept: Concept, texts: Texts, bot_name: str = BOT_NAME, *, personal: bool = False
) -> Card:
    """``bot_name``: the bot's name as this chat shows it (for mentioning it in a group chat);
    ``personal``: the person's own 1:1 chat with the bot. The card says which concept is in use
    (``CONCEPT_FILE``), with its perspectives and, when it has keywords, how many."""
    perspectives = listing([p.name for p in concept.perspectives], texts)
    about = [
        text(
            texts.get(
                "help.concept", organisation=plain(concept.organisation), perspectives=perspectives
            )
        )
    ]
    if concept.uses_keywords:
        about.append(
            text(texts.get("help.concept_keywords", count=len(concept.keywords)), spacing="None")
        )
    step2 = texts.get("help.step2") if concept.uses_keywords else texts.get("help.step2_ready")
    steps = [texts.get("help.step1"), step2, texts.get("help.step3"), texts.get("help.step4")]
    body = [
        heading(texts.get("help.title")),
        text(texts.get("help.intro")),
        *about,
        *(text(step, spacing="Medium") for step in steps),
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
