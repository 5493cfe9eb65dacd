"""The plan reads well: every table's columns are sized to their content, so no word is broken
across lines ("Kompetenceudvikling" stays whole), and long texts wrap at spaces.

Checked twice: in the Word document itself (each column at least as wide as its longest word,
measured with the widths of the fonts the plan is set in, ``plan.widths``), and in the PDF
LibreOffice makes of it, read back with ``pdftotext -layout``: every word of every table is
there whole.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.table import _Cell

from dialogs import events as ev
from dialogs.concept import Concept, concepts_dir, default_concept_path, load_concept
from dialogs.conversation import Conversation, Person
from dialogs.transitions import apply, new_conversation
from plan.document import CELL_POINTS, write_plan
from plan.pdf import to_pdf
from plan.widths import CELL_MARGINS_CM, column_widths, longest_word, text_width
from tests.plan import NOW, closed_grus
from tests.plan.test_pdf import require_libreoffice

GENERATED = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
LEADER = Person("u-leader", "Lene Leder")
EMPLOYEE = Person("u-1", "Mads Medarbejder")
LONG = (
    "Sidemandsoplæring hos en erfaren kollega i Borgerservice, derefter et kursus i digital "
    "sagsbehandling og til sidst et inspirationsbesøg i en anden kommune, hvor de har prøvet det"
)


def run(conversation: Conversation, event: ev.Event, concept: Concept) -> Conversation:
    return apply(conversation, event, concept, NOW)[0]


def gentofte_mus(concept: Concept) -> Conversation:
    """A Gentofte MUS whose development goals fall under "Kompetenceudvikling"."""
    conversation = new_conversation(
        conversation_id="c-layout", concept=concept, kind="MUS", leader=LEADER, place="p", now=NOW
    )
    setup = ev.SaveSetup(LEADER.user_id, kind="MUS", participants=(EMPLOYEE,))
    conversation = run(conversation, setup, concept)
    conversation = run(conversation, ev.StartLive(LEADER.user_id, force=True), concept)
    for n in range(3):
        values = {
            "what": f"Kompetenceudvikling nummer {n + 1}",
            "how": LONG,
            "horizon": "1–2 år",
            "responsible": EMPLOYEE.user_id,
            "follow_up": f"2027-0{n + 3}-01",
        }
        fields = ev.AgreementFields.from_values("kompetence", values)
        conversation = run(conversation, ev.AddAgreement(EMPLOYEE.user_id, fields), concept)
    return run(conversation, ev.Finish(LEADER.user_id), concept)


@pytest.fixture(scope="module")
def plans() -> dict[str, bytes]:
    albertslund = load_concept(default_concept_path())
    gentofte = load_concept(concepts_dir() / "gentofte.json")
    grus = closed_grus(albertslund, agreements=12)
    first = replace(grus.agreements[0], details={**grus.agreements[0].details, "who": LONG})
    grus = replace(grus, agreements=(first, *grus.agreements[1:]))
    return {
        "albertslund": write_plan(grus, albertslund, generated_at=GENERATED),
        "gentofte": write_plan(gentofte_mus(gentofte), gentofte, generated_at=GENERATED),
    }


def bold(cell: _Cell) -> bool:
    """Headers and labels are set in bold (wider)."""
    return any(run.bold for paragraph in cell.paragraphs for run in paragraph.runs)


def twips_to_cm(value: str) -> float:
    return int(value) / 1440 * 2.54


@pytest.mark.parametrize("name", ["albertslund", "gentofte"])
def test_every_column_holds_its_longest_word(plans: dict[str, bytes], name: str) -> None:
    document = docx.Document(io.BytesIO(plans[name]))
    checked = 0
    for table in document.tables:
        grid = [twips_to_cm(col.get(qn("w:w"))) for col in table._tbl.tblGrid.iter(qn("w:gridCol"))]
        assert sum(grid) == pytest.approx(17.0, abs=0.05)  # the text width, never more
        for i, width in enumerate(grid):
            cells = [row.cells[i] for row in table.rows]
            needed = max(longest_word([cell.text], CELL_POINTS, bold=bold(cell)) for cell in cells)
            texts = [cell.text for cell in cells[:3]]
            assert width >= needed + CELL_MARGINS_CM - 0.01, (texts, width, needed)
            checked += 1
    assert checked > 10


def test_the_widths_share_the_room_and_squeeze_only_unbreakable_words() -> None:
    column = ["Kompetenceudvikling"]
    widths = column_widths([["Dato"], ["Aftale " * 40], column], 17.0, CELL_POINTS)
    assert sum(widths) == pytest.approx(17.0)
    assert widths[2] >= text_width("Kompetenceudvikling", CELL_POINTS) + CELL_MARGINS_CM
    assert widths[1] > widths[2] > widths[0]  # the long text gets the room that is left
    squeezed = column_widths([["x" * 400], column], 17.0, CELL_POINTS)
    assert sum(squeezed) == pytest.approx(17.0)  # a word of 400 letters cannot fit: squeeze


@pytest.mark.parametrize("name", ["albertslund", "gentofte"])
async def test_no_word_is_broken_across_lines_in_the_pdf(
    plans: dict[str, bytes], name: str, tmp_path: Path
) -> None:
    require_libreoffice()
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = await to_pdf(plans[name])
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"]
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, check=True)
    laid_out = done.stdout.decode("utf-8")
    found = set(re.findall(r"\w+", laid_out))
    document = docx.Document(io.BytesIO(plans[name]))
    words = {
        word
        for table in document.tables
        for row in table.rows
        for cell in row.cells
        for word in re.findall(r"\w+", cell.text)
        if len(word) > 3
    }
    broken = sorted(words - found)
    assert broken == [], broken
    if name == "gentofte":
        assert laid_out.count("Kompetenceudvikling") >= 6  # the goals and the follow-up table
        assert laid_out.count("Kompetenceudvik") == laid_out.count("Kompetenceudvikling")
