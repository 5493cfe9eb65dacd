"""Erasing one person from a conversation (a data-protection request), purely.

``forget(conversation, person_ids)`` returns the conversation with that person's name, Teams and
Entra ids, keywords, private notes and authorship replaced or removed, or
``None`` when they are not in it. What the group wrote together (notes, agreements) stays, with
the person named as "(slettet)" where they were responsible.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from dialogs.conversation import Agreement, Conversation, Participant

ERASED_NAME = "(slettet)"


def _pseudonym(user_id: str) -> str:
    return "erased-" + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:12]


def _involves(conversation: Conversation, ids: frozenset[str]) -> bool:
    people = {p.user_id for p in conversation.participants} | {
        p.aad_object_id for p in conversation.participants if p.aad_object_id
    }
    return bool(people & ids)


def _agreement(agreement: Agreement, ids: frozenset[str], new_id: dict[str, str]) -> Agreement:
    changes: dict[str, str] = {}
    if agreement.responsible_id in ids:
        changes.update(responsible=ERASED_NAME, responsible_id=new_id[agreement.responsible_id])
    if agreement.author_id in ids:
        changes["author_id"] = new_id[agreement.author_id]
    return replace(agreement, **changes) if changes else agreement


def identities(conversation: Conversation, person_ids: frozenset[str]) -> frozenset[str]:
    """``person_ids`` with the participant ids they name in this conversation (a person given by
    Entra object id is a participant under their Teams id)."""
    matched = {
        p.user_id
        for p in conversation.participants
        if p.user_id in person_ids or p.aad_object_id in person_ids
    }
    return frozenset(person_ids | matched)


def forget(conversation: Conversation, person_ids: frozenset[str]) -> Conversation | None:
    if not _involves(conversation, person_ids):
        return None
    ids = identities(conversation, person_ids)
    new_id = {uid: _pseudonym(uid) for uid in ids}

    def participant(p: Participant) -> Participant:
        if p.user_id not in ids:
            return p
        return replace(
            p,
            user_id=new_id[p.user_id],
            name=ERASED_NAME,
            aad_object_id="",
            keywords=(),
            prep_notes={},
        )

    previous = conversation.previous
    if previous is not None:
        previous = replace(
            previous, agreements=tuple(_agreement(a, ids, new_id) for a in previous.agreements)
        )
    return replace(
        conversation,
        version=conversation.version + 1,
        participants=tuple(participant(p) for p in conversation.participants),
        notes=tuple(
            replace(n, author_id=new_id[n.author_id]) if n.author_id in ids else n
            for n in conversation.notes
        ),
        agreements=tuple(_agreement(a, ids, new_id) for a in conversation.agreements),
        live=replace(
            conversation.live,
            covered=tuple(k for k in conversation.live.covered if k.split("\x1f")[0] not in ids),
        ),
        previous=previous,
    )
