"""Tests of the development plan document, and a realistic closed GRUS to build it from.

``closed_grus(concept)`` runs a GRUS of 12 through the pure transitions (setup, keywords,
start, keywords brought into play, notes, 40 agreements, finish) so the plan tests read a
conversation exactly as the bot would store it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dialogs import events as ev
from dialogs.concept import Concept
from dialogs.conversation import Conversation, Person
from dialogs.transitions import apply, new_conversation

NOW = datetime(2026, 11, 22, 10, 0)
PLACE = "group-chat-place"
LEADER = Person("u-leader", "Lene Mølgaard Åberg")
MEMBERS = tuple(
    Person(f"u-{i}", name)
    for i, name in enumerate(
        (
            "Søren Østergaard",
            "Mette Frederiksen Kjær",
            "Ahmed Hassan",
            "Birgitte Nørgaard",
            "Jens Ærø Holm",
            "Karin Dahl",
            "Mads Skov Pedersen",
            "Nanna Lykke Bech",
            "Ole Brandt",
            "Pia Winther",
            "Rasmus Krogh",
        ),
        start=1,
    )
)
PRIVATE_MARKER = "PRIVAT-FORBEREDELSE-7f3a"
CONFIDENTIALITY = (
    "Aftalen om nye mødetider må deles med Lokalråd Nord (driftsleder Anne Holm). "
    "Intet andet fra samtalen må videregives."
)
NEXT_FOLLOW_UP = "2027-06-15"
WORDING = {"q1": "Hvordan trives I i hverdagen i Ældreplejen Nord – med opgaverne og med hinanden?"}
EXTRA_QUESTION = ("struktur", "Hvordan får vi overleveringen mellem vagterne til at fungere bedre?")

_WHAT = (
    "Fast sparringsmøde hver anden uge om svære borgerforløb",
    "Ny tavle til dagens fordeling af opgaver i køkkenet",
    "Kursus i konflikthåndtering for tre medarbejdere",
    "Mentorordning for nye kolleger de første tre måneder",
    "Fælles aftale om hvordan vi giver hinanden feedback",
    "Revidere mødekalenderen, så personalemøder holdes om formiddagen",
    "Prøve walk'n'talk til en af månedens teammøder",
    "Kortlægge hvem der samarbejder med sygeplejen om medicin",
    "Introduktion til kommunens vision på personalemødet i februar",
    "Arbejdsgruppe om bedre overlevering mellem dag- og aftenvagt",
)
_NOTES = (
    ("adfaerd", "Gruppen trives generelt godt, men travlhed om morgenen slider."),
    ("adfaerd", "Flere nævner, at arbejdsglæden kommer fra de gode borgerrelationer 😊"),
    ("struktur", "Overleveringen mellem vagter er den største udfordring.\nSkal drøftes i MED."),
    ("opgaver", "Visionen er kendt af de fleste, men ikke koblingen til hverdagen."),
)


def run(conv: Conversation, event: ev.Event, concept: Concept) -> Conversation:
    return apply(conv, event, concept, NOW)[0]


def closed_grus(concept: Concept, *, agreements: int = 40) -> Conversation:
    """A closed GRUS of 12 (leader and 11 members) with notes and ``agreements`` agreements."""
    conv = new_conversation(
        conversation_id="c-plan", concept=concept, kind="GRUS", leader=LEADER, place=PLACE, now=NOW
    )
    setup = ev.SaveSetup(
        LEADER.user_id,
        kind="GRUS",
        participants=MEMBERS,
        starts_at="2026-12-01T09:00",
        variant="puslespil",
        walk_and_talk=True,
        workplace="Ældreplejen Nord",
        wording=WORDING,
        extra_questions=(EXTRA_QUESTION,),
        co_facilitator="u-1",
    )
    conv = run(conv, setup, concept)
    for i, person in enumerate(conv.participants):
        chosen = tuple(concept.keywords[(i * 3 + k * 5) % len(concept.keywords)] for k in range(3))
        private = {"adfaerd": f"{PRIVATE_MARKER} {person.name} tænker over sin egen trivsel"}
        conv = run(conv, ev.ChooseKeywords(person.user_id, chosen, private), concept)
    conv = run(conv, ev.StartLive(LEADER.user_id), concept)
    for person in conv.participants[::2]:
        conv = run(
            conv, ev.MarkKeyword(LEADER.user_id, person.user_id, person.keywords[0]), concept
        )
    for perspective_id, text in _NOTES:
        conv = run(conv, ev.AddNote(LEADER.user_id, perspective_id, text), concept)
    perspectives = [p.id for p in concept.perspectives]
    for i in range(agreements):
        member = MEMBERS[i % len(MEMBERS)]
        fields = ev.AgreementFields(
            perspective_id=perspectives[i % 3],
            what=_WHAT[i % len(_WHAT)],
            when=("Fra januar 2027", "Inden sommerferien", "Løbende")[i % 3],
            who=("Hele gruppen", member.name, "Leder og tovholdere")[i % 3],
            responsible=member.name,
            follow_up=(date(2027, 1, 10) + timedelta(days=7 * i)).isoformat(),
            value="Mere ro for borgerne om morgenen" if i % 3 == 1 and i % 2 else "",
        )
        conv = run(conv, ev.AddAgreement(member.user_id, fields), concept)
    finish = ev.Finish(
        LEADER.user_id, confidentiality=CONFIDENTIALITY, next_follow_up=NEXT_FOLLOW_UP
    )
    return run(conv, finish, concept)
