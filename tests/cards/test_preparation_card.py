"""The preparation card as a person reads it: the decided facts on top, only their own guidance,
a compact keyword picker, the summary after saving ("Ret" opens the form again), and the answer
to a press both on top and beside the button that was pressed.

(That every one of these cards is valid for Teams is ``test_card_schema.py``'s job.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from cards import verbs
from cards.errors import refusal_message
from cards.preparation import (
    GUIDANCE,
    KEYWORD_COLUMNS,
    NOTICE_BOTTOM,
    NOTICE_TOP,
    QUESTIONS,
    keyword_input,
    note_input,
    preparation_card,
)
from dialogs import events as ev
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Conversation
from tests.cards.test_card_schema import (
    DA,
    EN,
    LEADER,
    MEMBERS,
    fresh,
    keywords,
    live,
    refusal,
    run,
    setup_event,
    walk,
)

Card = dict[str, Any]
EMPLOYEE = MEMBERS[0].user_id


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


def prepared_for(concept: Concept, kind: str, **overrides: Any) -> Conversation:
    """A conversation of ``kind`` in preparation; MUS and LUS with one participant."""
    people = MEMBERS if kind == "GRUS" else MEMBERS[:1]
    values: dict[str, Any] = {"kind": kind, "participants": people}
    if kind != "GRUS":
        values["co_facilitator"] = None
    values.update(overrides)
    return run(fresh(concept, kind), setup_event(concept, **values), concept)


def chose(
    conv: Conversation, concept: Concept, notes: dict[str, str] | None = None
) -> Conversation:
    return run(conv, ev.ChooseKeywords(EMPLOYEE, keywords(concept, 1), notes or {}), concept)


def text_blocks(node: Any) -> list[str]:
    return [n["text"] for n in walk(node) if n.get("type") == "TextBlock"]


def elements(card: Card) -> Iterator[dict[str, Any]]:
    """Body elements, nested ones included (not actions)."""
    return (n for n in walk(card["body"]) if not str(n.get("type", "")).startswith("Action."))


def by_id(card: Card, element_id: str) -> dict[str, Any]:
    (found,) = [n for n in elements(card) if n.get("id") == element_id]
    return found


def toggles(card: Card) -> list[dict[str, Any]]:
    return [n for n in walk(card) if n.get("type") == "Input.Toggle"]


def inputs(card: Card) -> list[dict[str, Any]]:
    return [n for n in walk(card) if str(n.get("type", "")).startswith("Input.")]


def facts_of(card: Card) -> dict[str, str]:
    (fact_set,) = [n for n in card["body"] if n.get("type") == "FactSet"][:1]
    return {f["title"]: f["value"] for f in fact_set["facts"]}


def card_verbs(card: Card) -> list[str]:
    return [a["verb"] for a in card.get("actions", []) if a["type"] == "Action.Execute"]


def notices(card: Card) -> list[dict[str, Any]]:
    return [n for n in elements(card) if n.get("style") in ("attention", "good")]


# --- what the leader decided -------------------------------------------------------------


def test_the_decided_facts_come_first_and_nothing_decided_reads_as_open(concept: Concept) -> None:
    conv = prepared_for(concept, "GRUS", variant="puslespil", walk_and_talk=True)
    card = preparation_card(conv, concept, DA, EMPLOYEE)
    assert [n["type"] for n in card["body"][:2]] == ["ColumnSet", "FactSet"]
    assert text_blocks(card["body"][0]) == ["Forberedelse til GRUS", "Gruppeudviklingssamtale"]
    assert facts_of(card) == {
        "Hvornår": "1\\. december 2026 kl. 09:00",
        "Varighed": "120 minutter",
        "Arbejdsplads": "Bibliotek & Borgerservice",
        "Form": "Puslespil",
        "Walk'n'talk": "Ja",
        "Leder": "Lene Leder",
        "Deltagere": "Lene Leder, " + ", ".join(m.name for m in MEMBERS),
    }
    assert "ikke fastlagt" not in json.dumps(card, ensure_ascii=False)

    skema = preparation_card(prepared_for(concept, "GRUS"), concept, EN, EMPLOYEE)
    assert facts_of(skema)["Format"] == "Skema (form)" and facts_of(skema)["Walk'n'talk"] == "No"


def test_an_open_time_is_said_to_be_open(concept: Concept) -> None:
    conv = prepared_for(concept, "MUS", starts_at=None, workplace="")
    facts = facts_of(preparation_card(conv, concept, DA, EMPLOYEE))
    assert facts["Hvornår"] == DA.get("prep.not_scheduled")
    assert "Arbejdsplads" not in facts


# --- guidance: the participant's, and the leader's duties on the leader's card only --------


@pytest.mark.parametrize("kind", ["MUS", "LUS", "GRUS"])
def test_only_participant_guidance_on_a_participant_s_card(concept: Concept, kind: str) -> None:
    info = concept.kind(kind)
    conv = prepared_for(concept, kind)
    employee = text_blocks(preparation_card(conv, concept, DA, EMPLOYEE))
    leader = text_blocks(preparation_card(conv, concept, DA, LEADER.user_id))
    assert info.leader_preparation
    for paragraph in info.preparation:
        assert paragraph in employee and paragraph in leader
    for paragraph in info.leader_preparation:
        assert paragraph not in employee
        assert paragraph in leader
    assert DA.get("prep.leader_duties") not in employee
    assert DA.get("prep.leader_duties") in leader


def test_the_guidance_is_behind_a_toggle(concept: Concept) -> None:
    card = preparation_card(prepared_for(concept, "GRUS"), concept, DA, LEADER.user_id)
    guidance = by_id(card, GUIDANCE)
    assert guidance["isVisible"] is False
    kind = concept.kind("GRUS")
    assert set(kind.preparation) | set(kind.leader_preparation) <= set(text_blocks(guidance))
    (toggle,) = [
        a
        for a in walk(card)
        if a.get("type") == "Action.ToggleVisibility" and a["targetElements"] == [GUIDANCE]
    ]
    assert toggle["title"] == "Læs vejledningen"
    assert toggle in walk(card["body"][0])  # beside the title, in every state
    links = [a["url"] for a in walk(guidance) if a.get("type") == "Action.OpenUrl"]
    assert links == [link.url for link in concept.links]


# --- the form -----------------------------------------------------------------------------


def test_the_keywords_are_toggles_in_columns_in_the_concept_s_order(concept: Concept) -> None:
    card = preparation_card(prepared_for(concept, "GRUS"), concept, DA, EMPLOYEE)
    (picker,) = [n for n in elements(card) if n.get("type") == "ColumnSet" and toggles(n)]
    columns = [[t["title"] for t in toggles(column)] for column in picker["columns"]]
    assert len(columns) == KEYWORD_COLUMNS == 2
    assert [len(c) for c in columns] == [17, 16]
    assert [k for column in columns for k in column] == list(concept.keywords)
    # Each column is as wide as its longest word needs: "Beslutningskompetence" (21 letters)
    # against "Arbejdsområder" (14), each with room for the checkbox.
    assert [column["width"] for column in picker["columns"]] == [26, 19]
    assert all(t["wrap"] is True and "label" not in t for t in toggles(card))
    assert [t["id"] for t in toggles(card)] == [keyword_input(k) for k in concept.keywords]
    assert {t["value"] for t in toggles(card)} == {"false"}
    assert [i["id"] for i in inputs(card) if i["type"] == "Input.Text"] == [
        note_input(p.id) for p in concept.perspectives
    ]
    assert card_verbs(card) == [verbs.PREP_KEYWORDS]
    assert notices(card) == []


def test_a_fourth_keyword_is_refused_beside_the_button_with_the_choice_kept(
    concept: Concept,
) -> None:
    conv = prepared_for(concept, "GRUS")
    four = (*keywords(concept, 1), concept.keywords[2])
    message = refusal_message(refusal(conv, ev.ChooseKeywords(EMPLOYEE, four), concept), DA)
    assert message == "Vælg præcis tre forskellige stikord (du valgte 4)."
    sent = {keyword_input(k): "true" if k in four else "false" for k in concept.keywords}
    sent[note_input("struktur")] = "Det, jeg skrev"
    card = preparation_card(conv, concept, DA, EMPLOYEE, message=message, values=sent)
    top, bottom = card["body"][0], card["body"][-1]
    assert (top["id"], bottom["id"]) == (NOTICE_TOP, NOTICE_BOTTOM)
    assert text_blocks(top) == text_blocks(bottom) == [message]
    assert top["style"] == bottom["style"] == "attention"
    assert card_verbs(card) == [verbs.PREP_KEYWORDS]  # the button right below the notice
    assert {t["title"] for t in toggles(card) if t["value"] == "true"} == set(four)
    assert by_id(card, note_input("struktur"))["value"] == "Det, jeg skrev"


# --- saved: the summary, and "Ret" ------------------------------------------------------------


def test_after_saving_the_card_folds_to_a_summary(concept: Concept) -> None:
    conv = chose(prepared_for(concept, "GRUS"), concept, {"adfaerd": "Min hemmelige tanke"})
    chosen = ", ".join(keywords(concept, 1))
    saved = DA.get("prep.saved")
    card = preparation_card(conv, concept, DA, EMPLOYEE, message=saved, success=True)
    assert inputs(card) == []
    assert "Min hemmelige tanke" not in json.dumps(card, ensure_ascii=False)
    shown = text_blocks(card)
    assert f"Dine stikord: {chosen}" in shown
    assert DA.get("prep.notes_saved") in shown
    assert [n["id"] for n in notices(card)] == [NOTICE_TOP, NOTICE_BOTTOM]
    assert card["body"][-1]["style"] == "good" and text_blocks(card["body"][-1]) == [saved]
    (edit,) = card["actions"]
    assert (edit["verb"], edit["title"]) == (verbs.PREP_EDIT, "Ret")
    assert edit["data"] == {verbs.DATA_CONVERSATION: conv.id}
    assert by_id(card, QUESTIONS)["isVisible"] is False  # the questions folded away too

    no_notes = preparation_card(
        chose(prepared_for(concept, "GRUS"), concept), concept, DA, EMPLOYEE
    )
    assert DA.get("prep.no_notes") in text_blocks(no_notes)


def test_ret_opens_the_form_filled_in(concept: Concept) -> None:
    conv = chose(prepared_for(concept, "GRUS"), concept, {"opgaver": "Om opgaverne"})
    card = preparation_card(conv, concept, DA, EMPLOYEE, editing=True)
    assert {t["title"] for t in toggles(card) if t["value"] == "true"} == set(keywords(concept, 1))
    assert by_id(card, note_input("opgaver"))["value"] == "Om opgaverne"
    assert "value" not in by_id(card, note_input("adfaerd"))
    assert card_verbs(card) == [verbs.PREP_KEYWORDS]
    assert notices(card) == []


def test_the_delivered_card_shows_the_current_state_and_no_banner(concept: Concept) -> None:
    """The card the bot sends, and later edits in place, is built without a message: the form
    before choosing, the summary after, locked once live; never a notice of an earlier press."""
    conv = prepared_for(concept, "GRUS")
    before = preparation_card(conv, concept, DA, EMPLOYEE)
    after = preparation_card(chose(conv, concept), concept, DA, EMPLOYEE)
    started = preparation_card(live(concept), concept, DA, EMPLOYEE)
    assert card_verbs(before) == [verbs.PREP_KEYWORDS] and len(toggles(before)) == 33
    assert card_verbs(after) == [verbs.PREP_EDIT] and inputs(after) == []
    assert card_verbs(started) == [] and inputs(started) == []
    assert DA.get("prep.locked") in text_blocks(started)
    assert any(t.startswith("Dine stikord: ") for t in text_blocks(started))
    for card in (before, after, started):
        assert notices(card) == []


@pytest.mark.parametrize(
    "build",
    [
        lambda c: preparation_card(prepared_for(c, "GRUS"), c, DA, LEADER.user_id),
        lambda c: preparation_card(chose(prepared_for(c, "GRUS"), c), c, DA, EMPLOYEE, message="x"),
        lambda c: preparation_card(live(c), c, EN, EMPLOYEE, message="x"),
    ],
    ids=["form", "summary", "locked"],
)
def test_element_ids_are_unique(concept: Concept, build: Any) -> None:
    ids = [n["id"] for n in elements(build(concept)) if "id" in n]
    assert len(ids) == len(set(ids))
