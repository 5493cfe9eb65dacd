"""The packaged concept loads with the expected shape, and every broken field is refused.

Broken-file tests copy the packaged JSON into ``tmp_path``, break exactly one thing and expect a
``ConceptError`` whose ``field`` (and message) names the offending field path.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
from collections.abc import Callable
from typing import Any

import pytest

from dialogs.concept import (
    Concept,
    ConceptError,
    default_concept_path,
    load_concept,
)

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


def _packaged() -> Doc:
    return json.loads(default_concept_path().read_text(encoding="utf-8"))


def _write(tmp_path: pathlib.Path, doc: Any) -> pathlib.Path:
    path = tmp_path / "concept.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


# --- the packaged concept ---------------------------------------------------------------------


def test_packaged_file_loads(concept: Concept) -> None:
    assert default_concept_path().is_file()
    assert concept.id == "albertslund"
    assert concept.organisation == "Albertslund Kommune"


def test_three_perspectives_in_order_with_three_questions_each(concept: Concept) -> None:
    assert [p.id for p in concept.perspectives] == ["adfaerd", "struktur", "opgaver"]
    assert [p.name for p in concept.perspectives] == ["Adfærd", "Struktur", "Opgaver"]
    assert [len(p.questions) for p in concept.perspectives] == [3, 3, 3]
    assert [q.id for q in concept.questions] == [f"q{n}" for n in range(1, 10)]
    assert [q.number for q in concept.questions] == list(range(1, 10))
    for p in concept.perspectives:
        assert {q.perspective_id for q in p.questions} == {p.id}


def test_adfaerd_is_violet_and_colours_are_distinct(concept: Concept) -> None:
    adfaerd = concept.perspective("adfaerd")
    assert adfaerd.colour_name == "violet"
    assert adfaerd.colour.upper() == "#7B3F98"
    assert len({p.colour.upper() for p in concept.perspectives}) == 3
    assert len({p.colour_name for p in concept.perspectives}) == 3


def test_kinds(concept: Concept) -> None:
    assert set(concept.kinds) == {"MUS", "LUS", "GRUS"}
    mus, lus, grus = concept.kind("MUS"), concept.kind("LUS"), concept.kind("GRUS")
    assert (mus.form, lus.form, grus.form) == ("du", "du", "I")
    assert (mus.default_minutes, lus.default_minutes, grus.default_minutes) == (60, 90, 120)
    assert (mus.leader_title, lus.leader_title, grus.leader_title) == (
        "Leder",
        "Leders leder",
        "Leder",
    )
    assert mus.name == "Medarbejderudviklingssamtale"
    assert lus.name == "Lederudviklingssamtale"
    assert grus.name == "Gruppeudviklingssamtale"
    for code, info in concept.kinds.items():
        assert info.code == code
        assert info.description and info.preparation and info.conduct and info.follow_up
    assert lus.focus == ("Medarbejdertrivsel", "Økonomistyring", "Sygefravær")
    assert mus.focus == () and grus.focus == ()


def test_leader_duties_are_apart_from_everyone_s_preparation(concept: Concept) -> None:
    """Inviting, booking a room, handing out the concept and agreeing focus points with the leader
    group are the leader's duties: they are in ``leader_preparation``, not in ``preparation``."""
    duties = ("invitere", "inviterer", "reserveres lokale", "udgave af konceptet", "ledergruppe")
    for code, info in concept.kinds.items():
        assert info.leader_preparation, code
        for paragraph in info.leader_preparation:
            assert any(duty in paragraph for duty in duties), (code, paragraph)
        for paragraph in info.preparation:
            assert not any(duty in paragraph for duty in duties), (code, paragraph)
    assert [len(k.preparation) for k in concept.kinds.values()] == [3, 3, 3]
    assert [len(k.leader_preparation) for k in concept.kinds.values()] == [3, 2, 3]
    assert concept.kind("LUS").leader_preparation[0].startswith("Leders leder inviterer til LUS.")


def test_leader_preparation_is_optional(tmp_path: pathlib.Path) -> None:
    doc = _packaged()
    del doc["kinds"]["MUS"]["leader_preparation"]
    loaded = load_concept(_write(tmp_path, doc))
    assert loaded.kind("MUS").leader_preparation == ()
    assert (
        loaded.kind("GRUS").leader_preparation
        == load_concept(default_concept_path()).kind("GRUS").leader_preparation
    )


