"""The conversation concept as typed, immutable data, loaded from a validated JSON file.

A concept is one organisation's material for development conversations: the kinds of
conversation (MUS, LUS, GRUS) with their guidance, the perspectives with their numbered questions
in singular ("du") and plural ("I") form, the keywords, the labels of the development plan and
the links participants read before the conversation.

``load_concept(path)`` reads a concept file (format version 1, see
``dialogs/concepts/albertslund.json``) and either returns a fully valid ``Concept`` or raises
``ConceptError`` naming the file and the offending field path (e.g.
``perspectives[0].questions[1].plural``). Keys starting with ``_`` are comments and are ignored
at every level; any other unknown key is an error. Nothing is read at import time;
``default_concept_path()`` only locates the packaged Albertslund file.

Each kind (``kinds.MUS``, ``kinds.LUS``, ``kinds.GRUS``) holds its ``name``, the question
``form`` (``"du"`` or ``"I"``), ``default_minutes``, the ``leader_title``, a ``description`` and
lists of guidance paragraphs: ``preparation`` (how everyone taking part prepares; shown on every
participant's preparation card), ``conduct``, ``follow_up`` and ``focus``. The optional
``leader_preparation`` (a list of paragraphs, default empty) holds what only the conversation's
leader does beforehand (inviting, booking a room, handing out the concept, agreeing focus points
with the leader group); it is shown on the leader's own preparation card only.
"""

from __future__ import annotations

import json
import pathlib
import re
import types
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

FORMAT_VERSION = 1
KIND_CODES = ("MUS", "LUS", "GRUS")
FORMS = ("du", "I")
MIN_MINUTES, MAX_MINUTES = 15, 480
MAX_KEYWORDS = 60

_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_TOP_KEYS = ("format", "id", "organisation", "kinds", "perspectives", "keywords", "plan", "links")
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
_PLAN_KEYS = (
    "title",
    "perspectives",
    "questions",
    "keywords",
    "notes",
    "agreements",
    "agreement_prompt",
)


class ConceptError(Exception):
    """A concept file is missing, unreadable, not JSON, or has an invalid field.

    ``field`` is the path of the offending field (``""`` for the file or its top level).
    """

    def __init__(self, source: str, field: str, problem: str) -> None:
        where = f"field '{field}': " if field else ""
        super().__init__(f"concept file '{source}': {where}{problem}")
        self.source = source
        self.field = field
        self.problem = problem


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
class PlanLabels:
    title: str
    perspectives: str
    questions: str
    keywords: str
    notes: str
    agreements: str
    agreement_prompt: str


