"""The conversation concept as typed, immutable data, loaded from a validated JSON file.

A concept is one organisation's material for development conversations: the kinds of
conversation (MUS, LUS, GRUS) with their guidance, the perspectives with their numbered questions
(or agenda points) in singular ("du") and plural ("I") form, the keywords (optional), the labels
of the development plan with the fields of its agreements, and the links participants read
before the conversation. ``docs/concept-format.md`` describes the format for the people who
write one.

``load_concept(path)`` reads a concept file (format version 1, see
``dialogs/concepts/albertslund.json`` and ``dialogs/concepts/gentofte.json``) and either returns a
fully valid ``Concept`` or raises ``ConceptError`` naming the file and the offending field path
(e.g. ``perspectives[0].questions[1].plural``), in English (``str``) and in Danish
(``ConceptError.danish``, what ``manage.py check-concept`` prints). Keys starting with ``_`` are
comments and are ignored at every level; any other unknown key is an error. Nothing is read at
import time; ``default_concept_path()`` only locates the packaged Albertslund file.

Each kind (``kinds.MUS``, ``kinds.LUS``, ``kinds.GRUS``) holds its ``name``, the question
``form`` (``"du"`` or ``"I"``), ``default_minutes``, the ``leader_title``, a ``description`` and
lists of guidance paragraphs: ``preparation`` (how everyone taking part prepares; shown on every
participant's preparation card), ``conduct``, ``follow_up`` and ``focus``. The optional
``leader_preparation`` (a list of paragraphs, default empty) holds what only the conversation's
leader does beforehand (inviting, booking a room, handing out the concept, agreeing focus points
with the leader group); it is shown on the leader's own preparation card only.

A question may name the ``kinds`` it belongs to (default: every kind), so that a LUS can have
points a MUS has not; a kind's conversation steps through its own questions, numbered 1..n for
that kind (``questions_for``), and shows only the perspectives that have questions for it
(``perspectives_for``). ``plural`` may be left out when the text is the same in both forms.

``keywords`` may be left out (or empty): then nobody picks keywords, and being prepared means
pressing "Jeg er forberedt" (see ``docs/decisions.md``). When given, there are at least
``KEYWORD_COUNT`` of them, since everyone picks that many.

``plan.agreement_fields`` lists what an agreement of the plan holds, in order (``AgreementField``:
id, Danish label, the kind of input, whether it is required, its longest length, for which kinds).
Five ids mean something to the bot (``CORE_FIELDS``): ``what`` (required: the agreement's headline
in reminders and overviews), ``responsible`` (a participant, who gets the follow-up reminder),
``follow_up`` (the date of that reminder), ``member`` (GRUS only: the member whose own
development goal it is) and ``shared_with`` (with whom it may be shared, listed in the plan's
confidentiality section). Any other id is shown as written. Without the key the fields are the
six of the paper plan (what, when, who, responsible, follow-up, value:
``DEFAULT_AGREEMENT_FIELDS``).
"""

from __future__ import annotations

import json
import pathlib
import re
import types
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple, NoReturn
from urllib.parse import urlsplit

FORMAT_VERSION = 1
KIND_CODES = ("MUS", "LUS", "GRUS")
FORMS = ("du", "I")
MIN_MINUTES, MAX_MINUTES = 15, 480
MAX_KEYWORDS = 60
KEYWORD_COUNT = 3  # each participant picks exactly this many keywords

# The kinds of input an agreement field can have, and the ids that mean something to the bot.
INPUTS = ("text", "date", "participant")
WHAT, RESPONSIBLE, FOLLOW_UP, MEMBER, SHARED_WITH = (
    "what",
    "responsible",
    "follow_up",
    "member",
    "shared_with",
)
CORE_FIELDS = (WHAT, RESPONSIBLE, FOLLOW_UP, MEMBER, SHARED_WITH)
_CORE_INPUTS = {
    WHAT: "text",
    RESPONSIBLE: "participant",
    FOLLOW_UP: "date",
    MEMBER: "participant",
    SHARED_WITH: "text",
}
MAX_AGREEMENT_FIELDS = 12
MAX_FIELD_LENGTH = 2000
DEFAULT_FIELD_LENGTH = 200
MAX_LABEL = 120
_FIELD_ID = re.compile(r"[a-z][a-z0-9_]{0,30}")

