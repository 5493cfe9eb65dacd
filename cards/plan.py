"""Cards about the development plan: the personal card with download links (1:1 chats only) and
the notice in the group chat that the plan is ready (which never carries a link)."""

from __future__ import annotations

from cards import verbs
from cards.common import Card, Element, card, execute, heading, notice, open_url, text
from cards.texts import Texts
from dialogs.conversation import Conversation

LABELS = {"docx": "plan.word", "pdf": "plan.pdf"}


def plan_links_card(
    conversation: Conversation,
    texts: Texts,
    *,
    version: int,
    links: dict[str, str],
    minutes: int,
    note: str | None = None,
) -> Card:
    body: list[Element] = [
        heading(texts.get("plan.title", kind=conversation.kind)),
        text(
            texts.get(
                "plan.ready_personal", kind=conversation.kind, version=version, minutes=minutes
            )
        ),
    ]
    if note:
        body.append(text(note, isSubtle=True))
    actions = [open_url(texts.get(LABELS[ext]), url) for ext, url in sorted(links.items())]
    actions.append(
        execute(
            texts.get("plan.new_link"), verbs.PLAN_LINK, {verbs.DATA_CONVERSATION: conversation.id}
        )
    )
    return card(body, actions)


def plan_ready_card(
    conversation: Conversation, texts: Texts, *, version: int | None, note: str | None = None
) -> Card:
    """Posted in the group or meeting chat: the plan is ready (or could not be made)."""
    if version is None:
        body: list[Element] = [notice(texts.get("plan.failed"))]
    else:
        body = [
            heading(texts.get("plan.title", kind=conversation.kind)),
            text(texts.get("plan.ready_group", version=version)),
        ]
    if note:
        body.append(text(note, isSubtle=True))
    regenerate = execute(
        texts.get("plan.generate"), verbs.PLAN_GENERATE, {verbs.DATA_CONVERSATION: conversation.id}
    )
    return card(body, [regenerate])