@dataclass(frozen=True)
class Concept:
    id: str
    organisation: str
    kinds: Mapping[str, KindInfo] = field(hash=False)
    perspectives: tuple[Perspective, ...]
    keywords: tuple[str, ...]
    plan: PlanLabels
    links: tuple[Link, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        """All questions, perspective by perspective, in number order."""
        return tuple(q for p in self.perspectives for q in p.questions)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def perspective(self, perspective_id: str) -> Perspective:
        for p in self.perspectives:
            if p.id == perspective_id:
                return p
        raise KeyError(perspective_id)

    def kind(self, code: str) -> KindInfo:
        return self.kinds[code]


def default_concept_path() -> pathlib.Path:
    """The packaged Albertslund Kommune concept file."""
    return pathlib.Path(__file__).resolve().parent / "concepts" / "albertslund.json"


def load_concept(path: str | pathlib.Path) -> Concept:
    """Read and validate a concept file; raise ``ConceptError`` on any problem."""
    source = str(path)
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConceptError(source, "", f"cannot be read: {exc}") from exc
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ConceptError(source, "", f"is not valid JSON: {exc}") from exc
    return _Reader(source).concept(raw)


# --- validation -----------------------------------------------------------------------------


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _has_bad_char(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Co") for ch in text)


class _Reader:
    """Small typed accessors that fail with the field path; one ``_Reader`` per file."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> NoReturn:
        raise ConceptError(self.source, path, problem)

    def obj(
        self, value: Any, path: str, keys: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """An object with exactly ``keys``, perhaps some of ``optional`` (plus ignored
        ``_comment``-style keys)."""
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
        for key in value:
            if not key.startswith("_") and key not in keys and key not in optional:
                self.fail(_key(path, key), "unknown key")
        for key in keys:
            if key not in value:
                self.fail(_key(path, key), "is required")
        return value

    def array(self, value: Any, path: str, *, min_len: int = 1) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, "must be a list")
        if len(value) < min_len:
            self.fail(path, f"must have at least {min_len} item(s)")
        return value

    def string(self, value: Any, path: str, choices: tuple[str, ...] = ()) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
        if value != value.strip():
            self.fail(path, "must not start or end with whitespace")
        if _has_bad_char(value):
            self.fail(path, "must not contain control characters")
        if choices and value not in choices:
            self.fail(path, f"must be one of {', '.join(choices)}")
        return value

    def strings(self, value: Any, path: str, *, min_len: int = 1) -> tuple[str, ...]:
        items = self.array(value, path, min_len=min_len)
        return tuple(self.string(item, f"{path}[{i}]") for i, item in enumerate(items))

    def integer(self, value: Any, path: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(path, f"must be a whole number from {low} to {high}")
        return value

    # --- the concept's parts ----------------------------------------------------------------

    def concept(self, raw: Any) -> Concept:
        top = self.obj(raw, "", _TOP_KEYS)
        if isinstance(top["format"], bool) or top["format"] != FORMAT_VERSION:
            self.fail("format", f"must be {FORMAT_VERSION} (the supported format version)")
        kinds_raw = self.obj(top["kinds"], "kinds", KIND_CODES)
        kinds = {code: self.kind(kinds_raw[code], f"kinds.{code}", code) for code in KIND_CODES}
        perspectives = self.perspectives(top["perspectives"])
        keywords = self.strings(top["keywords"], "keywords")
        if len(keywords) > MAX_KEYWORDS:
            self.fail("keywords", f"must have at most {MAX_KEYWORDS} items")
        folded = [keyword.casefold() for keyword in keywords]
        for i, keyword in enumerate(keywords):
            if folded.index(folded[i]) != i:
                self.fail(f"keywords[{i}]", f"duplicate keyword {keyword!r} (case is ignored)")
        return Concept(
            id=self.string(top["id"], "id"),
            organisation=self.string(top["organisation"], "organisation"),
            kinds=types.MappingProxyType(kinds),
            perspectives=perspectives,
            keywords=keywords,
            plan=self.plan(top["plan"]),
            links=self.links(top["links"]),
        )

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
                self.fail(f"{path}.id", f"duplicate perspective id {pid!r}")
            colour = self.string(p["colour"], f"{path}.colour")
            if not _COLOUR.fullmatch(colour):
                self.fail(f"{path}.colour", "must be a colour like #7B3F98")
            questions: list[Question] = []
            for j, q_raw in enumerate(self.array(p["questions"], f"{path}.questions")):
                q_path = f"{path}.questions[{j}]"
                q = self.obj(q_raw, q_path, ("id", "number", "singular", "plural"))
                qid = self.string(q["id"], f"{q_path}.id")
                if qid in question_ids:
                    self.fail(f"{q_path}.id", f"duplicate question id {qid!r}")
                question_ids.append(qid)
                number = len(question_ids)
                if self.integer(q["number"], f"{q_path}.number", 1, 999) != number:
                    self.fail(f"{q_path}.number", f"must be {number} (numbers run 1..n in order)")
                questions.append(
                    Question(
                        id=qid,
                        number=number,
                        perspective_id=pid,
                        singular=self.string(q["singular"], f"{q_path}.singular"),
                        plural=self.string(q["plural"], f"{q_path}.plural"),
                    )
                )
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
        p = self.obj(raw, "plan", _PLAN_KEYS)
        return PlanLabels(**{key: self.string(p[key], f"plan.{key}") for key in _PLAN_KEYS})

    def links(self, raw: Any) -> tuple[Link, ...]:
        links: list[Link] = []
        for i, item in enumerate(self.array(raw, "links", min_len=0)):
            path = f"links[{i}]"
            link = self.obj(item, path, ("id", "title", "url"))
            url = self.string(link["url"], f"{path}.url")
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
                self.fail(f"{path}.url", "must be an http(s) URL")
            link_id = self.string(link["id"], f"{path}.id")
            if any(other.id == link_id for other in links):
                self.fail(f"{path}.id", f"duplicate link id {link_id!r}")
            links.append(Link(link_id, self.string(link["title"], f"{path}.title"), url))
        return tuple(links)