DEFAULT_CONFIDENTIALITY = (
    "Udviklingssamtalen er fortrolig. Lederen har tavshedspligt om det, der bliver sagt i "
    "samtalen. Hvis andre skal have noget at vide – fx for at løse et problem eller "
    "tilrettelægge kompetenceudvikling – skal samtalen og planen klart angive, hvilke "
    "oplysninger der må videregives, og til hvem."
)
DEFAULT_KEYWORDS_LABEL = "Stikord for samtalen"

_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_TOP_KEYS = ("format", "id", "organisation", "kinds", "perspectives", "plan", "links")
_TOP_OPTIONAL_KEYS = ("keywords",)
_KIND_KEYS = (
    "name",
    "form",
    "default_minutes",
    "leader_title",
    "description",
    "preparation",
    "conduct",
    "follow_up",
    "focus",
)
_KIND_OPTIONAL_KEYS = ("leader_preparation",)
_PLAN_KEYS = ("title", "perspectives", "questions", "notes", "agreements", "agreement_prompt")
_PLAN_OPTIONAL_KEYS = ("keywords", "confidentiality", "agreement_fields")
_FIELD_KEYS = ("id", "label", "input")
_FIELD_OPTIONAL_KEYS = (
    "required",
    "max_length",
    "multiline",
    "kinds",
    "hint",
    "label_en",
    "hint_en",
)

# Every problem in English (``str(error)``, logs, the bot's start) and in Danish (for the
# people who write concept files: ``manage.py check-concept``).
_MESSAGES: dict[str, tuple[str, str]] = {
    "unreadable": ("cannot be read: {detail}", "kan ikke læses: {detail}"),
    "not_json": (
        "is not valid JSON: {detail}",
        "er ikke gyldig JSON: {detail}. Tjek kommaer, anførselstegn og klammer omkring stedet.",
    ),
    "object": ("must be an object", "skal være et objekt: {{ … }} med nøgler og værdier"),
    "unknown_key": (
        "unknown key",
        "er en ukendt nøgle. Tjek stavningen; nøgler, der begynder med _, er kommentarer",
    ),
    "required": ("is required", "mangler, men skal være der"),
    "list": ("must be a list", "skal være en liste: [ … ]"),
    "min_items": ("must have at least {n} item(s)", "skal have mindst {n}"),
    "max_items": ("must have at most {n} items", "må højst have {n}"),
    "too_long": ("must be at most {n} characters", "må højst være {n} tegn"),
    "string": ("must be a non-empty string", "skal være en tekst i anførselstegn, og ikke tom"),
    "whitespace": (
        "must not start or end with whitespace",
        "må ikke begynde eller slutte med mellemrum",
    ),
    "control": (
        "must not contain control characters",
        "indeholder et usynligt styretegn (fx et linjeskift); skriv teksten på én linje",
    ),
    "choice": ("must be one of {choices}", "skal være en af: {choices}"),
    "number": (
        "must be a whole number from {low} to {high}",
        "skal være et helt tal fra {low} til {high} (uden anførselstegn)",
    ),
    "boolean": ("must be true or false", "skal være true eller false (uden anførselstegn)"),
    "format": (
        "must be {version} (the supported format version)",
        "skal være {version} (den udgave af formatet, jeg kender)",
    ),
    "duplicate_keyword": (
        "duplicate keyword {value!r} (case is ignored)",
        "gentager stikordet »{value}« (store og små bogstaver regnes for ens)",
    ),
    "too_few_keywords": (
        "must have at least {n} keywords (everyone picks {n}), or be left out",
        "skal have mindst {n} stikord (hver deltager vælger {n}) – eller udelades helt",
    ),
    "duplicate_id": ("duplicate {what} id {value!r}", "gentager id'et »{value}« ({what_da})"),
    "colour": ("must be a colour like #7B3F98", "skal være en farve som #7B3F98"),
    "numbering": (
        "must be {n} (numbers run 1..n in order)",
        "skal være {n}: spørgsmålene nummereres 1, 2, 3 … i den rækkefølge, de står i filen",
    ),
    "url": ("must be an http(s) URL", "skal være en webadresse, der begynder med https://"),
    "no_questions": (
        "kind {kind} has no questions (give at least one question the kind)",
        "{kind} har ingen spørgsmål: mindst ét spørgsmål skal gælde for {kind}",
    ),
    "field_id": (
        "must be lower-case letters, digits and _ (starting with a letter)",
        "skal skrives med små bogstaver a–z, tal og _ og begynde med et bogstav",
    ),
    "core_input": (
        "the field {id!r} must have input {input!r}",
        "feltet »{id}« skal have input »{input}«",
    ),
    "what_required": (
        "the field 'what' must be required",
        'feltet »what« (aftalens overskrift) skal have "required": true',
    ),
    "what_kinds": (
        "the field 'what' is for every kind (leave 'kinds' out)",
        'feltet »what« gælder alle samtaletyper: udelad "kinds"',
    ),
    "missing_what": (
        "must have a field with id 'what' (the agreement's headline)",
        "mangler et felt med id »what« – aftalens overskrift, som påmindelser viser",
    ),
    "member_kinds": (
        "the field 'member' is for GRUS only",
        "feltet »member« (et medlems eget udviklingsmål) kan kun bruges ved GRUS: "
        'skriv "kinds": ["GRUS"]',
    ),
    "length_for_text": (
        "only a text field has a length",
        "kun et tekstfelt (input »text«) kan have max_length eller multiline",
    ),
}


