"""What a person typed, put back into a form after a refusal, and names in choices: as they were
written, but never with bidirectional or control characters, and never Markdown-escaped where
Adaptive Cards show plain text (choice titles)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cards.live import NOTE_TEXT, live_card
from cards.preparation import note_input, preparation_card
from cards.setup import INPUT_DURATION, INPUT_FOCUS, setup_card
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Person
from tests.cards.test_card_schema import DA, LEADER, MEMBERS, all_prepared, live, walk

HIDDEN = "\u202e\u2066\u200f\u061c\x07"  # bidi overrides, isolates, marks and a bell
TYPED = f"Mod{HIDDEN} på nyt"


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


def assert_clean(card: dict[str, Any]) -> None:
    sent = json.dumps(card, ensure_ascii=False)
    assert not any(ch in sent for ch in HIDDEN)
    assert "Mod på nyt" in sent  # the rest of what was typed is kept


def test_a_refused_live_form_gives_back_what_was_typed_without_hidden_characters(
    concept: Concept,
) -> None:
    card = live_card(
        live(concept), concept, DA, viewer=MEMBERS[0].user_id, values={NOTE_TEXT: TYPED}
    )
    assert_clean(card)


def test_a_refused_preparation_form_gives_back_the_notes_without_hidden_characters(
    concept: Concept,
) -> None:
    perspective = concept.perspectives[0].id
    card = preparation_card(
        all_prepared(concept),
        concept,
        DA,
        MEMBERS[0].user_id,
        values={note_input(perspective): TYPED},
    )
    assert_clean(card)


def test_a_refused_setup_gives_back_what_was_typed_and_survives_other_digits(
    concept: Concept,
) -> None:
    roster = [Person(LEADER.user_id, LEADER.name), Person("29:anne", "Anne (HR) *Jensen*")]
    card = setup_card(
        concept, DA, kind="GRUS", roster=roster, values={INPUT_FOCUS: TYPED, INPUT_DURATION: "²"}
    )
    assert_clean(card)
    titles = [c["title"] for e in walk(card) for c in e.get("choices", [])]
    assert "Anne (HR) *Jensen*" in titles  # a choice shows plain text: nothing to escape