def test_question_text_by_form(concept: Concept) -> None:
    q1 = concept.question("q1")
    assert q1.text("du") == "Hvordan trives du helt grundlæggende med dit arbejde og dine opgaver?"
    assert q1.text("I") == "Hvordan trives I helt grundlæggende med jeres arbejde og opgaver?"
    assert q1.text(concept.kind("GRUS").form) == q1.plural
    with pytest.raises(ValueError):
        q1.text("vi")


def test_lookups(concept: Concept) -> None:
    assert concept.question("q5").perspective_id == "struktur"
    assert concept.perspective("opgaver").questions[0].id == "q7"
    for lookup, key in (
        (concept.question, "q10"),
        (concept.perspective, "ledelse"),
        (concept.kind, "XUS"),
    ):
        with pytest.raises(KeyError):
            lookup(key)


def test_keywords_plan_and_links(concept: Concept) -> None:
    assert len(concept.keywords) == 33
    assert concept.keywords[0] == "Motivation" and concept.keywords[-1] == "Nærvær"
    assert {"Work-life balance", "Vores opgave", "Mål og retning"} <= set(concept.keywords)
    assert concept.plan.title == "UDVIKLINGSPLAN"
    assert concept.plan.questions == "Spørgsmål"
    assert concept.plan.agreement_prompt == (
        "Hvad, hvornår, hvem? Hvem har ansvar, hvornår følges der op?"
    )
    assert [link.id for link in concept.links] == ["vision", "grundlag"]
    assert all(link.url.startswith("https://") for link in concept.links)


def test_concept_is_immutable(concept: Concept) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        concept.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        concept.kinds["XUS"] = concept.kind("MUS")  # type: ignore[index]
    assert isinstance(concept.perspectives, tuple) and isinstance(concept.keywords, tuple)


def test_comment_keys_are_ignored(tmp_path: pathlib.Path) -> None:
    doc = _packaged()
    doc["_note"] = "top"
    doc["kinds"]["LUS"]["_note"] = {"any": ["shape"]}
    doc["perspectives"][2]["questions"][0]["_note"] = 1
    assert load_concept(_write(tmp_path, doc)) == load_concept(default_concept_path())


def test_keywords_may_be_left_out(tmp_path: pathlib.Path) -> None:
    for keywords in (_DELETE, []):
        doc = _packaged()
        _edit("keywords", keywords)(doc)
        loaded = load_concept(_write(tmp_path, doc))
        assert loaded.keywords == () and not loaded.uses_keywords


def test_the_agreement_fields_default_to_albertslunds_six(tmp_path: pathlib.Path) -> None:
    doc = _packaged()
    del doc["plan"]["agreement_fields"]
    loaded = load_concept(_write(tmp_path, doc))
    assert [f.id for f in loaded.agreement_fields_for("GRUS")] == [
        "what", "when", "who", "responsible", "follow_up", "value",
    ]  # fmt: skip


def test_albertslunds_agreement_fields(concept: Concept) -> None:
    """Albertslund's six fields as before, then "kan deles med" and, in a GRUS, whose own goal
    it is."""
    fields = concept.agreement_fields_for("MUS")
    assert [(f.id, f.label, f.input) for f in fields] == [
        ("what", "Hvad", "text"),
        ("when", "Hvornår", "text"),
        ("who", "Hvem", "text"),
        ("responsible", "Ansvarlig", "participant"),
        ("follow_up", "Opfølgning", "date"),
        ("value", "Værdi", "text"),
        ("shared_with", "Kan deles med", "text"),
    ]
    assert [f.max_length for f in fields if f.input == "text"] == [500, 200, 200, 500, 200]
    assert [f.id for f in fields if f.required] == ["what"]
    assert [f.id for f in concept.agreement_fields_for("GRUS")][-1] == "member"
    assert (
        fields[4].prompt() == "Opfølgning (dato)" and fields[4].prompt("en") == "Follow-up (date)"
    )


def test_a_question_may_belong_to_some_kinds_and_leave_out_its_plural(
    tmp_path: pathlib.Path,
) -> None:
    doc = _packaged()
    question = doc["perspectives"][2]["questions"][2]
    question["kinds"] = ["LUS"]
    del question["plural"]
    loaded = load_concept(_write(tmp_path, doc))
    assert [q.id for q in loaded.questions_for("LUS")][-1] == "q9"
    assert "q9" not in [q.id for q in loaded.questions_for("MUS")]
    assert loaded.question("q9").plural == loaded.question("q9").singular