class ConceptError(Exception):
    """A concept file is missing, unreadable, not JSON, or has an invalid field.

    ``field`` is the path of the offending field (``""`` for the file or its top level),
    ``problem`` what is wrong with it (English), ``danish`` the whole message in Danish.
    """

    def __init__(self, source: str, field: str, problem: str, danish: str = "") -> None:
        where = f"field '{field}': " if field else ""
        super().__init__(f"concept file '{source}': {where}{problem}")
        self.source = source
        self.field = field
        self.problem = problem
        where_da = f"feltet »{field}« " if field else "filen "
        sentence = f"Fejl i konceptfilen {source}: {where_da}{danish or problem}"
        self.danish = sentence if sentence.endswith(".") else sentence + "."


@dataclass(frozen=True)
class Link:
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class Question:
    id: str
    number: int
    perspective_id: str
    singular: str
    plural: str
    kinds: tuple[str, ...] = KIND_CODES

    def text(self, form: str) -> str:
        """The question in the given form: ``"du"`` (singular) or ``"I"`` (plural)."""
        if form == "du":
            return self.singular
        if form == "I":
            return self.plural
        raise ValueError(f"unknown form {form!r}; expected one of {FORMS}")


@dataclass(frozen=True)
class Perspective:
    id: str
    name: str
    colour: str
    colour_name: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class KindInfo:
    code: str
    name: str
    form: str
    default_minutes: int
    leader_title: str
    description: str
    preparation: tuple[str, ...]
    conduct: tuple[str, ...]
    follow_up: tuple[str, ...]
    focus: tuple[str, ...]
    leader_preparation: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgreementField:
    """One field of the plan's agreements: ``label`` is its title in the plan and on cards,
    ``hint`` (optional) the longer label of its input on the live card's form; ``label_en`` and
    ``hint_en`` (optional) the same for English-speaking users."""

    id: str
    label: str
    input: str = "text"
    required: bool = False
    max_length: int = DEFAULT_FIELD_LENGTH
    multiline: bool = False
    kinds: tuple[str, ...] = KIND_CODES
    hint: str = ""
    label_en: str = ""
    hint_en: str = ""

    def title(self, language: str = "da") -> str:
        return self.label_en if language == "en" and self.label_en else self.label

    def prompt(self, language: str = "da") -> str:
        """The input's label on a form."""
        if language == "en" and (self.hint_en or self.label_en):
            return self.hint_en or self.label_en
        return self.hint or self.label


