"""The development plan (UDVIKLINGSPLAN) as a Word document, in Danish.

Contract: ``write_plan(conversation, concept, generated_at=..., version=1, copy_for="")`` returns
the bytes of a .docx (content type ``PLAN_CONTENT_TYPE``) that mirrors the concept's paper plan.
It is pure: no files, no clock, no network; everything it prints comes from its arguments
(the approvals of ``version`` included, so a new rendering of the same version shows who has
approved it since).

The document is A4 portrait with real Word styles (Title, Subtitle, Heading 1/2, Table Grid) and
holds, in this order:

* a header "<plan title> · <organisation>" marked "FORTROLIGT", and a footer with
  "Side X af Y" made of real PAGE and NUMPAGES fields;
* the title and the kind's full name, then a facts table: workplace, date, leader, participants,
  form, focus points, plan version, when the plan was made (and whose copy it is);
* "Ingen udviklingsmål i år" when the leader finished a MUS or LUS without agreements;
* "Godkendelse": each participant, and when they approved this version ("Ikke godkendt endnu"
  until they do), so the first page shows who has approved the plan;
* in a member's own copy (``copy_for``, a GRUS member with own development goals): their own
  goals first;
* "Stikord for samtalen" (when the concept has keywords): each person's three keywords, those
  brought into play marked "kom i spil";
* per perspective of the kind, in the concept's order: the questions as asked (the leader's
  wording, the workplace's extra questions under their perspective), the notes, and the group's
  agreements with the concept's fields (``plan.agreement_fields``; a field no agreement of the
  table uses is left out unless required) – as a table with a column per field, or, with more
  than ``MAX_COLUMNS`` fields, one small label/value table per agreement – or "Ingen noter." /
  "Ingen aftaler."; notes or agreements whose perspective the concept does not know (the domain
  prevents this) come last under "Øvrigt" rather than being lost;
* "Egne udviklingsmål" (a GRUS): a part per member with own goals, after the group's;
* "Fortrolighed": the concept's confidentiality rule, what may be passed on and to whom (the
  whole plan), and each agreement's own "kan deles med";
* "Opfølgning": when the plan is followed up, and a table of the agreements' follow-up dates,
  sorted.

Every table's columns are sized to their content (``plan.widths``), so no word is broken across
lines ("Kompetenceudvikling" stays whole) and long texts wrap at spaces. Private preparation
notes (``Participant.prep_notes``) are never read. Every text is stripped of characters XML 1.0
forbids before it is written, so hostile or damaged text cannot break the file. Dates print as
"22. november 2026". ``generated_at`` is printed as given when naive and in Danish time when
aware; the document's created property is UTC (a naive value is taken as UTC). No agreement
field is named here: which field is which comes from the concept (``dialogs.agreements``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from cards.texts import Texts
from dialogs.agenda import agenda
from dialogs.agreements import shown
from dialogs.concept import (
    MEMBER,
    RESPONSIBLE,
    SHARED_WITH,
    AgreementField,
    Concept,
    KindInfo,
    Perspective,
)
from dialogs.conversation import Agreement, Conversation, Note, Participant, covered_key
from plan.widths import column_widths, longest_word

PLAN_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

AUTHOR = "Samtaleguide"
FONT = "Arial"  # in every Word; LibreOffice maps it to the metric-compatible Liberation Sans
INK = "1F3A5F"  # dark blue for titles and headings
MUTED = "595959"
RULE = "BFBFBF"  # table borders
LABEL_FILL = "F2F2F2"
OTHER_COLOUR = "#595959"
CELL_POINTS = 9  # the size of the text in tables (style "Tabeltekst")

PAGE_WIDTH, PAGE_HEIGHT = Cm(21.0), Cm(29.7)
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM = Cm(2.0), Cm(2.3), Cm(2.0)
TEXT_WIDTH_CM = 17.0
MAX_COLUMNS = 6  # more fields than this, and each agreement gets a small table of its own

NO_NOTES = "Ingen noter."
NO_AGREEMENTS = "Ingen aftaler."
NO_GOALS = "Ingen udviklingsmål i år."
NO_GOALS_TEXT = (
    "Lederen bekræftede ved samtalens afslutning, at der ikke blev aftalt udviklingsmål i år."
)
NOT_CHOSEN = "ikke valgt"
COVERED = "kom i spil"
NOT_APPROVED = "Ikke godkendt endnu"
APPROVAL_TEXT = (
    "Planen er godkendt, når alle har trykket »Godkend planen« i deres private chat med "
    "Samtaleguide. Hver ny version skal godkendes igen."
)
NO_CONFIDENTIALITY = "Der er ikke aftalt, at oplysninger fra samtalen må videregives."
# The confidentiality rule is the concept's (``plan.confidentiality``); this is its default.
NEXT_CONVERSATION = "Senest ved næste udviklingssamtale"
FOLLOW_UP_TEXT = (
    "Planen er en fælles forpligtelse. Der følges op senest ved næste udviklingssamtale, "
    "og gerne løbende undervejs."
)
COPY_TEXT = (
    "Hver deltager opbevarer en kopi af planen. Lederen gemmer planen som PDF i personalemappen."
)
OWN_GOALS = "Egne udviklingsmål"
OWN_GOALS_TEXT = "Det, de enkelte medlemmer aftalte som deres egne udviklingsmål."

# Characters XML 1.0 forbids (the tab, newline and carriage return are allowed), lone
# surrogates, the two noncharacters U+FFFE and U+FFFF, and the bidirectional controls (the domain
# removes them from what it stores; conversations stored before it removed the marks may have
# them): the plan reads as it was written.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
    "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"
)
_DANISH = Texts("da")
_FORMS = {"skema": "Skema", "puslespil": "Puslespil"}
_OTHERS_LABEL = {"MUS": "Medarbejder", "LUS": "Leder"}
_CO_FACILITATOR = "medfacilitator"

# Paragraph style ids: the template's own, and the three this module adds (see ``_styles``).
TITLE, SUBTITLE, BULLET = "Title", "Subtitle", "ListBullet"
HEADING_1, HEADING_2 = "Heading1", "Heading2"
CELL, QUESTION, GUIDANCE = "Tabeltekst", "Sporgsmaal", "Vejledning"


def clean_text(value: object) -> str:
    """``value`` as text that XML 1.0 accepts, without bidirectional controls, with line breaks
    as ``\\n``."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return _FORBIDDEN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def write_plan(
    conversation: Conversation,
    concept: Concept,
    *,
    generated_at: datetime,
    version: int = 1,
    copy_for: str = "",
) -> bytes:
    """The development plan of ``conversation`` as .docx bytes (see the module docstring);
    ``copy_for``: the GRUS member whose own copy it is (their own goals first)."""
    plan = _Plan(
        conversation, concept, concept.kind(conversation.kind), generated_at, version, copy_for
    )
    doc = Document()
    _styles(doc)
    _page(doc, plan)
    _properties(doc, plan)
    _title(doc, plan)
    _facts(doc, plan)
    _approvals(doc, plan)
    if plan.owner is not None:
        _own_goals(doc, plan, plan.owner, lead=True)
    if concept.uses_keywords:
        _keywords(doc, plan)
    for perspective in _perspectives(plan):
        _perspective(doc, plan, perspective)
    _members(doc, plan)
    _confidentiality(doc, plan)
    _follow_up(doc, plan)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class _Plan:
    conversation: Conversation
    concept: Concept
    kind: KindInfo
    generated_at: datetime
    version: int
    copy_for: str = ""

    @property
    def place(self) -> str:
        return clean_text(self.conversation.setup.workplace).strip() or self.concept.organisation

    @property
    def held_on(self) -> date | None:
        c = self.conversation
        return _day(c.setup.starts_at) or _day(c.live.started_at) or _day(c.created_at)

    @property
    def owner(self) -> Participant | None:
        """The member whose own copy this is, if they have own goals."""
        person = self.conversation.participant(self.copy_for) if self.copy_for else None
        return (
            person if person is not None and self.conversation.own_goals(person.user_id) else None
        )

    @property
    def fields(self) -> tuple[AgreementField, ...]:
        """The fields an agreement's table shows: the kind's, but whose goal it is (the plan's
        parts say that) and with whom it may be shared (the confidentiality section lists it)."""
        return tuple(
            f
            for f in self.concept.agreement_fields_for(self.kind.code)
            if f.id not in (MEMBER, SHARED_WITH)
        )

    @property
    def group_agreements(self) -> tuple[Agreement, ...]:
        return tuple(a for a in self.conversation.agreements if not a.member_id)


