"""Cards about the development plan: the personal card with download links (1:1 chats only),
where each participant approves the plan or sends the leader a comment; the notice in the group
chat that the plan is ready (which never carries a link) with who has approved it; the comment
as the leader gets it; and the leader's reminder when someone has not answered after a week.

Approval is of one version: the personal card's "Godkend planen" and "Jeg har en kommentar"
carry the version it shows (``verbs.DATA_VERSION``), and a card of an older version offers
neither. Names of who has not approved are shown where only participants read (1:1 chats, a
chat with no onlookers); elsewhere only how many.
"""

from __future__ import annotations

from datetime import datetime

from cards import verbs
from cards.common import Card, Element, card, execute, heading, notice, open_url, plain, text
from cards.people import short
from cards.texts import Texts
from dialogs.conversation import Conversation, Participant

LABELS = {"docx": "plan.word", "pdf": "plan.pdf"}
COMMENT_INPUT = "comment.text"
COMMENT_LIMIT = 500


def _names(people: tuple[Participant, ...]) -> str:
    return ", ".join(short(p.name) for p in people)


def approval_status(conversation: Conversation, texts: Texts, *, with_names: bool) -> list[Element]:
    """How far the newest version's approval has come: everyone, or how many and (with
    ``with_names``) who has not yet."""
    if not conversation.plan_version:
        return []
    version = conversation.plan_version
    if conversation.plan_approved:
        return [text(texts.get("plan.approved_all", version=version), weight="Bolder")]
    waiting = conversation.awaiting_approval()
    total = sum(1 for p in conversation.participants if not p.left)
    out = [
        text(
            texts.get(
                "plan.approved_count", done=total - len(waiting), total=total, version=version
            ),
            weight="Bolder",
        )
    ]
    if with_names and waiting:
        out.append(text(texts.get("plan.waiting_for", names=_names(waiting)), spacing="Small"))
    return out


def _approved_at(conversation: Conversation, user_id: str, version: int) -> str | None:
    return next(
        (a.at for a in conversation.approvals if a.user_id == user_id and a.version == version),
        None,
    )


def plan_links_card(
    conversation: Conversation,
    texts: Texts,
    *,
    version: int,
    links: dict[str, str],
    minutes: int,
    note: str | None = None,
    viewer: str | None = None,
    message: str | None = None,
    success: bool = True,
) -> Card:
    """``viewer``: whose card it is (their approval, their buttons); the leader's also says who
    has not approved yet."""
    body: list[Element] = [notice(message, error=not success)] if message else []
    body += [
        heading(texts.get("plan.title", kind=conversation.kind)),
        text(
            texts.get(
                "plan.ready_personal", kind=conversation.kind, version=version, minutes=minutes
            )
        ),
    ]
    if note:
        body.append(text(note, isSubtle=True))
    person = conversation.participant(viewer) if viewer else None
    current = version == conversation.plan_version and person is not None and not person.left
    actions = [open_url(texts.get(LABELS[ext]), url) for ext, url in sorted(links.items())]
    data = {verbs.DATA_CONVERSATION: conversation.id}
    if person is not None and version < conversation.plan_version:
        body.append(text(texts.get("plan.newer", version=conversation.plan_version), isSubtle=True))
    if current and person is not None:
        approved = _approved_at(conversation, person.user_id, version)
        leader = conversation.leader
        if approved:
            moment = texts.moment(datetime.fromisoformat(approved))
            body.append(text(texts.get("plan.you_approved", at=moment), weight="Bolder"))
        else:
            key = "plan.approve_leader" if person.role == "leader" else "plan.approve_intro"
            body.append(text(texts.get(key, leader=short(leader.name))))
        if person.leads:
            body += approval_status(conversation, texts, with_names=True)
        on_version = {**data, verbs.DATA_VERSION: version}
        if not approved:
            actions.append(
                execute(texts.get("plan.approve"), verbs.PLAN_APPROVE, on_version, style="positive")
            )
        if person.role != "leader":
            actions.append(_comment_form(texts, on_version, short(leader.name)))
    actions.append(execute(texts.get("plan.new_link"), verbs.PLAN_LINK, data))
    return card(body, actions)


def _comment_form(texts: Texts, data: dict[str, object], leader: str) -> Element:
    comment: Element = {
        "type": "Input.Text",
        "id": COMMENT_INPUT,
        "label": texts.get("plan.comment_label", leader=leader),
        "isMultiline": True,
        "maxLength": COMMENT_LIMIT,
        "isRequired": True,
        "errorMessage": texts.get("plan.comment_label", leader=leader),
    }
    send = execute(texts.get("plan.comment_send"), verbs.PLAN_COMMENT, data)
    return {
        "type": "Action.ShowCard",
        "title": texts.get("plan.comment"),
        "card": card([comment], [send]),
    }


def plan_ready_card(
    conversation: Conversation, texts: Texts, *, version: int | None, note: str | None = None
) -> Card:
    """Posted in the group or meeting chat: the plan is ready (or could not be made), and who
    has approved it (kept current as they do)."""
    if version is None:
        body: list[Element] = [notice(texts.get("plan.failed"))]
    else:
        body = [
            heading(texts.get("plan.title", kind=conversation.kind)),
            text(texts.get("plan.ready_group", version=version)),
        ]
        if version == conversation.plan_version:
            body += approval_status(conversation, texts, with_names=conversation.private)
    if note:
        body.append(text(note, isSubtle=True))
    regenerate = execute(
        texts.get("plan.generate"), verbs.PLAN_GENERATE, {verbs.DATA_CONVERSATION: conversation.id}
    )
    return card(body, [regenerate])


def comment_card(
    conversation: Conversation, texts: Texts, *, user_id: str, version: int, comment: str
) -> Card:
    """A participant's comment on the plan, as the leader gets it in their 1:1 chat."""
    person = conversation.participant(user_id)
    name = short(person.name) if person is not None else texts.get("live.someone")
    return card(
        [
            heading(texts.get("plan.comment_title", kind=conversation.kind)),
            text(texts.get("plan.comment_from", name=name, version=version)),
            {
                "type": "Container",
                "style": "emphasis",
                "items": [text(plain(comment))],
            },
            text(texts.get("plan.comment_hint", name=name), isSubtle=True),
        ]
    )


def approval_reminder_card(conversation: Conversation, texts: Texts) -> Card:
    """The leader's reminder, a week after a version was written, of who has not answered."""
    return card(
        [
            heading(texts.get("plan.reminder_title", kind=conversation.kind)),
            text(
                texts.get(
                    "plan.reminder_intro", kind=conversation.kind, version=conversation.plan_version
                )
            ),
            text(
                texts.get("plan.reminder_missing", names=_names(conversation.unanswered())),
                weight="Bolder",
            ),
            *approval_status(conversation, texts, with_names=False),
            text(texts.get("plan.reminder_hint"), isSubtle=True),
        ]
    )