DEFAULT_AGREEMENT_FIELDS = (
    AgreementField(WHAT, "Hvad", required=True, max_length=500, multiline=True, label_en="What"),
    AgreementField("when", "Hvornår", label_en="When"),
    AgreementField("who", "Hvem", label_en="Who"),
    AgreementField(RESPONSIBLE, "Ansvarlig", "participant", label_en="Responsible"),
    AgreementField(
        FOLLOW_UP,
        "Opfølgning",
        "date",
        hint="Opfølgning (dato)",
        label_en="Follow-up",
        hint_en="Follow-up (date)",
    ),
    AgreementField(
        "value",
        "Værdi",
        max_length=500,
        multiline=True,
        hint="Værdi for den enkelte, arbejdsfællesskabet og/eller borgerne (valgfrit)",
        label_en="Value",
        hint_en="Value for the person, the team and/or the citizens (optional)",
    ),
)


@dataclass(frozen=True)
class PlanLabels:
    title: str
    perspectives: str
    questions: str
    notes: str
    agreements: str
    agreement_prompt: str
    keywords: str = DEFAULT_KEYWORDS_LABEL
    confidentiality: str = DEFAULT_CONFIDENTIALITY
    agreement_fields: tuple[AgreementField, ...] = DEFAULT_AGREEMENT_FIELDS


class _KindView(NamedTuple):
    questions: tuple[Question, ...]
    perspectives: tuple[Perspective, ...]
    agreement_fields: tuple[AgreementField, ...]


_NO_KIND = _KindView((), (), ())


@dataclass(frozen=True)
class Concept:
    id: str
    organisation: str
    kinds: Mapping[str, KindInfo] = field(hash=False)
    perspectives: tuple[Perspective, ...]
    keywords: tuple[str, ...]
    plan: PlanLabels
    links: tuple[Link, ...]

    # Worked out once per concept (it is immutable): every press and card asks for them.
    @cached_property
    def questions(self) -> tuple[Question, ...]:
        """All questions, perspective by perspective, in number order."""
        return tuple(q for p in self.perspectives for q in p.questions)

    @cached_property
    def _by_kind(self) -> dict[str, _KindView]:
        return {
            kind: _KindView(
                tuple(q for q in self.questions if kind in q.kinds),
                tuple(p for p in self.perspectives if any(kind in q.kinds for q in p.questions)),
                tuple(f for f in self.plan.agreement_fields if kind in f.kinds),
            )
            for kind in {*KIND_CODES, *self.kinds}
        }

    @cached_property
    def _questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def _view(self, kind: str) -> _KindView:
        return self._by_kind.get(kind, _NO_KIND)

    def questions_for(self, kind: str) -> tuple[Question, ...]:
        """The questions a conversation of ``kind`` steps through, in order."""
        return self._view(kind).questions

    def perspectives_for(self, kind: str) -> tuple[Perspective, ...]:
        """The perspectives with questions for ``kind`` (notes and agreements go under them)."""
        return self._view(kind).perspectives

    @property
    def uses_keywords(self) -> bool:
        return bool(self.keywords)

    @property
    def agreement_fields(self) -> tuple[AgreementField, ...]:
        return self.plan.agreement_fields

    def agreement_fields_for(self, kind: str) -> tuple[AgreementField, ...]:
        """The fields of an agreement in a conversation of ``kind``, in order."""
        return self._view(kind).agreement_fields

    def agreement_field(self, field_id: str) -> AgreementField | None:
        return next((f for f in self.plan.agreement_fields if f.id == field_id), None)

    def question(self, question_id: str) -> Question:
        return self._questions_by_id[question_id]

    def perspective(self, perspective_id: str) -> Perspective:
        for p in self.perspectives:
            if p.id == perspective_id:
                return p
        raise KeyError(perspective_id)

    def kind(self, code: str) -> KindInfo:
        return self.kinds[code]


