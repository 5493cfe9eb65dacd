"""Who may do what: the whole matrix, against the pure transitions.

Roles are read from the stored conversation, never from card data. Every refusal is a typed
``NotParticipant`` (strangers) or ``NotPermitted`` (wrong role); see docs/authorization.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from dialogs import events as ev
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Conversation
from dialogs.errors import NotParticipant, NotPermitted
from dialogs.transitions import apply
from tests.dialogs.test_transitions import (
    AGREEMENT,
    KW,
    LEADER,
    NOW,
    in_preparation,
    in_setup,
    run,
    setup_event,
)

ROLES = {"leader": LEADER.user_id, "co-facilitator": "u-1", "participant": "u-2", "stranger": "u-x"}


def prepared(concept: Concept) -> Conversation:
    conv = run(in_setup(concept), setup_event(co_facilitator="u-1"), concept)
    for p in conv.participants:
        conv = run(conv, ev.ChooseKeywords(p.user_id, KW), concept)
    return conv


def live(concept: Concept) -> Conversation:
    conv = run(prepared(concept), ev.StartLive(LEADER.user_id), concept)
    return run(conv, ev.AddAgreement("u-3", AGREEMENT), concept)


def closed(concept: Concept) -> Conversation:
    return run(live(concept), ev.Finish(LEADER.user_id), concept)


def edit_setup(actor: str) -> ev.Event:
    return replace(setup_event(co_facilitator="u-1"), actor=actor)


State = Callable[[Concept], Conversation]
# action: (state, event for an actor, roles allowed)
MATRIX: dict[str, tuple[State, Callable[[str], ev.Event], set[str]]] = {
    "edit the setup": (in_preparation, edit_setup, {"leader"}),
    "choose keywords": (
        in_preparation,
        lambda a: ev.ChooseKeywords(a, KW),
        {"leader", "co-facilitator", "participant"},
    ),
    "remind": (prepared, ev.RemindUnprepared, {"leader", "co-facilitator"}),
    "share keywords": (prepared, ev.ShareKeywords, {"leader", "co-facilitator"}),
    "start": (prepared, ev.StartLive, {"leader", "co-facilitator"}),
    "move": (live, lambda a: ev.Move(a, to=1), {"leader", "co-facilitator"}),
    "mark a keyword": (
        live,
        lambda a: ev.MarkKeyword(a, LEADER.user_id, KW[0]),
        {"leader", "co-facilitator", "participant"},
    ),
    "add a note": (
        live,
        lambda a: ev.AddNote(a, "adfaerd", "note"),
        {"leader", "co-facilitator", "participant"},
    ),
    "add an agreement": (
        live,
        lambda a: ev.AddAgreement(a, AGREEMENT),
        {"leader", "co-facilitator", "participant"},
    ),
    "edit an agreement": (
        live,
        lambda a: ev.EditAgreement(a, "a0", AGREEMENT),
        {"leader", "co-facilitator", "participant"},
    ),
    "remove an agreement": (
        live,
        lambda a: ev.RemoveAgreement(a, "a0"),
        {"leader", "co-facilitator", "participant"},
    ),
    "finish": (live, ev.Finish, {"leader", "co-facilitator"}),
    "mark a follow-up done": (
        closed,
        lambda a: ev.CompleteFollowUp(a, "a0"),
        {"leader", "co-facilitator", "participant"},
    ),
}


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


@pytest.mark.parametrize("action", list(MATRIX))
@pytest.mark.parametrize("role", list(ROLES))
def test_authorization_matrix(concept: Concept, action: str, role: str) -> None:
    state, make, allowed = MATRIX[action]
    conv = state(concept)
    if conv.agreements:  # the matrix refers to the first agreement as "a0"
        make_event = make
        first = conv.agreements[0].id

        def make(actor: str) -> ev.Event:
            event = make_event(actor)
            return replace(event, agreement_id=first) if hasattr(event, "agreement_id") else event

    event = make(ROLES[role])
    if role in allowed:
        updated, _ = apply(conv, event, concept, NOW)
        assert updated.version > conv.version
    else:
        expected = NotParticipant if role == "stranger" else NotPermitted
        with pytest.raises(expected):
            apply(conv, event, concept, NOW)
