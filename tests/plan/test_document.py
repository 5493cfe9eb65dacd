"""The development plan as a Word document, read back with python-docx."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from cards.texts import Texts
from dialogs import events as ev
from dialogs.agenda import agenda
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Agreement, Conversation, Note, Person, covered_key
from dialogs.transitions import new_conversation
from plan.document import (
    NO_AGREEMENTS,
    NO_CONFIDENTIALITY,
    NO_NOTES,
    PLAN_CONTENT_TYPE,
    clean_text,
    write_plan,
)
from tests.plan import (
    CONFIDENTIALITY,
    EXTRA_QUESTION,
    LEADER,
    MEMBERS,
    NOW,
    PRIVATE_MARKER,
    WORDING,
    closed_grus,
    run,
)

GENERATED = datetime(2026, 12, 1, 11, 42, tzinfo=UTC)  # 12:42 in Denmark
DA = Texts("da")
Block = Paragraph | Table


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


@pytest.fixture(scope="module")
def grus(concept: Concept) -> Conversation:
    return closed_grus(concept)


@pytest.fixture(scope="module")
def data(grus: Conversation, concept: Concept) -> bytes:
    return write_plan(grus, concept, generated_at=GENERATED, version=2)


@pytest.fixture(scope="module")
def document(data: bytes) -> DocxDocument:
    return docx.Document(io.BytesIO(data))


def open_plan(conversation: Conversation, concept: Concept) -> DocxDocument:
    return docx.Document(io.BytesIO(write_plan(conversation, concept, generated_at=GENERATED)))


def sections(document: DocxDocument) -> dict[str, list[Block]]:
    """The body's paragraphs and tables grouped under their Heading 1 ("" before the first)."""
    result: dict[str, list[Block]] = {"": []}
    current = ""
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph) and style_name(block) == "Heading 1":
            current = block.text
            result[current] = []
            continue
        result[current].append(block)
    return result


def style_name(paragraph: Paragraph) -> str:
    return paragraph.style.name if paragraph.style is not None else ""


def header_repeats(table: Table) -> bool:
    tr_pr = table.rows[0]._tr.trPr
    return tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None


def texts(blocks: list[Block]) -> list[str]:
    return [b.text for b in blocks if isinstance(b, Paragraph)]


def tables(blocks: list[Block]) -> list[Table]:
    return [b for b in blocks if isinstance(b, Table)]


