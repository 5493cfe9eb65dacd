"""The leader's status card in the group chat, and the card that tells everyone the keywords.

The status card shows who has prepared (chosen keywords, or with a concept without keywords,
pressed "Jeg er forberedt"), who has not and who could not be reached (with what to do); never
anyone's private notes. Once the conversation is closed it shows how far the plan's approval has
come (names only where no onlookers read along). "Opdatér" works for every participant;
starting the conversation and "Vis samtalekortet igen" are the leader's and co-facilitator's
(checked by the server).
"""

from __future__ import annotations

from collections.abc import Mapping

from cards import verbs
from cards.common import (
    NOTICE_BELOW,
    Card,
    Element,
    card,
    execute,
    facts,
    heading,
    notice,
    plain,
    text,
)
from cards.people import form, when
from cards.plan import approval_status
from cards.texts import Texts
from dialogs.concept import Concept
from dialogs.conversation import Conversation


def status_card(
    conversation: Conversation,
    concept: Concept,
    texts: Texts,
    *,
    message: str | None = None,
    success: bool = True,
    unreachable: Mapping[str, str] | None = None,
    ask_start: bool = False,
    live_lost: bool = False,
) -> Card:
    """``unreachable``: the participants the bot could not reach (id → why), from its delivery
    record. ``message`` is shown on top and again beside the buttons (where the person pressed);
    with ``ask_start`` it asks whether to start although some have not prepared, with a
    "Start alligevel" button. While the conversation is live it offers "Vis samtalekortet
    igen"; ``live_lost`` says the live card could not be shown in the chat."""
    unreachable = unreachable or {}
    body: list[Element] = []
    if message:
        body.append(notice(message, error=not success))
    body += [
        heading(texts.get("status.title", kind=conversation.kind)),
        facts(
            [
                (texts.get("prep.when"), when(conversation, texts)),
                (texts.get("prep.leader"), plain(conversation.leader.name)),
                (texts.get("prep.form"), form(conversation, texts)),
            ]
        ),
    ]
    done = sum(p.prepared for p in conversation.participants)
    total = len(conversation.participants)
    # With keywords, being prepared is having chosen them; without, saying so.
    keywords = concept.uses_keywords
    tally = (
        texts.get("status.count", done=done, total=total)
        if keywords
        else texts.get("status.count_ready", done=done, total=total)
    )
    body.append(text(tally, weight="Bolder"))
    for p in conversation.participants:
        name = plain(p.name)
        if p.prepared and keywords:
            line = texts.get("status.prepared", name=name)
        elif p.prepared:
            line = texts.get("status.prepared_ready", name=name)
        elif p.user_id in unreachable:
            line = texts.get("status.unreachable", name=name)
        elif keywords:
            line = texts.get("status.pending", name=name)
        else:
            line = texts.get("status.pending_ready", name=name)
        body.append(text(line, spacing="Small"))
    if conversation.phase == "closed":
        body += approval_status(conversation, texts, with_names=conversation.private)
    if conversation.onlookers:
        count = len(conversation.onlookers)
        body.append(text(texts.get("status.onlookers", count=count), isSubtle=True))
    data = {verbs.DATA_CONVERSATION: conversation.id}
    actions: list[Element] = []
    if message:
        body.append(notice(message, error=not success, element_id=NOTICE_BELOW))
    if ask_start and conversation.phase == "preparation":
        wait = texts.get("start.wait") if keywords else texts.get("start.wait_ready")
        body.append(text(wait, isSubtle=True))
        actions.append(
            execute(
                texts.get("start.anyway"),
                verbs.LIVE_START,
                {**data, verbs.DATA_FORCE: True},
                style="positive",
            )
        )
    if conversation.phase == "live":
        lost = texts.get("status.live_lost") if live_lost else texts.get("status.live")
        body.append(text(lost, weight="Bolder" if live_lost else "Default"))
        actions.append(
            execute(texts.get("status.show_live"), verbs.LIVE_START, data, style="positive")
        )
    if conversation.phase == "preparation":
        actions.append(execute(texts.get("status.remind"), verbs.PREP_REMIND, data))
        if concept.uses_keywords:
            actions.append(execute(texts.get("status.share"), verbs.PREP_SHARE, data))
        actions += [
            execute(
                texts.get("status.edit"),
                verbs.SETUP_OPEN,
                {**data, verbs.DATA_KIND: conversation.kind},
            ),
        ]
        if not ask_start:
            actions.append(
                execute(texts.get("status.start"), verbs.LIVE_START, data, style="positive")
            )
    actions.append(execute(texts.get("status.refresh"), verbs.PREP_STATUS, data))
    return card(body, actions)


def keywords_card(conversation: Conversation, texts: Texts) -> Card:
    """Who chose which keywords: posted in the group or meeting chat before the conversation."""
    pairs = [
        (plain(p.name), ", ".join(p.keywords) if p.keywords else texts.get("keywords.missing"))
        for p in conversation.participants
    ]
    return card(
        [
            heading(texts.get("keywords.title", kind=conversation.kind)),
            text(texts.get("keywords.intro")),
            facts(pairs),
        ]
    )
