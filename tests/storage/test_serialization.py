"""Versioned JSON round-trips the aggregate exactly, reads earlier versions through their
migrations, and refuses what it cannot read."""

from __future__ import annotations

import dataclasses
import json

import pytest

from dialogs import events as ev
from dialogs.concept import default_concept_path, load_concept
from dialogs.conversation import previous_plan
from storage.keys import place_of
from storage.schemas import CONVERSATION
from storage.serialization import SerializationError
from tests.dialogs.test_transitions import AGREEMENT, LEADER, in_live, prepared, run

dumps, loads = CONVERSATION.dumps, CONVERSATION.loads


def test_a_live_conversation_round_trips() -> None:
    concept = load_concept(default_concept_path())
    conv = run(prepared(concept), ev.StartLive(LEADER.user_id), concept)
    conv = run(conv, ev.AddNote("u-1", "struktur", "Æblegrød og 😀\nlinje to"), concept)
    conv = run(conv, ev.AddAgreement("u-2", AGREEMENT, request_id="r1"), concept)
    conv = run(conv, ev.MarkKeyword(LEADER.user_id, "u-1", "Motivation"), concept)
    data = dumps(conv)
    assert json.loads(data)["schema_version"] == 3
    assert b"\xc3\x86blegr" in data  # UTF-8, not escaped
    assert loads(data) == conv


@pytest.mark.parametrize(
    "document",
    [
        b"not json",
        b"[]",
        b'{"schema_version": 99}',
        b'{"schema_version": 0}',
        b'{"schema_version": "2"}',
        b'{"schema_version": 2}',
        b'{"schema_version": 1}',
    ],
)
def test_unreadable_documents_are_refused(document: bytes) -> None:
    with pytest.raises(SerializationError):
        loads(document)


def test_a_wrong_type_deep_inside_is_refused() -> None:
    concept = load_concept(default_concept_path())
    raw = json.loads(dumps(in_live(concept)))
    raw["participants"][0]["keywords"] = "Motivation"
    with pytest.raises(SerializationError, match=r"participants\[0\]\.keywords"):
        loads(json.dumps(raw))
    raw = json.loads(dumps(in_live(concept)))
    raw["phase"] = "exploded"
    with pytest.raises(SerializationError, match="phase"):
        loads(json.dumps(raw))


def _broken(change: str) -> bytes:
    concept = load_concept(default_concept_path())
    raw = json.loads(dumps(in_live(concept)))
    if change == "missing":
        del raw["participants"][1]["user_id"]
    elif change == "item":
        raw["processed"] = ["a", "b", 7]
    elif change == "null":
        raw["setup"]["kind"] = None
    elif change == "object":
        raw["participants"] = {"a": 1}
    return json.dumps(raw).encode("utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing", "conversation.participants[1].user_id: missing"),
        ("item", "conversation.processed[2]: expected str"),
        ("null", "conversation.setup.kind: "),
        ("object", "conversation.participants: expected a list"),
    ],
)
def test_a_refusal_names_the_path_of_the_bad_value(change: str, message: str) -> None:
    with pytest.raises(SerializationError) as refused:
        loads(_broken(change))
    assert str(refused.value).startswith(message), str(refused.value)


def test_writing_is_what_dataclasses_asdict_gives() -> None:
    import dataclasses

    concept = load_concept(default_concept_path())
    conv = run(in_live(concept), ev.AddAgreement("u-2", AGREEMENT, request_id="r1"), concept)
    expected = json.dumps(dataclasses.asdict(conv), ensure_ascii=False, separators=(",", ":"))
    assert dumps(conv) == expected.encode("utf-8")


def test_a_version_1_conversation_is_migrated_and_its_teams_addresses_dropped() -> None:
    """Version 1 kept the chat, prompt message ids and the live card's message on the
    conversation; version 2 keeps only an opaque place (the bot keeps the rest itself)."""
    concept = load_concept(default_concept_path())
    current = run(in_live(concept), ev.AddAgreement("u-2", AGREEMENT, request_id="r1"), concept)
    raw = json.loads(dumps(current))
    chat = {"conversation_id": "19:group@thread.v2", "service_url": "https://s/", "is_group": True}
    raw.update(schema_version=1, chat=chat)
    del raw["place"]
    raw["participants"][1].update(
        prompt_chat={"conversation_id": "a:1", "service_url": "https://s/"},
        prompt_activity_id="1712345678901",
        unreachable=None,
    )
    raw["live"].update(card_chat=chat, card_activity_id="1712345678999")
    migrated = loads(json.dumps(raw))
    assert migrated == dataclasses.replace(current, place=place_of("19:group@thread.v2"))
    stored_again = dumps(migrated)
    assert b"1712345678" not in stored_again and b"service_url" not in stored_again
    assert json.loads(stored_again)["schema_version"] == 3


def test_a_version_2_conversation_keeps_its_agreements_texts_in_details() -> None:
    """Version 2 kept an agreement's when, who and value as its own fields; version 3 keeps the
    concept's other fields in ``details`` (the conversation's agreements and the last plan's)."""
    concept = load_concept(default_concept_path())
    current = run(in_live(concept), ev.AddAgreement("u-2", AGREEMENT, request_id="r1"), concept)
    previous = dataclasses.replace(
        previous_plan(current), agreements=(dataclasses.replace(current.agreements[0], id="a0"),)
    )
    current = dataclasses.replace(current, previous=previous)
    raw = json.loads(dumps(current))
    raw["schema_version"] = 2
    for agreement in (raw["agreements"][0], raw["previous"]["agreements"][0]):
        details = agreement.pop("details")
        agreement.update(when=details["when"], who=details["who"], value="")
        for added in ("member_id", "shared_with"):
            del agreement[added]
    for added in ("no_goals", "comments", "plan_written_at", "approval_reminded"):
        del raw[added]
    migrated = loads(json.dumps(raw))
    assert migrated == current
    assert migrated.agreements[0].when == "Fra januar" and migrated.agreements[0].value == ""
    assert migrated.previous is not None and migrated.previous.agreements[0].who == "Alle"
    assert json.loads(dumps(migrated))["schema_version"] == 3