# --- formatting helpers ------------------------------------------------------------------------


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _date_text(value: str | None) -> str:
    """An ISO date as "22. november 2026"; anything else as cleaned text."""
    day = _day(value)
    return _DANISH.date(day) if day else clean_text(value or "")


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(ZoneInfo("Europe/Copenhagen"))
    except ZoneInfoNotFoundError:
        return moment


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC)


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _names(people: Iterable[Participant]) -> str:
    names = [
        clean_text(p.name) + (f" ({_CO_FACILITATOR})" if p.role == "co_facilitator" else "")
        for p in people
    ]
    return ", ".join(names) or "–"


def _add(container: DocxDocument, style_id: str, text: str = "") -> Paragraph:
    """A new paragraph in a style given by id (looking styles up by name is slow in python-docx)."""
    paragraph = container.add_paragraph()
    paragraph._p.style = style_id
    if text:
        paragraph.add_run(text)
    return paragraph


def _value(plan: _Plan, agreement: Agreement, field: AgreementField) -> str:
    """What a field of an agreement says, as the plan prints it (a date written out)."""
    value = clean_text(shown(plan.conversation, agreement, field)).strip()
    if value and field.input == "date":
        return _date_text(value)
    return value


# --- styles, page, properties --------------------------------------------------------------------