def test_every_kind_needs_a_question(tmp_path: pathlib.Path) -> None:
    doc = _packaged()
    for perspective in doc["perspectives"]:
        for question in perspective["questions"]:
            question["kinds"] = ["MUS", "LUS"]
    with pytest.raises(ConceptError, match="GRUS") as info:
        load_concept(_write(tmp_path, doc))
    assert "GRUS har ingen spørgsmål" in info.value.danish


def test_every_refusal_is_said_in_danish_too(tmp_path: pathlib.Path) -> None:
    doc = _packaged()
    doc["plan"]["agreement_fields"][1]["input"] = "number"
    path = _write(tmp_path, doc)
    with pytest.raises(ConceptError) as info:
        load_concept(path)
    assert info.value.danish == (
        f"Fejl i konceptfilen {path}: feltet »plan.agreement_fields[1].input« "
        "skal være en af: text, date, participant."
    )


def test_accepts_a_str_path() -> None:
    assert load_concept(str(default_concept_path())).id == "albertslund"


# --- broken files -----------------------------------------------------------------------------


_DELETE = object()


def _edit(field: str, value: Any) -> Callable[[Doc], None]:
    """Set (or with ``_DELETE`` remove) the value at a field path like ``links[1].url``."""
    keys: list[Any] = [
        int(key[1:-1]) if key.startswith("[") else key
        for key in re.findall(r"\[\d+\]|[^.\[\]]+", field)
    ]

    def mutate(doc: Doc) -> None:
        target: Any = doc
        for key in keys[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value

    return mutate


# (case, field path that is broken and must be reported, new value or _DELETE)
EDITS: list[tuple[str, str, Any]] = [
    ("keywords not a list", "keywords", "Motivation"),
    ("fewer keywords than everyone picks", "keywords", ["Motivation", "Mod"]),
    ("too many keywords", "keywords", [f"Stikord {n}" for n in range(61)]),
    ("duplicate keyword (case-insensitive)", "keywords[5]", "motivation"),
    ("newline in a keyword", "keywords[3]", "Arbejds\nkultur"),
    ("empty plural", "perspectives[0].questions[1].plural", ""),
    ("blank singular", "perspectives[0].questions[1].singular", "   "),
    ("plural not a string", "perspectives[0].questions[1].plural", 7),
    ("unknown key in question", "perspectives[0].questions[1].text", "x"),
    ("control character", "perspectives[0].name", "Adf\x07ærd"),
    ("bad colour", "perspectives[0].colour", "violet"),
    ("perspective without questions", "perspectives[1].questions", []),
    ("duplicate perspective id", "perspectives[2].id", "adfaerd"),
    ("duplicate question id", "perspectives[1].questions[0].id", "q2"),
    ("question number gap", "perspectives[1].questions[0].number", 5),
    ("no perspectives", "perspectives", []),
    ("surrounding whitespace", "organisation", " Albertslund Kommune"),
    ("unknown kind", "kinds.XUS", {}),
    ("missing kind", "kinds.LUS", _DELETE),
    ("kinds not an object", "kinds", ["MUS"]),
    ("bad form", "kinds.MUS.form", "vi"),
    ("minutes too low", "kinds.GRUS.default_minutes", 5),
    ("minutes too high", "kinds.LUS.default_minutes", 481),
    ("minutes as text", "kinds.MUS.default_minutes", "60"),
    ("minutes as bool", "kinds.MUS.default_minutes", True),
    ("minutes as float", "kinds.MUS.default_minutes", 60.5),
    ("empty guidance", "kinds.LUS.conduct", []),
    ("empty guidance paragraph", "kinds.MUS.preparation[1]", ""),
    ("missing kind field", "kinds.GRUS.focus", _DELETE),
    ("leader guidance not a list", "kinds.MUS.leader_preparation", "Inviter"),
    ("empty leader guidance paragraph", "kinds.GRUS.leader_preparation[0]", ""),
    ("unknown kind field", "kinds.LUS.leader_focus", []),
    ("bad URL scheme", "links[1].url", "ftp://albertslund.dk/x.pdf"),
    ("URL without host", "links[0].url", "https://"),
    ("javascript URL", "links[0].url", "javascript:alert(1)"),
    ("duplicate link id", "links[1].id", "vision"),
    ("unknown key in plan", "plan.colour", "rød"),
    ("agreement fields not a list", "plan.agreement_fields", {"what": "Hvad"}),
    ("no agreement fields", "plan.agreement_fields", []),
    ("agreement field of unknown input", "plan.agreement_fields[1].input", "number"),
    ("agreement field id with a capital", "plan.agreement_fields[2].id", "Hvem"),
    ("duplicate agreement field id", "plan.agreement_fields[2].id", "when"),
    ("responsible as text", "plan.agreement_fields[3].input", "text"),
    ("follow-up as text", "plan.agreement_fields[4].input", "text"),
    ("what not required", "plan.agreement_fields[0].required", False),
    ("what for one kind", "plan.agreement_fields[0].kinds", ["MUS"]),
    ("required as text", "plan.agreement_fields[1].required", "ja"),
    ("length of a date", "plan.agreement_fields[4].max_length", 10),
    ("length too long", "plan.agreement_fields[5].max_length", 5000),
    ("member for MUS", "plan.agreement_fields[7].kinds", ["MUS", "GRUS"]),
    ("unknown kind of a field", "plan.agreement_fields[6].kinds", ["MUS", "XUS"]),
    ("unknown key in a field", "plan.agreement_fields[1].colour", "rød"),
    ("label too long", "plan.agreement_fields[1].label", "Hvornår " * 20),
    ("question of unknown kind", "perspectives[0].questions[0].kinds", ["MOS"]),
    ("empty kinds of a question", "perspectives[0].questions[0].kinds", []),
    ("missing plan label", "plan.agreement_prompt", _DELETE),
    ("unknown top-level key", "extra", 1),
    ("missing format", "format", _DELETE),
    ("unsupported format", "format", 2),
]


@pytest.mark.parametrize(("field", "value"), [c[1:] for c in EDITS], ids=[c[0] for c in EDITS])
def test_broken_field_is_refused(tmp_path: pathlib.Path, field: str, value: Any) -> None:
    doc = _packaged()
    _edit(field, value)(doc)
    path = _write(tmp_path, doc)
    with pytest.raises(ConceptError) as info:
        load_concept(path)
    assert info.value.field == field
    assert f"concept file '{path}'" in str(info.value)
    assert f"field '{field}'" in str(info.value)


def test_top_level_must_be_an_object(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, [_packaged()])
    with pytest.raises(ConceptError, match="must be an object") as info:
        load_concept(path)
    assert info.value.field == ""
    assert str(path) in str(info.value)


def test_bad_json_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "concept.json"
    path.write_text(default_concept_path().read_text(encoding="utf-8")[:-20], encoding="utf-8")
    with pytest.raises(ConceptError, match="not valid JSON") as info:
        load_concept(path)
    assert str(path) in str(info.value)


def test_missing_file_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "nowhere.json"
    with pytest.raises(ConceptError, match="cannot be read") as info:
        load_concept(path)
    assert str(path) in str(info.value)


def test_non_utf8_file_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "concept.json"
    text = default_concept_path().read_text(encoding="utf-8")
    path.write_bytes(text.encode("latin-1", "replace"))
    with pytest.raises(ConceptError, match="cannot be read"):
        load_concept(path)


def test_every_key_of_the_format_is_documented() -> None:
    """docs/concept-format.md, for the people who write concept files, names every key, every
    kind of input and every field id that means something to the bot."""
    from dialogs import concept as format_

    doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "concept-format.md").read_text(
        encoding="utf-8"
    )
    keys = (
        *format_._TOP_KEYS, *format_._TOP_OPTIONAL_KEYS, *format_._KIND_KEYS,
        *format_._KIND_OPTIONAL_KEYS, *format_._PLAN_KEYS, *format_._PLAN_OPTIONAL_KEYS,
        *format_._FIELD_KEYS, *format_._FIELD_OPTIONAL_KEYS, *format_.INPUTS,
        *format_.CORE_FIELDS, "singular", "plural", "number", "colour_name",
    )  # fmt: skip
    missing = [key for key in keys if f"`{key}`" not in doc]
    assert missing == []
    assert "manage.py check-concept" in doc and "CONCEPT_FILE" in doc