def concepts_dir() -> pathlib.Path:
    """The folder of the packaged concept files."""
    return pathlib.Path(__file__).resolve().parent / "concepts"


def default_concept_path() -> pathlib.Path:
    """The packaged Albertslund Kommune concept file."""
    return concepts_dir() / "albertslund.json"


def load_concept(path: str | pathlib.Path) -> Concept:
    """Read and validate a concept file; raise ``ConceptError`` on any problem."""
    source = str(path)
    reader = _Reader(source)
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reader.fail("", "unreadable", detail=str(exc))
    try:
        raw = json.loads(text)
    except ValueError as exc:
        reader.fail("", "not_json", detail=str(exc))
    return reader.concept(raw)


# --- validation -----------------------------------------------------------------------------


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _has_bad_char(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Co") for ch in text)


class _Reader:
    """Small typed accessors that fail with the field path; one ``_Reader`` per file."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, code: str, **params: Any) -> NoReturn:
        english, danish = _MESSAGES[code]
        raise ConceptError(
            self.source, path, english.format(**params), danish.format(**params)
        ) from None

    def obj(
        self, value: Any, path: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """An object with exactly ``keys``, perhaps some of ``optional`` (plus ignored
        ``_comment``-style keys)."""
        if not isinstance(value, dict):
            self.fail(path, "object")
        for key in value:
            if not key.startswith("_") and key not in keys and key not in optional:
                self.fail(_key(path, key), "unknown_key")
        for key in keys:
            if key not in value:
                self.fail(_key(path, key), "required")
        return value

    def array(self, value: Any, path: str, *, min_len: int = 1) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, "list")
        if len(value) < min_len:
            self.fail(path, "min_items", n=min_len)
        return value

    def string(self, value: Any, path: str, choices: tuple[str, ...] = ()) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "string")
        if value != value.strip():
            self.fail(path, "whitespace")
        if _has_bad_char(value):
            self.fail(path, "control")
        if choices and value not in choices:
            self.fail(path, "choice", choices=", ".join(choices))
        return value

    def strings(self, value: Any, path: str, *, min_len: int = 1) -> tuple[str, ...]:
        items = self.array(value, path, min_len=min_len)
        return tuple(self.string(item, f"{path}[{i}]") for i, item in enumerate(items))

    def integer(self, value: Any, path: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(path, "number", low=low, high=high)
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, "boolean")
        return value

    def kinds(self, value: Any, path: str) -> tuple[str, ...]:
        """A list of kind codes (at least one), in ``KIND_CODES`` order."""
        codes = self.strings(value, path)
        if any(code not in KIND_CODES for code in codes):
            self.fail(path, "choice", choices=", ".join(KIND_CODES))
        return tuple(code for code in KIND_CODES if code in codes)

    # --- the concept's parts ----------------------------------------------------------------

    def concept(self, raw: Any) -> Concept:
        top = self.obj(raw, "", _TOP_KEYS, _TOP_OPTIONAL_KEYS)
        if isinstance(top["format"], bool) or top["format"] != FORMAT_VERSION:
            self.fail("format", "format", version=FORMAT_VERSION)
        kinds_raw = self.obj(top["kinds"], "kinds", KIND_CODES)
        kinds = {code: self.kind(kinds_raw[code], f"kinds.{code}", code) for code in KIND_CODES}
        perspectives = self.perspectives(top["perspectives"])
        for code in KIND_CODES:
            if not any(code in q.kinds for p in perspectives for q in p.questions):
                self.fail("perspectives", "no_questions", kind=code)
        keywords = self.keywords(top.get("keywords", []))
        return Concept(
            id=self.string(top["id"], "id"),
            organisation=self.string(top["organisation"], "organisation"),
            kinds=types.MappingProxyType(kinds),
            perspectives=perspectives,
            keywords=keywords,
            plan=self.plan(top["plan"]),
            links=self.links(top["links"]),
        )

    def keywords(self, raw: Any) -> tuple[str, ...]:
        keywords = self.strings(raw, "keywords", min_len=0)
        if keywords and len(keywords) < KEYWORD_COUNT:
            self.fail("keywords", "too_few_keywords", n=KEYWORD_COUNT)
        if len(keywords) > MAX_KEYWORDS:
            self.fail("keywords", "max_items", n=MAX_KEYWORDS)
        folded = [keyword.casefold() for keyword in keywords]
        for i, keyword in enumerate(keywords):
            if folded.index(folded[i]) != i:
                self.fail(f"keywords[{i}]", "duplicate_keyword", value=keyword)
        return keywords

    def kind(self, raw: Any, path: str, code: str) -> KindInfo:
        k = self.obj(raw, path, _KIND_KEYS, _KIND_OPTIONAL_KEYS)
        return KindInfo(
            code=code,
            name=self.string(k["name"], f"{path}.name"),
            form=self.string(k["form"], f"{path}.form", FORMS),
            default_minutes=self.integer(
                k["default_minutes"], f"{path}.default_minutes", MIN_MINUTES, MAX_MINUTES
            ),
            leader_title=self.string(k["leader_title"], f"{path}.leader_title"),
            description=self.string(k["description"], f"{path}.description"),
            preparation=self.strings(k["preparation"], f"{path}.preparation"),
            conduct=self.strings(k["conduct"], f"{path}.conduct"),
            follow_up=self.strings(k["follow_up"], f"{path}.follow_up"),
            focus=self.strings(k["focus"], f"{path}.focus", min_len=0),
            leader_preparation=self.strings(
                k.get("leader_preparation", []), f"{path}.leader_preparation", min_len=0
            ),
        )

    def perspectives(self, raw: Any) -> tuple[Perspective, ...]:
        result: list[Perspective] = []
        question_ids: list[str] = []
        for i, item in enumerate(self.array(raw, "perspectives")):
            path = f"perspectives[{i}]"
            p = self.obj(item, path, ("id", "name", "colour", "colour_name", "questions"))
            pid = self.string(p["id"], f"{path}.id")
            if any(other.id == pid for other in result):
                self.fail(
                    f"{path}.id",
                    "duplicate_id",
                    what="perspective",
                    what_da="perspektiv",
                    value=pid,
                )
            colour = self.string(p["colour"], f"{path}.colour")
            if not _COLOUR.fullmatch(colour):
                self.fail(f"{path}.colour", "colour")
            questions: list[Question] = []
            for j, q_raw in enumerate(self.array(p["questions"], f"{path}.questions")):
                q_path = f"{path}.questions[{j}]"
                q = self.obj(q_raw, q_path, ("id", "number", "singular"), ("plural", "kinds"))
                qid = self.string(q["id"], f"{q_path}.id")
                if qid in question_ids:
                    self.fail(
                        f"{q_path}.id",
                        "duplicate_id",
                        what="question",
                        what_da="spørgsmål",
                        value=qid,
                    )
                question_ids.append(qid)
                number = len(question_ids)
                if self.integer(q["number"], f"{q_path}.number", 1, 999) != number:
                    self.fail(f"{q_path}.number", "numbering", n=number)
                singular = self.string(q["singular"], f"{q_path}.singular")
                plural = self.string(q["plural"], f"{q_path}.plural") if "plural" in q else singular
                kinds = self.kinds(q["kinds"], f"{q_path}.kinds") if "kinds" in q else KIND_CODES
                questions.append(Question(qid, number, pid, singular, plural, kinds))
            result.append(
                Perspective(
                    id=pid,
                    name=self.string(p["name"], f"{path}.name"),
                    colour=colour,
                    colour_name=self.string(p["colour_name"], f"{path}.colour_name"),
                    questions=tuple(questions),
                )
            )
        return tuple(result)

    def plan(self, raw: Any) -> PlanLabels:
        p = self.obj(raw, "plan", _PLAN_KEYS, _PLAN_OPTIONAL_KEYS)
        labels: dict[str, Any] = {key: self.string(p[key], f"plan.{key}") for key in _PLAN_KEYS}
        optional: dict[str, Any] = {
            key: self.string(p[key], f"plan.{key}")
            for key in ("keywords", "confidentiality")
            if key in p
        }
        if "agreement_fields" in p:
            optional["agreement_fields"] = self.agreement_fields(p["agreement_fields"])
        return PlanLabels(**labels, **optional)

    def agreement_fields(self, raw: Any) -> tuple[AgreementField, ...]:
        path = "plan.agreement_fields"
        items = self.array(raw, path)
        if len(items) > MAX_AGREEMENT_FIELDS:
            self.fail(path, "max_items", n=MAX_AGREEMENT_FIELDS)
        fields: list[AgreementField] = []
        for i, item in enumerate(items):
            fields.append(self.agreement_field(item, f"{path}[{i}]", fields))
        if not any(f.id == WHAT for f in fields):
            self.fail(path, "missing_what")
        return tuple(fields)

    def agreement_field(self, raw: Any, path: str, before: list[AgreementField]) -> AgreementField:
        f = self.obj(raw, path, _FIELD_KEYS, _FIELD_OPTIONAL_KEYS)
        field_id = self.string(f["id"], f"{path}.id")
        if not _FIELD_ID.fullmatch(field_id):
            self.fail(f"{path}.id", "field_id")
        if any(other.id == field_id for other in before):
            self.fail(f"{path}.id", "duplicate_id", what="field", what_da="felt", value=field_id)
        kind_of_input = self.string(f["input"], f"{path}.input", INPUTS)
        if field_id in _CORE_INPUTS and kind_of_input != _CORE_INPUTS[field_id]:
            self.fail(f"{path}.input", "core_input", id=field_id, input=_CORE_INPUTS[field_id])
        required = self.boolean(f.get("required", False), f"{path}.required")
        if field_id == WHAT and not required:
            self.fail(f"{path}.required", "what_required")
        if kind_of_input != "text" and ("max_length" in f or "multiline" in f):
            self.fail(
                f"{path}.max_length" if "max_length" in f else f"{path}.multiline",
                "length_for_text",
            )
        kinds = self.kinds(f["kinds"], f"{path}.kinds") if "kinds" in f else KIND_CODES
        if field_id == WHAT and kinds != KIND_CODES:
            self.fail(f"{path}.kinds", "what_kinds")
        if field_id == MEMBER and kinds != ("GRUS",):
            self.fail(f"{path}.kinds", "member_kinds")
        texts = {
            key: self.string(f[key], f"{path}.{key}")
            for key in ("label", "hint", "label_en", "hint_en")
            if key in f
        }
        for key, value in texts.items():
            if len(value) > MAX_LABEL:
                self.fail(f"{path}.{key}", "too_long", n=MAX_LABEL)
        return AgreementField(
            id=field_id,
            input=kind_of_input,
            required=required,
            max_length=self.integer(
                f.get("max_length", DEFAULT_FIELD_LENGTH), f"{path}.max_length", 1, MAX_FIELD_LENGTH
            ),
            multiline=self.boolean(f.get("multiline", False), f"{path}.multiline"),
            kinds=kinds,
            **texts,
        )

    def links(self, raw: Any) -> tuple[Link, ...]:
        links: list[Link] = []
        for i, item in enumerate(self.array(raw, "links", min_len=0)):
            path = f"links[{i}]"
            link = self.obj(item, path, ("id", "title", "url"))
            url = self.string(link["url"], f"{path}.url")
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
                self.fail(f"{path}.url", "url")
            link_id = self.string(link["id"], f"{path}.id")
            if any(other.id == link_id for other in links):
                self.fail(f"{path}.id", "duplicate_id", what="link", what_da="link", value=link_id)
            links.append(Link(link_id, self.string(link["title"], f"{path}.title"), url))
        return tuple(links)