def rows(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def all_text(document: DocxDocument) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def facts(document: DocxDocument) -> dict[str, str]:
    return {label: value for label, value in rows(document.tables[0])}


def day(iso: str) -> str:
    return DA.date(date.fromisoformat(iso))


# --- properties, page, header and footer -------------------------------------------------------


def test_content_type_names_a_word_document() -> None:
    assert PLAN_CONTENT_TYPE.endswith("wordprocessingml.document")


def test_core_properties(document: DocxDocument) -> None:
    props = document.core_properties
    assert props.title == "Udviklingsplan – GRUS – Ældreplejen Nord"
    assert props.author == "Samtaleguide"
    assert props.subject == "Gruppeudviklingssamtale (GRUS)"
    assert props.created == GENERATED
    assert props.language == "da-DK"


def test_page_is_a4_portrait_with_margins(document: DocxDocument) -> None:
    (section,) = document.sections
    assert section.page_width is not None and section.page_height is not None
    assert section.page_width.mm == pytest.approx(210, abs=0.5)
    assert section.page_height.mm == pytest.approx(297, abs=0.5)
    for margin in (section.left_margin, section.right_margin, section.top_margin):
        assert margin is not None and 15 <= margin.mm <= 30


def test_header_names_the_plan_and_marks_it_confidential(document: DocxDocument) -> None:
    header = document.sections[0].header.paragraphs[0].text
    assert header.startswith("UDVIKLINGSPLAN · Albertslund Kommune")
    assert "FORTROLIGT" in header


def test_footer_counts_pages_with_real_fields(document: DocxDocument) -> None:
    footer = document.sections[0].footer.paragraphs[0]
    instructions = [e.text.split()[0] for e in footer._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    kinds = [e.get(qn("w:fldCharType")) for e in footer._p.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"] * 2
    assert "Side 1 af 1" in footer.text  # the cached values, until Word updates them
    assert "version 2" in footer.text


# --- title, styles, facts ------------------------------------------------------------------------


def test_title_and_subtitle(document: DocxDocument) -> None:
    title, subtitle = document.paragraphs[:2]
    assert (title.text, style_name(title)) == ("UDVIKLINGSPLAN", "Title")
    assert (subtitle.text, style_name(subtitle)) == ("Gruppeudviklingssamtale (GRUS)", "Subtitle")


def test_headings_and_tables_use_real_styles(document: DocxDocument) -> None:
    headings = [p for p in document.paragraphs if style_name(p).startswith("Heading")]
    assert [p.text for p in headings if style_name(p) == "Heading 1"] == [
        "Godkendelse",
        "Stikord for samtalen",
        "Adfærd",
        "Struktur",
        "Opgaver",
        "Fortrolighed",
        "Opfølgning",
    ]
    assert {style_name(p) for p in headings} == {"Heading 1", "Heading 2"}
    style_ids = {s.style_id for s in document.styles}
    for paragraph in document.paragraphs:
        style = paragraph._p.style
        assert style is None or style in style_ids, f"unknown style {style!r}"
    assert document.tables
    for table in document.tables:
        assert table.style is not None and table.style.name == "Table Grid"


def test_facts(document: DocxDocument) -> None:
    assert facts(document) == {
        "Arbejdsplads": "Ældreplejen Nord",
        "Dato": "1. december 2026",
        "Leder": LEADER.name,
        "Deltagere": ", ".join(
            m.name + (" (medfacilitator)" if m.user_id == "u-1" else "") for m in MEMBERS
        ),
        "Form": "Puslespil, walk’n’talk",
        "Version": "2",
        "Udarbejdet": "1. december 2026 kl. 12:42",
    }


def test_keywords_per_participant_with_those_brought_into_play(
    document: DocxDocument, grus: Conversation
) -> None:
    (table,) = tables(sections(document)["Stikord for samtalen"])
    assert header_repeats(table)
    body = {name: (role, words) for name, role, words in rows(table)[1:]}
    assert len(body) == 12
    covered = 0
    for person in grus.participants:
        role, words = body[person.name]
        expected = []
        for keyword in person.keywords:
            if covered_key(person.user_id, keyword) in grus.live.covered:
                expected.append(f"{keyword} (kom i spil)")
                covered += 1
            else:
                expected.append(keyword)
        assert words == ", ".join(expected)
        assert role == {"leader": "Leder", "co_facilitator": "Medfacilitator"}.get(
            person.role, "Deltager"
        )
    assert covered == 6
    assert "6 af 36 valgte stikord kom i spil." in texts(sections(document)["Stikord for samtalen"])


# --- the perspectives ------------------------------------------------------------------------------


def test_questions_as_asked_under_their_perspective(
    document: DocxDocument, grus: Conversation, concept: Concept
) -> None:
    by_section = sections(document)
    for perspective in concept.perspectives:
        paragraphs = texts(by_section[perspective.name])
        asked = [q for q in agenda(grus, concept) if q.perspective_id == perspective.id]
        for item in asked:
            suffix = " (arbejdspladsens spørgsmål)" if item.extra else ""
            assert f"{item.number}.\t{item.text}{suffix}" in paragraphs
    adfaerd = "\n".join(texts(by_section["Adfærd"]))
    assert WORDING["q1"] in adfaerd
    assert concept.question("q1").plural not in adfaerd  # the leader's wording replaced it
    assert any(EXTRA_QUESTION[1] in t for t in texts(by_section["Struktur"]))


def test_notes_under_their_perspective(document: DocxDocument, grus: Conversation) -> None:
    by_section = sections(document)
    names = {"adfaerd": "Adfærd", "struktur": "Struktur", "opgaver": "Opgaver"}
    for note in grus.notes:
        assert note.text in texts(by_section[names[note.perspective_id]])


def test_every_agreement_in_its_perspectives_table(
    document: DocxDocument, grus: Conversation, concept: Concept
) -> None:
    by_section = sections(document)
    assert len(grus.agreements) == 40
    for perspective in concept.perspectives:
        (table,) = tables(by_section[perspective.name])
        header, *body = rows(table)
        mine = [a for a in grus.agreements if a.perspective_id == perspective.id]
        with_value = any(a.value for a in mine)
        assert header[:5] == ["Hvad", "Hvornår", "Hvem", "Ansvarlig", "Opfølgning"]
        assert (header[5:] == ["Værdi"]) is with_value
        assert header_repeats(table)
        assert len(body) == len(mine)
        for agreement, row in zip(mine, body, strict=True):
            expected = [agreement.what, agreement.when, agreement.who, agreement.responsible]
            assert row[:4] == expected
            assert row[4] == day(agreement.follow_up)
            if with_value:
                assert row[5] == (agreement.value or "–")
    assert "Hvad, hvornår, hvem? Hvem har ansvar, hvornår følges der op?" in texts(
        by_section["Opgaver"]
    )


# --- confidentiality and follow-up -----------------------------------------------------------------


def test_confidentiality_states_what_may_be_passed_on(document: DocxDocument) -> None:
    paragraphs = texts(sections(document)["Fortrolighed"])
    assert any("tavshedspligt" in t for t in paragraphs)
    assert CONFIDENTIALITY in paragraphs


def test_follow_up_dates_sorted(document: DocxDocument, grus: Conversation) -> None:
    blocks = sections(document)["Opfølgning"]
    assert "Planen følges op: 15. juni 2027" in texts(blocks)
    (table,) = tables(blocks)
    header, *body = rows(table)
    assert header == ["Dato", "Aftale", "Perspektiv", "Ansvarlig"]
    ordered = sorted(grus.agreements, key=lambda a: a.follow_up)
    assert [row[0] for row in body] == [day(a.follow_up) for a in ordered]
    assert [row[1] for row in body] == [a.what for a in ordered]
    assert [row[3] for row in body] == [a.responsible for a in ordered]


# --- privacy, hostile content, empty conversations ---------------------------------------------------


def test_private_preparation_notes_never_appear(data: bytes, grus: Conversation) -> None:
    assert all(PRIVATE_MARKER in p.prep_notes["adfaerd"] for p in grus.participants)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            assert PRIVATE_MARKER.encode() not in package.read(name), name


HOSTILE = "Emoji 🎉👩🏽‍💻 <b>&amp;</b> \"citat\" 'enkelt' æøå ÆØÅ"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
FORBIDDEN = "\x00\x01\x08\x0b\x0c\x0e\x1f\ud800\udfff\ufffe\uffff" + BIDI


def hostile(text: str) -> str:
    """``text`` with every XML-forbidden character and every bidirectional control spliced in."""
    return f"{FORBIDDEN[:4]}{text}{FORBIDDEN[4:]}"


def test_clean_text_strips_exactly_what_xml_forbids_and_bidirectional_controls() -> None:
    assert clean_text(hostile(HOSTILE)) == HOSTILE
    assert clean_text("a\tb\r\nc\rd") == "a\tb\nc\nd"
    assert clean_text(None) == ""


def test_hostile_content_still_makes_a_valid_document(concept: Concept) -> None:
    base = closed_grus(concept, agreements=2)
    long_text = "Lang tekst uden ende " * 480 + "SLUT"  # ~10,000 characters
    unbroken = "x" * 10_000
    note = Note("n-h", "adfaerd", hostile(HOSTILE) + "\nanden linje", "u-1", NOW.isoformat())
    agreement = Agreement(
        id="a-h",
        perspective_id="struktur",
        what=hostile(long_text),
        details={"when": hostile("<når>"), "who": hostile(HOSTILE), "value": unbroken},
        responsible=hostile("Søren & Co"),
        follow_up="2027-02-03",
        author_id="u-1",
        created_at=NOW.isoformat(),
        updated_at=NOW.isoformat(),
    )
    lost = replace(agreement, id="a-x", perspective_id="ukendt", what="Aftale uden perspektiv")
    leader = replace(base.participants[0], name=hostile("Lene <Leder> 👩‍💼"))
    conversation = replace(
        base,
        setup=replace(base.setup, workplace=hostile("Køkken & Café 🍲")),
        participants=(leader, *base.participants[1:]),
        notes=(*base.notes, note),
        agreements=(*base.agreements, agreement, lost),
        confidentiality=hostile(HOSTILE),
    )
    document = open_plan(conversation, concept)
    text = all_text(document)
    assert HOSTILE + "\nanden linje" in text
    assert long_text in text and unbroken in text
    assert "Lene <Leder> 👩‍💼" in text and "Søren & Co" in text
    assert facts(document)["Arbejdsplads"] == "Køkken & Café 🍲"
    assert document.core_properties.title == "Udviklingsplan – GRUS – Køkken & Café 🍲"
    by_section = sections(document)
    struktur_rows = [row for t in tables(by_section["Struktur"]) for row in rows(t)]
    assert [long_text, "<når>", HOSTILE, "Søren & Co", "3. februar 2027", unbroken] in (
        struktur_rows
    )
    assert "Aftale uden perspektiv" in rows(tables(by_section["Øvrigt"])[0])[1]
    assert HOSTILE in texts(by_section["Fortrolighed"])


def empty_lus(concept: Concept) -> Conversation:
    """A LUS that was started and finished at once: no keywords, notes or agreements."""
    boss = Person("u-boss", "Bente Chef")
    conv = new_conversation(
        conversation_id="c-empty", concept=concept, kind="LUS", leader=boss, place="", now=NOW
    )
    setup = ev.SaveSetup(boss.user_id, kind="LUS", participants=(Person("u-l", "Lars Leder"),))
    conv = run(conv, setup, concept)
    conv = run(conv, ev.StartLive(boss.user_id, force=True), concept)
    return run(conv, ev.Finish(boss.user_id, no_goals=True), concept)


def test_empty_conversation(concept: Concept) -> None:
    conversation = empty_lus(concept)
    assert not conversation.notes and not conversation.agreements
    document = open_plan(conversation, concept)
    assert document.paragraphs[1].text == "Lederudviklingssamtale (LUS)"
    details = facts(document)
    assert details["Leders leder"] == "Bente Chef"
    assert details["Leder"] == "Lars Leder"
    assert details["Arbejdsplads"] == "Albertslund Kommune"
    assert details["Dato"] == "22. november 2026"  # the day it was held (started)
    assert details["Form"] == "Skema"
    by_section = sections(document)
    keyword_rows = rows(tables(by_section["Stikord for samtalen"])[0])[1:]
    assert [row[2] for row in keyword_rows] == ["ikke valgt", "ikke valgt"]
    for perspective in concept.perspectives:
        paragraphs = texts(by_section[perspective.name])
        assert NO_NOTES in paragraphs and NO_AGREEMENTS in paragraphs
        assert not tables(by_section[perspective.name])
    first = concept.question("q1")
    assert f"1.\t{first.singular}" in texts(by_section["Adfærd"])  # LUS speaks to "du"
    assert "Ingen udviklingsmål i år." in texts(by_section[""])  # confirmed at the finish
    assert NO_CONFIDENTIALITY in texts(by_section["Fortrolighed"])
    follow_up = texts(by_section["Opfølgning"])
    assert "Planen følges op: Senest ved næste udviklingssamtale" in follow_up
    assert "Ingen aftaler har en opfølgningsdato." in follow_up
    assert not tables(by_section["Opfølgning"])