def _styles(doc: DocxDocument) -> None:
    """Tune the template's own styles (fonts, colours, spacing) and add three small ones."""
    styles = doc.styles
    for fonts in styles.element.iter(qn("w:rFonts")):  # no theme fonts: Arial everywhere
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)
    for lang in styles.element.iter(qn("w:lang")):
        lang.set(qn("w:val"), "da-DK")
        lang.set(qn("w:eastAsia"), "da-DK")

    normal = styles["Normal"]
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.1

    title = styles["Title"]
    title.font.size, title.font.bold, title.font.color.rgb = Pt(24), True, _rgb(INK)
    title.paragraph_format.space_after = Pt(2)
    _remove(title.element.pPr, "w:pBdr")
    subtitle = styles["Subtitle"]
    _remove(subtitle.element.pPr, "w:numPr")
    subtitle.font.size, subtitle.font.italic = Pt(13), False
    subtitle.font.color.rgb = _rgb(MUTED)
    subtitle.paragraph_format.space_after = Pt(14)

    for name, size, before, after, colour in (
        ("Heading 1", 14, 18, 6, INK),
        ("Heading 2", 11, 10, 3, INK),
    ):
        heading = styles[name]
        heading.font.size, heading.font.color.rgb = Pt(size), _rgb(colour)
        heading.paragraph_format.space_before = Pt(before)
        heading.paragraph_format.space_after = Pt(after)

    for name in ("Header", "Footer"):
        style = styles[name]
        style.font.size, style.font.color.rgb = Pt(8), _rgb(MUTED)
        style.paragraph_format.tab_stops.clear_all()
        style.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)

    grid = styles["Table Grid"].element.find(qn("w:tblPr"))
    if grid is not None:
        for border in grid.iter():
            if border.get(qn("w:val")) == "single":
                border.set(qn("w:color"), RULE)

    cell_text = styles.add_style("Tabeltekst", WD_STYLE_TYPE.PARAGRAPH)
    cell_text.style_id, cell_text.base_style = CELL, normal
    cell_text.font.size = Pt(CELL_POINTS)
    fmt = cell_text.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(2), Pt(2), 1.0

    question = styles.add_style("Spørgsmål", WD_STYLE_TYPE.PARAGRAPH)
    question.style_id, question.base_style = QUESTION, normal
    fmt = question.paragraph_format
    fmt.left_indent, fmt.first_line_indent, fmt.space_after = Cm(0.8), Cm(-0.8), Pt(3)
    fmt.tab_stops.add_tab_stop(Cm(0.8))

    muted = styles.add_style("Vejledning", WD_STYLE_TYPE.PARAGRAPH)
    muted.style_id, muted.base_style = GUIDANCE, normal
    muted.font.italic, muted.font.color.rgb = True, _rgb(MUTED)


def _remove(parent: object, tag: str) -> None:
    if parent is None:
        return
    for child in parent.findall(qn(tag)):  # type: ignore[attr-defined]
        parent.remove(child)  # type: ignore[attr-defined]


