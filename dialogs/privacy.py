"""Erasing one person from a conversation (a data-protection request), purely.

``forget(conversation, person_ids, key=..., names=...)`` returns the conversation with every
trace of the person replaced or removed, or ``None`` when it does not mention them:

- as a participant: their name becomes "(slettet)", their Teams and Entra ids a pseudonym, their
  keywords, private notes, when they prepared and marks of keywords brought into play are
  removed;
- wherever else their id is kept: authorship of notes and agreements, who is responsible, whose
  own development goal an agreement is, a participant picked in any other agreement field, their
  approvals of the plan and their comments on it, the "last change by" line, the chat's
  onlookers, and the "opfølgning fra sidst" snapshot of an earlier plan that a later
  conversation keeps;
- their name (``names``: every name they went by, found by ``names_of`` first) wherever the
  group wrote it: notes, agreements (every field, "kan deles med" included), comments on the
  plan, the snapshot, the confidentiality statement, the setup's texts.

What the group wrote together stays, with the person named as "(slettet)". The pseudonym is an
HMAC of the id under ``key`` (a secret the caller makes for the erasure and then throws away), so
nobody who knows the Teams id can recompute it and find the person again.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import replace

from dialogs.conversation import Agreement, Conversation, Participant

ERASED_NAME = "(slettet)"
PSEUDONYM_PREFIX = "erased-"  # an erased person's ids become this and an HMAC
MIN_NAME = 3  # shorter "names" are not searched for in texts (they would erase ordinary words)


def pseudonym(user_id: str, key: bytes) -> str:
    return (
        PSEUDONYM_PREFIX + hmac.new(key, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
    )


def identities(conversation: Conversation, person_ids: frozenset[str]) -> frozenset[str]:
    """``person_ids`` with the participant ids they name in this conversation (a person given by
    Entra object id is a participant under their Teams id)."""
    matched = {
        p.user_id
        for p in conversation.participants
        if p.user_id in person_ids or p.aad_object_id in person_ids
    }
    return frozenset(person_ids | matched)


def names_of(conversation: Conversation, person_ids: frozenset[str]) -> frozenset[str]:
    """The names the person goes by in this conversation (as a participant, or as the one
    responsible for an agreement, here or in the earlier plan it keeps)."""
    ids = identities(conversation, person_ids)
    names = {p.name for p in conversation.participants if p.user_id in ids}
    agreements = _all_agreements(conversation)
    names |= {a.responsible for a in agreements if a.responsible_id in ids}
    return frozenset(n for n in names if len(n.strip()) >= MIN_NAME and n != ERASED_NAME)


def _all_agreements(conversation: Conversation) -> list[Agreement]:
    """The conversation's agreements and those of the earlier plan it keeps."""
    previous = conversation.previous.agreements if conversation.previous is not None else ()
    return [*conversation.agreements, *previous]


def _ids_in(conversation: Conversation) -> set[str]:
    found = {p.user_id for p in conversation.participants}
    found |= {p.aad_object_id for p in conversation.participants if p.aad_object_id}
    found |= set(conversation.onlookers) | {conversation.live.last_actor}
    agreements = _all_agreements(conversation)
    found |= {a.responsible_id for a in agreements} | {a.author_id for a in agreements}
    found |= {a.member_id for a in agreements} | {v for a in agreements for v in a.details.values()}
    found |= {n.author_id for n in conversation.notes}
    found |= {a.user_id for a in conversation.approvals} | {
        c.user_id for c in conversation.comments
    }
    return found


def _texts_of(conversation: Conversation) -> Iterable[str]:
    yield conversation.confidentiality
    yield conversation.setup.focus_points
    yield conversation.setup.workplace
    yield from conversation.setup.wording.values()
    yield from (x.text for x in conversation.setup.extra_questions)
    yield from (n.text for n in conversation.notes)
    agreements = _all_agreements(conversation)
    yield from (c.text for c in conversation.comments)
    for a in agreements:
        yield from (a.what, a.responsible, a.shared_with, *a.details.values())


def forget(
    conversation: Conversation,
    person_ids: frozenset[str],
    *,
    key: bytes,
    names: frozenset[str] = frozenset(),
) -> Conversation | None:
    ids = identities(conversation, person_ids)
    named = [n for n in names if len(n.strip()) >= MIN_NAME]
    if not (ids & _ids_in(conversation)) and not any(
        name in text for text in _texts_of(conversation) for name in named
    ):
        return None
    new_id = {uid: pseudonym(uid, key) for uid in ids}

    def scrub(text: str) -> str:
        for name in sorted(named, key=len, reverse=True):
            text = text.replace(name, ERASED_NAME)
        return text

    def the_id(value: str) -> str:
        return new_id.get(value, value)

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
            prepared_at=None,
        )

    agreement = _agreement_eraser(ids, the_id, scrub)
    previous = conversation.previous
    if previous is not None:
        previous = replace(previous, agreements=tuple(agreement(a) for a in previous.agreements))
    setup = conversation.setup
    setup = replace(
        setup,
        focus_points=scrub(setup.focus_points),
        workplace=scrub(setup.workplace),
        wording={k: scrub(v) for k, v in setup.wording.items()},
        extra_questions=tuple(replace(x, text=scrub(x.text)) for x in setup.extra_questions),
    )
    live = conversation.live
    return replace(
        conversation,
        version=conversation.version + 1,
        setup=setup,
        participants=tuple(participant(p) for p in conversation.participants),
        onlookers=tuple(o for o in conversation.onlookers if o not in ids),
        notes=tuple(
            replace(n, author_id=the_id(n.author_id), text=scrub(n.text))
            for n in conversation.notes
        ),
        agreements=tuple(agreement(a) for a in conversation.agreements),
        confidentiality=scrub(conversation.confidentiality),
        approvals=tuple(replace(a, user_id=the_id(a.user_id)) for a in conversation.approvals),
        comments=tuple(
            replace(c, user_id=the_id(c.user_id), text=scrub(c.text)) for c in conversation.comments
        ),
        live=replace(
            live,
            covered=tuple(k for k in live.covered if k.split("\x1f")[0] not in ids),
            last_actor=the_id(live.last_actor),
        ),
        previous=previous,
    )


def _agreement_eraser(
    ids: frozenset[str], the_id: Callable[[str], str], scrub: Callable[[str], str]
) -> Callable[[Agreement], Agreement]:
    def erase(a: Agreement) -> Agreement:
        responsible = ERASED_NAME if a.responsible_id in ids else scrub(a.responsible)
        return replace(
            a,
            what=scrub(a.what),
            details={k: the_id(scrub(v)) for k, v in a.details.items()},
            shared_with=scrub(a.shared_with),
            responsible=responsible,
            responsible_id=the_id(a.responsible_id),
            member_id=the_id(a.member_id),
            author_id=the_id(a.author_id),
        )

    return erase
