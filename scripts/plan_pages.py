"""Render a page of each packaged concept's development plan as a PNG for the docs.

    .venv/bin/python scripts/plan_pages.py            # writes docs/plan-<concept>.png
    .venv/bin/python scripts/plan_pages.py --out /tmp --pages 2

For each concept in ``dialogs/concepts/`` a MUS is run through the pure transitions (setup,
preparation, start, notes, a few development goals, finish), written as the bot writes it
(``plan.document.write_plan``), approved by both, converted with ``soffice --headless
--convert-to pdf`` (with ``HOME`` in a temporary folder, so no profile is shared) and its first
page(s) made into a PNG with ``pdftoppm -png -r 60``. Needs LibreOffice and poppler-utils
(``scripts/setup.sh`` installs both).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dialogs import events as ev  # noqa: E402
from dialogs.concept import Concept, concepts_dir, load_concept  # noqa: E402
from dialogs.conversation import Conversation, Person  # noqa: E402
from dialogs.transitions import apply, new_conversation  # noqa: E402
from plan.document import write_plan  # noqa: E402
from plan.pdf import to_pdf  # noqa: E402

NOW = datetime(2026, 11, 23, 9, 0)
LEADER = Person("u-leader", "Lene Mølgaard Åberg")
EMPLOYEE = Person("u-employee", "Mads Østergaard Kjær")

GOALS = [
    {
        "what": "Kompetenceudvikling i digital sagsbehandling: kursus og sidemandsoplæring",
        "when": "Foråret 2027",
        "who": "Mads og en erfaren kollega",
        "value": "Hurtigere og mere præcise svar til borgerne",
        "how": "Kursus i sagssystemet og sidemandsoplæring hos en kollega i Borgerservice",
        "core_task": "Borgerne får hurtigere svar; færre sager går i ring",
        "use": "I den daglige sagsbehandling fra april, og som sparringspartner for nye kolleger",
        "horizon": "1–2 år",
        "follow_up": "2027-05-03",
        "shared_with": "Uddannelseskoordinatoren (kursusbudgettet)",
    },
    {
        "what": "Fast sparring med lederen hver sjette uge om opgaver og prioritering",
        "when": "Fra januar",
        "who": "Mads og Lene",
        "how": "Korte møder, gerne som walk'n'talk",
        "core_task": "Bedre prioritering i travle perioder",
        "use": "Når opgaverne fordeles på teammøderne",
        "horizon": "1 år",
        "follow_up": "2027-02-15",
    },
]


def run(conversation: Conversation, event: ev.Event, concept: Concept) -> Conversation:
    return apply(conversation, event, concept, NOW)[0]


def approved_mus(concept: Concept) -> Conversation:
    conversation = new_conversation(
        conversation_id="plan-sample", concept=concept, kind="MUS", leader=LEADER,
        place="sample", now=NOW,
    )  # fmt: skip
    setup = ev.SaveSetup(
        LEADER.user_id,
        kind="MUS",
        participants=(EMPLOYEE,),
        starts_at="2026-12-01T10:00",
        workplace="Borgerservice",
        walk_and_talk=True,
    )
    conversation = run(conversation, setup, concept)
    for person in (LEADER, EMPLOYEE):
        chosen = concept.keywords[0:30:11] if concept.uses_keywords else ()
        conversation = run(conversation, ev.ChooseKeywords(person.user_id, chosen), concept)
    conversation = run(conversation, ev.StartLive(LEADER.user_id), concept)
    if concept.uses_keywords:
        mark = ev.MarkKeyword(LEADER.user_id, EMPLOYEE.user_id, concept.keywords[11])
        conversation = run(conversation, mark, concept)
    perspectives = concept.perspectives_for("MUS")
    note = ev.AddNote(
        LEADER.user_id, perspectives[0].id, "Mads trives, men oplever travlhed om mandagen."
    )
    conversation = run(conversation, note, concept)
    for n, goal in enumerate(GOALS):
        fields = {f.id: goal.get(f.id, "") for f in concept.agreement_fields_for("MUS")}
        fields["responsible"] = EMPLOYEE.user_id if n == 0 else LEADER.user_id
        perspective = perspectives[-1 if n == 0 else 1].id
        values = ev.AgreementFields.from_values(perspective, fields)
        conversation = run(conversation, ev.AddAgreement(EMPLOYEE.user_id, values), concept)
    finish = ev.Finish(
        LEADER.user_id,
        confidentiality="Kursusønsket må deles med uddannelseskoordinatoren.",
        next_follow_up="2027-06-01",
    )
    conversation = run(conversation, finish, concept)
    conversation = run(conversation, ev.PlanWritten("samtaleguide", version=1), concept)
    for person in (EMPLOYEE, LEADER):
        conversation = run(conversation, ev.ApprovePlan(person.user_id, version=1), concept)
    return conversation


def render(concept_file: Path, out: Path, pages: int) -> list[Path]:
    concept = load_concept(concept_file)
    docx = write_plan(
        approved_mus(concept), concept, generated_at=datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    )
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "plan.pdf").write_bytes(asyncio.run(to_pdf(docx, timeout=180)))
        stem = work / "page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", str(pages), str(work / "plan.pdf"),
             str(stem)],
            check=True,
            capture_output=True,
            timeout=60,
        )  # fmt: skip
        made = []
        for n, page in enumerate(sorted(work.glob("page-*.png")), start=1):
            name = f"plan-{concept.id}.png" if n == 1 else f"plan-{concept.id}-{n}.png"
            shutil.copyfile(page, out / name)
            made.append(out / name)
        return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--pages", type=int, default=1, help="pages of each plan (from the first)")
    args = parser.parse_args()
    if not shutil.which("soffice") or not shutil.which("pdftoppm"):
        print("plan_pages: needs LibreOffice (soffice) and pdftoppm", file=sys.stderr)
        return 2
    for concept_file in sorted(concepts_dir().glob("*.json")):
        for made in render(concept_file, args.out, args.pages):
            print(made.relative_to(REPO) if made.is_relative_to(REPO) else made)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