def _page(doc: DocxDocument, plan: _Plan) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = MARGIN_SIDE
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.header_distance = section.footer_distance = Cm(1.0)

    header = section.header.paragraphs[0]
    header.add_run(f"{plan.concept.plan.title} · {plan.concept.organisation}")
    header.add_run("\t")
    header.add_run("FORTROLIGT").bold = True

    footer = section.footer.paragraphs[0]
    held_on = plan.held_on
    footer.add_run(
        " · ".join(
            part
            for part in (
                f"{plan.kind.code}",
                plan.place,
                _DANISH.date(held_on) if held_on else "",
                f"version {plan.version}",
            )
            if part
        )
    )
    footer.add_run("\tSide ")
    _field(footer, "PAGE")
    footer.add_run(" af ")
    _field(footer, "NUMPAGES")


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A complex field (begin, instruction, separate, cached "1", end) Word and LibreOffice update."""

    def fld_char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    fld_char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} \\* MERGEFORMAT "
    paragraph.add_run()._r.append(instr)
    fld_char("separate")
    paragraph.add_run("1")
    fld_char("end")


def _properties(doc: DocxDocument, plan: _Plan) -> None:
    props = doc.core_properties
    props.title = f"Udviklingsplan – {plan.kind.code} – {plan.place}"
    props.subject = f"{plan.kind.name} ({plan.kind.code})"
    props.author = props.last_modified_by = AUTHOR
    props.keywords = f"udviklingsplan, {plan.kind.code}"
    props.category = "Udviklingsplan"
    props.comments = ""
    props.language = "da-DK"
    props.revision = max(1, plan.version)
    props.created = props.modified = _utc(plan.generated_at)


# --- tables --------------------------------------------------------------------------------------


def _table(doc: DocxDocument, widths_cm: Sequence[float]) -> Table:
    table = doc.add_table(rows=0, cols=len(widths_cm))
    table._tbl.tblPr.style = "TableGrid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False  # fixed layout: the widths below hold, long texts wrap at spaces
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    return table


def _sized_table(doc: DocxDocument, titles: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A table whose columns are sized to what they hold (``plan.widths``)."""
    columns = [[row[i] for row in rows] for i in range(len(titles))]
    return _table(doc, column_widths(columns, TEXT_WIDTH_CM, CELL_POINTS, headers=titles))


def _label_width(labels: Sequence[str]) -> float:
    """A label column (bold) as wide as its longest word needs, at least 3 cm."""
    return max(3.0, longest_word(labels, CELL_POINTS, bold=True) + 0.6)


def _cell_widths(table: Table, widths_cm: Sequence[float]) -> None:
    """Each cell carries its column's width too (Word reads the cells, LibreOffice the grid)."""
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def _fill(cell: _Cell, hex_colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), hex_colour.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shading)


def _write(cell: _Cell, text: str, *, bold: bool = False, colour: str | None = None) -> Paragraph:
    paragraph = cell.paragraphs[0]
    paragraph._p.style = CELL
    run = paragraph.add_run(clean_text(text))
    if bold:
        run.bold = True
    if colour:
        run.font.color.rgb = _rgb(colour)
    return paragraph


def _header_row(table: Table, titles: Sequence[str], fill: str) -> None:
    row = table.add_row()
    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):  # repeated on every page, never split
        flag = OxmlElement(tag)
        flag.set(qn("w:val"), "true")
        tr_pr.append(flag)
    for cell, title in zip(row.cells, titles, strict=True):
        _fill(cell, fill)
        _write(cell, title, bold=True, colour="FFFFFF")


KEEP_TOGETHER_CHARS = 1200  # a row (or small table) shorter than this never splits across pages


def _cant_split(row: _Row) -> None:
    flag = OxmlElement("w:cantSplit")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _keep_row_together(table: Table, texts: Sequence[str]) -> None:
    """Short rows never split across pages; a very long row must, or Word would clip it."""
    if sum(len(t) for t in texts) < KEEP_TOGETHER_CHARS:
        _cant_split(table.rows[-1])


def _grid(
    doc: DocxDocument, titles: Sequence[str], rows: Sequence[Sequence[str]], fill: str
) -> Table:
    """A table with a repeated header row and a row per ``rows``, its columns sized to fit."""
    table = _sized_table(doc, titles, rows)
    _header_row(table, titles, fill)
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            _write(cell, value)
        _keep_row_together(table, values)
    _cell_widths(table, [c.width.cm for c in table.columns])
    return table


def _label_rows(doc: DocxDocument, rows: Sequence[tuple[str, str]]) -> Table:
    """A two-column table of labels (shaded, bold) and their values."""
    label = _label_width([r[0] for r in rows])
    widths = (label, TEXT_WIDTH_CM - label)
    table = _table(doc, widths)
    for name, value in rows:
        label_cell, value_cell = table.add_row().cells
        _fill(label_cell, LABEL_FILL)
        _write(label_cell, name, bold=True)
        _write(value_cell, value)
    _cell_widths(table, widths)
    return table


# --- sections ------------------------------------------------------------------------------------


def _title(doc: DocxDocument, plan: _Plan) -> None:
    _add(doc, TITLE, plan.concept.plan.title)
    _add(doc, SUBTITLE, f"{plan.kind.name} ({plan.kind.code})")


def _facts(doc: DocxDocument, plan: _Plan) -> None:
    c = plan.conversation
    leader = next((p for p in c.participants if p.role == "leader"), None)
    others = [p for p in c.participants if p.role != "leader"]
    others_label = _OTHERS_LABEL.get(plan.kind.code, "Deltagere")
    form = _FORMS.get(c.setup.variant, clean_text(c.setup.variant).capitalize())
    if c.setup.walk_and_talk:
        form += ", walk’n’talk"
    held_on = plan.held_on
    rows = [
        ("Arbejdsplads", plan.place),
        ("Dato", _DANISH.date(held_on) if held_on else "–"),
        (plan.kind.leader_title, clean_text(leader.name) if leader else "–"),
        (others_label, _names(others)),
        ("Form", form),
    ]
    if focus := clean_text(c.setup.focus_points).strip():
        rows.append(("Fokuspunkter", focus))
    rows += [
        ("Version", str(plan.version)),
        ("Udarbejdet", _DANISH.moment(_local(plan.generated_at))),
    ]
    if plan.owner is not None:
        rows.append(("Kopi til", clean_text(plan.owner.name)))
    _label_rows(doc, rows)
    if c.no_goals and not c.agreements:
        statement = doc.add_paragraph()
        statement.paragraph_format.space_before = Pt(10)
        statement.add_run(NO_GOALS).bold = True
        _add(doc, GUIDANCE, NO_GOALS_TEXT)


def _approvals(doc: DocxDocument, plan: _Plan) -> None:
    """Who approved this version, and when: on the first page."""
    c = plan.conversation
    _add(doc, HEADING_1, "Godkendelse")
    _add(doc, GUIDANCE, APPROVAL_TEXT)
    approved = {a.user_id: a.at for a in c.approvals_of(plan.version)}
    rows = []
    for person in c.participants:
        at = approved.get(person.user_id)
        when = _DANISH.moment(_local(datetime.fromisoformat(at))) if at else NOT_APPROVED
        rows.append([clean_text(person.name), _role(plan, person), when])
    _grid(doc, ("Navn", "Rolle", "Godkendt"), rows, INK)


def _role(plan: _Plan, person: Participant) -> str:
    if person.role == "leader":
        return plan.kind.leader_title
    if person.role == "co_facilitator":
        return "Medfacilitator"
    return _OTHERS_LABEL.get(plan.kind.code, "Deltager")


def _keywords(doc: DocxDocument, plan: _Plan) -> None:
    c = plan.conversation
    _add(doc, HEADING_1, plan.concept.plan.keywords)
    _add(
        doc,
        GUIDANCE,
        "Hver deltager valgte tre stikord før samtalen. "
        f"Stikord markeret »{COVERED}« blev bragt i spil under samtalen.",
    )
    covered = set(c.live.covered)
    titles = ("Deltager", "Rolle", "Stikord")
    sizing = [
        [
            clean_text(p.name),
            _role(plan, p),
            ", ".join(f"{k} ({COVERED})" for k in p.keywords) or NOT_CHOSEN,
        ]
        for p in c.participants
    ]
    table = _sized_table(doc, titles, sizing)
    _header_row(table, titles, INK)
    chosen = brought = 0
    for person in c.participants:
        name_cell, role_cell, keyword_cell = table.add_row().cells
        _write(name_cell, person.name)
        _write(role_cell, _role(plan, person))
        paragraph = _write(keyword_cell, "" if person.keywords else NOT_CHOSEN)
        for i, keyword in enumerate(person.keywords):
            paragraph.add_run((", " if i else "") + clean_text(keyword))
            chosen += 1
            if covered_key(person.user_id, keyword) in covered:
                brought += 1
                mark = paragraph.add_run(f" ({COVERED})")
                mark.italic, mark.font.color.rgb = True, _rgb("2E7D32")
        _keep_row_together(table, (person.name,))
    _cell_widths(table, [col.width.cm for col in table.columns])
    if chosen:
        summary = _add(doc, GUIDANCE, f"{brought} af {chosen} valgte stikord kom i spil.")
        summary.paragraph_format.space_before = Pt(4)


def _perspectives(plan: _Plan) -> list[Perspective]:
    """The kind's perspectives, and "Øvrigt" if any note or agreement fits none of them."""
    perspectives = list(plan.concept.perspectives_for(plan.kind.code))
    known = {p.id for p in perspectives}
    c = plan.conversation
    used = {n.perspective_id for n in c.notes} | {a.perspective_id for a in plan.group_agreements}
    if used - known:
        perspectives.append(Perspective("", "Øvrigt", OTHER_COLOUR, "grå", ()))
    return perspectives


def _belongs(perspective: Perspective, perspective_id: str, known: set[str]) -> bool:
    if perspective.id:
        return perspective_id == perspective.id
    return perspective_id not in known


def _perspective(doc: DocxDocument, plan: _Plan, perspective: Perspective) -> None:
    c, labels = plan.conversation, plan.concept.plan
    known = {p.id for p in plan.concept.perspectives_for(plan.kind.code)}
    _band(_add(doc, HEADING_1, perspective.name), perspective.colour)

    questions = [q for q in agenda(c, plan.concept) if q.perspective_id == perspective.id]
    if questions:
        _add(doc, HEADING_2, labels.questions)
        for item in questions:
            paragraph = _add(doc, QUESTION)
            paragraph.add_run(f"{item.number}.\t{clean_text(item.text)}")
            if item.extra:
                extra = paragraph.add_run(" (arbejdspladsens spørgsmål)")
                extra.italic, extra.font.color.rgb = True, _rgb(MUTED)

    _add(doc, HEADING_2, labels.notes)
    _notes(doc, [n for n in c.notes if _belongs(perspective, n.perspective_id, known)])

    _add(doc, HEADING_2, labels.agreements)
    _add(doc, GUIDANCE, labels.agreement_prompt)
    agreements = [
        a for a in plan.group_agreements if _belongs(perspective, a.perspective_id, known)
    ]
    _agreements(doc, plan, agreements, perspective.colour)


def _band(heading: Paragraph, hex_colour: str) -> None:
    """The perspective's heading as a coloured band, like the coloured column of the paper plan."""
    colour = hex_colour.lstrip("#")
    p_pr = heading._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        border = OxmlElement(f"w:{side}")
        border.set(qn("w:val"), "single")
        border.set(qn("w:sz"), "4")
        border.set(qn("w:space"), "3")
        border.set(qn("w:color"), colour)
        borders.append(border)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    # pBdr and shd must follow keepNext/keepLines and precede spacing: insert by schema order.
    p_pr.insert_element_before(
        borders, "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:outlineLvl", "w:rPr"
    )
    p_pr.insert_element_before(
        shading, "w:tabs", "w:spacing", "w:ind", "w:jc", "w:outlineLvl", "w:rPr"
    )
    for run in heading.runs:
        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)


def _notes(doc: DocxDocument, notes: Sequence[Note]) -> None:
    texts = [t for t in (clean_text(n.text).strip() for n in notes) if t]
    if not texts:
        doc.add_paragraph(NO_NOTES)
    for text in texts:
        _add(doc, BULLET).add_run(text)


def _agreements(
    doc: DocxDocument, plan: _Plan, agreements: Sequence[Agreement], colour: str
) -> None:
    """The agreements with the concept's fields: a column per field that any of them fills (or
    that is required), or, with more fields than fit side by side, a small table each."""
    if not agreements:
        doc.add_paragraph(NO_AGREEMENTS)
        return
    fields = [f for f in plan.fields if f.required or any(_value(plan, a, f) for a in agreements)]
    if len(fields) <= MAX_COLUMNS:
        rows = [[_value(plan, a, f) or "–" for f in fields] for a in agreements]
        _grid(doc, [f.label for f in fields], rows, colour)
    else:
        for a in agreements:
            pairs = [(f.label, value) for f in fields if (value := _value(plan, a, f))]
            table = _label_rows(doc, pairs)
            _keep_together(table)
            doc.add_paragraph().paragraph_format.space_after = Pt(0)
    doc.add_paragraph()  # air between the agreements and the next heading


def _keep_together(table: Table) -> None:
    """A short label/value table stays on one page."""
    texts = [cell.text for row in table.rows for cell in row.cells]
    if sum(len(t) for t in texts) < KEEP_TOGETHER_CHARS:
        for row in table.rows:
            _cant_split(row)


def _own_goals(doc: DocxDocument, plan: _Plan, member: Participant, *, lead: bool) -> None:
    """One member's own development goals (in a GRUS): first in their own copy (``lead``), and
    in every copy's part per member."""
    goals = plan.conversation.own_goals(member.user_id)
    name = clean_text(member.name)
    if lead:
        _add(doc, HEADING_1, f"{OWN_GOALS}: {name}")
        _add(doc, GUIDANCE, "Dine egne udviklingsmål fra gruppens samtale. Gruppens plan følger.")
    else:
        _add(doc, HEADING_2, name)
    perspectives = {p.id: p for p in plan.concept.perspectives}
    by_perspective: dict[str, list[Agreement]] = {}
    for goal in goals:
        by_perspective.setdefault(goal.perspective_id, []).append(goal)
    for perspective_id, mine in by_perspective.items():
        perspective = perspectives.get(perspective_id)
        heading = _add(doc, GUIDANCE, perspective.name if perspective else "Øvrigt")
        heading.runs[0].italic = False
        heading.runs[0].bold = True
        _agreements(doc, plan, mine, perspective.colour if perspective else OTHER_COLOUR)


def _members(doc: DocxDocument, plan: _Plan) -> None:
    """A part per member with own development goals, after the group's."""
    members = plan.conversation.members_with_goals
    if not members:
        return
    _add(doc, HEADING_1, OWN_GOALS)
    _add(doc, GUIDANCE, OWN_GOALS_TEXT)
    for member in members:
        _own_goals(doc, plan, member, lead=False)


def _confidentiality(doc: DocxDocument, plan: _Plan) -> None:
    _add(doc, HEADING_1, "Fortrolighed")
    doc.add_paragraph(clean_text(plan.concept.plan.confidentiality))
    _add(doc, HEADING_2, "Det må videregives")
    agreed = clean_text(plan.conversation.confidentiality).strip()
    doc.add_paragraph(agreed or NO_CONFIDENTIALITY)
    sharing = plan.concept.agreement_field(SHARED_WITH)
    shared = [
        (clean_text(a.what).strip(), clean_text(a.shared_with).strip())
        for a in plan.conversation.agreements
        if clean_text(a.shared_with).strip()
    ]
    if sharing is None or not shared:
        return
    _add(doc, HEADING_2, "Aftaler, der kan deles")
    for what, whom in shared:
        line = _add(doc, BULLET)
        line.add_run(what or "–")
        line.add_run(f" – {sharing.label.lower()}: ").italic = True
        line.add_run(whom)


def _follow_up(doc: DocxDocument, plan: _Plan) -> None:
    c = plan.conversation
    _add(doc, HEADING_1, "Opfølgning")
    paragraph = doc.add_paragraph()
    paragraph.add_run("Planen følges op: ").bold = True
    paragraph.add_run(_date_text(c.next_follow_up) if c.next_follow_up else NEXT_CONVERSATION)
    doc.add_paragraph(FOLLOW_UP_TEXT)

    _add(doc, HEADING_2, "Aftalernes opfølgning")
    names = {p.id: p.name for p in plan.concept.perspectives}
    order = {p.id: i for i, p in enumerate(plan.concept.perspectives)}
    dated = sorted(
        ((day, a) for a in c.agreements if (day := _day(a.follow_up))),
        key=lambda pair: (pair[0], order.get(pair[1].perspective_id, len(order))),
    )
    if not dated:
        doc.add_paragraph("Ingen aftaler har en opfølgningsdato.")
    else:
        rows = [
            [
                _DANISH.date(day),
                clean_text(a.what).strip() or "–",
                names.get(a.perspective_id, "Øvrigt"),
                clean_text(a.responsible).strip() or "–",
            ]
            for day, a in dated
        ]
        responsible = plan.concept.agreement_field(RESPONSIBLE)
        who = responsible.label if responsible is not None else "Ansvarlig"
        _grid(doc, ("Dato", "Aftale", "Perspektiv", who), rows, INK)
        doc.add_paragraph()
    _add(doc, GUIDANCE, COPY_TEXT)
