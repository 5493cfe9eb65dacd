"""The conversation aggregate: one MUS, LUS or GRUS from setup to the approved development plan.

All types are frozen dataclasses holding only JSON-friendly values (str, int, bool, tuples,
string-keyed dicts), so ``storage.serialization`` can store them as versioned JSON (the versions
and their migrations: ``storage.schemas``). Transitions
(``dialogs.transitions``) never mutate; they return new values made with ``dataclasses.replace``.
Roles live here, on the conversation; nothing about who may do what is trusted from card data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

APPROVAL_WAIT = timedelta(days=7)  # the leader is reminded once after this, if anyone is silent

SCHEMA_VERSION = 3

Phase = Literal["setup", "preparation", "live", "closed"]
Role = Literal["leader", "co_facilitator", "participant"]
Variant = Literal["skema", "puslespil"]

PHASES: tuple[Phase, ...] = ("setup", "preparation", "live", "closed")
VARIANTS: tuple[Variant, ...] = ("skema", "puslespil")


@dataclass(frozen=True)
class Person:
    """A Teams user as the roster reports them."""

    user_id: str
    name: str
    aad_object_id: str = ""


@dataclass(frozen=True)
class Participant:
    """A person taking part, with their role and their preparation."""

    user_id: str
    name: str
    role: Role
    aad_object_id: str = ""
    keywords: tuple[str, ...] = ()
    prep_notes: dict[str, str] = field(default_factory=dict)
    prepared_at: str | None = None
    left: bool = False  # no longer in the chat the conversation is held in: may not read or act

    @property
    def prepared(self) -> bool:
        """Chose their keywords, or (with a concept without keywords) pressed "Jeg er
        forberedt"; both set ``prepared_at``."""
        return bool(self.keywords) or self.prepared_at is not None

    def is_person(self, person: Person) -> bool:
        """Whether ``person`` (as Teams names them) is this participant, by Teams or Entra id."""
        return person.user_id == self.user_id or bool(
            person.aad_object_id and person.aad_object_id == self.aad_object_id
        )

    @property
    def leads(self) -> bool:
        """Leader or co-facilitator: may move the live conversation and finish it."""
        return self.role in ("leader", "co_facilitator")


@dataclass(frozen=True)
class ExtraQuestion:
    """A question the workplace added, under a perspective; asked after the concept's questions."""

    id: str
    perspective_id: str
    text: str


@dataclass(frozen=True)
class Setup:
    """What the leader decided before the conversation."""

    kind: str
    variant: Variant = "skema"
    walk_and_talk: bool = False
    starts_at: str | None = None
    duration_minutes: int = 60
    workplace: str = ""
    wording: dict[str, str] = field(default_factory=dict)
    extra_questions: tuple[ExtraQuestion, ...] = ()
    focus_points: str = ""


@dataclass(frozen=True)
class Note:
    """A note written during the live conversation, under a perspective."""

    id: str
    perspective_id: str
    text: str
    author_id: str
    created_at: str


@dataclass(frozen=True)
class Agreement:
    """An agreement of the development plan (a development goal), with the fields the concept
    declares (``dialogs.concept.AgreementField``).

    The fields the bot acts on are attributes: ``what`` (its headline), who is ``responsible``
    (a name; ``responsible_id`` when it is a participant, who gets the follow-up reminder), the
    ``follow_up`` date, ``member_id`` (in a GRUS: the member whose own development goal it is;
    "" for the group's) and ``shared_with`` (with whom it may be shared: the plan's
    confidentiality section lists it). Every other field the concept declares is in ``details``
    by its id (a date as ISO text, a participant by their id); ``when``, ``who`` and ``value``
    (Albertslund's) read from there."""

    id: str
    perspective_id: str
    what: str
    responsible: str
    follow_up: str
    author_id: str
    created_at: str
    updated_at: str
    responsible_id: str = ""
    details: dict[str, str] = field(default_factory=dict)
    member_id: str = ""
    shared_with: str = ""

    @property
    def when(self) -> str:
        return self.details.get("when", "")

    @property
    def who(self) -> str:
        return self.details.get("who", "")

    @property
    def value(self) -> str:
        return self.details.get("value", "")


@dataclass(frozen=True)
class FollowUp:
    """The follow-up of one agreement after the conversation: due date, reminder sent, done."""

    agreement_id: str
    due: str
    reminded_on: str = ""
    done_at: str = ""


@dataclass(frozen=True)
class Approval:
    """A participant's approval of one version of the development plan."""

    user_id: str
    version: int
    at: str


@dataclass(frozen=True)
class Comment:
    """A participant's short comment on one version of the plan, sent to the leader."""

    user_id: str
    version: int
    text: str
    at: str


@dataclass(frozen=True)
class PreviousPlan:
    """The last development plan of the same person or group, reviewed at the next conversation
    ("opfølgning fra sidst"): a snapshot of its agreements and their follow-up."""

    conversation_id: str
    finished_at: str
    agreements: tuple[Agreement, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()


@dataclass(frozen=True)
class LiveState:
    """Where the live conversation stands and which chosen keywords have come up."""

    position: int = 0
    covered: tuple[str, ...] = ()
    started_at: str | None = None
    finished_at: str | None = None
    last_change: str = ""  # what the last accepted change was (e.g. "agreement_added") ...
    last_actor: str = ""  # ... who made it ...
    last_at: str = ""  # ... and when: shown on the shared card, so everyone sees it landed
    copy: int = 0  # which posting of the shared card is current (presses from others refused)
    shown_at: str = ""  # when a person last asked to post it again


@dataclass(frozen=True)
class Conversation:
    """The aggregate. ``version`` grows with every accepted change and is printed on cards.

    Where the bot reached people (chats, message ids) is not part of it: ``bot/`` keeps that in
    its own record beside the conversation. ``index_pending`` is the one piece of bookkeeping it
    carries: whether the year's index (``bot.year_index``) may still lag behind it, kept in the
    same write as the change so that a crash between that write and the index's cannot lose
    it."""

    id: str
    concept_id: str
    created_at: str
    setup: Setup
    participants: tuple[Participant, ...]
    place: str = ""  # an opaque key of the chat it was set up in (never a Teams address)
    onlookers: tuple[str, ...] = ()  # ids of people in that chat who do not take part
    phase: Phase = "setup"
    version: int = 1
    keywords_shared_at: str | None = None
    reminded_at: str = ""  # the last reminder round
    live: LiveState = field(default_factory=LiveState)
    notes: tuple[Note, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    confidentiality: str = ""
    next_follow_up: str = ""
    follow_ups: tuple[FollowUp, ...] = ()
    previous: PreviousPlan | None = None
    plan_version: int = 0  # the newest version of the development plan written (0: none yet)
    approvals: tuple[Approval, ...] = ()  # of every version, kept with it
    no_goals: bool = False  # finished without agreements: the leader confirmed "no goals this year"
    comments: tuple[Comment, ...] = ()  # on every version, kept with it
    plan_written_at: str = ""  # when the newest version was written
    approval_reminded: int = 0  # the newest version the leader was reminded to get approved
    processed: tuple[str, ...] = ()
    # Its summary (``dialogs.summary``) changed in a save and the year's index may not show it
    # yet: set in the same save, cleared once the index is written (``bot.conversations``).
    index_pending: bool = False
    schema_version: int = SCHEMA_VERSION

    @property
    def kind(self) -> str:
        return self.setup.kind

    @property
    def plan_approved(self) -> bool:
        """Every participant who has not left approved the newest plan version."""
        return bool(self.plan_version) and not self.awaiting_approval()

    def approvals_of(self, version: int) -> tuple[Approval, ...]:
        return tuple(a for a in self.approvals if a.version == version)

    def awaiting_approval(self, version: int | None = None) -> tuple[Participant, ...]:
        """Who has not approved the plan's newest version (or ``version``) yet, of those who
        have not left."""
        wanted = self.plan_version if version is None else version
        approved = {a.user_id for a in self.approvals_of(wanted)}
        return tuple(p for p in self.participants if not p.left and p.user_id not in approved)

    def unanswered(self) -> tuple[Participant, ...]:
        """Who has neither approved nor commented on the newest version."""
        commented = {c.user_id for c in self.comments if c.version == self.plan_version}
        return tuple(p for p in self.awaiting_approval() if p.user_id not in commented)

    def approval_reminder_due(self, today: date) -> bool:
        """The newest version was written ``APPROVAL_WAIT`` or more before ``today``, the leader
        has not been reminded about it, and someone has neither approved nor commented."""
        written = self.plan_written_at[:10]
        return bool(
            self.plan_version
            and self.approval_reminded < self.plan_version
            and written
            and date.fromisoformat(written) + APPROVAL_WAIT <= today
            and self.unanswered()
        )

    def own_goals(self, member_id: str) -> tuple[Agreement, ...]:
        """The agreements that are ``member_id``'s own development goals (in a GRUS)."""
        return tuple(a for a in self.agreements if member_id and a.member_id == member_id)

    @property
    def members_with_goals(self) -> tuple[Participant, ...]:
        """The participants with own development goals, in the participants' order."""
        owners = {a.member_id for a in self.agreements if a.member_id}
        return tuple(p for p in self.participants if p.user_id in owners)

    @property
    def leader(self) -> Participant:
        return next(p for p in self.participants if p.role == "leader")

    def participant(self, user_id: str) -> Participant | None:
        return next((p for p in self.participants if p.user_id == user_id), None)

    @property
    def everyone_prepared(self) -> bool:
        return all(p.prepared for p in self.participants)

    @property
    def private(self) -> bool:
        """Whether nobody but its participants can see its chat (a MUS or LUS must be)."""
        return not self.onlookers


def previous_plan(conversation: Conversation) -> PreviousPlan:
    """The snapshot a later conversation of the same people keeps of this closed one."""
    return PreviousPlan(
        conversation_id=conversation.id,
        finished_at=conversation.live.finished_at or conversation.created_at,
        agreements=conversation.agreements,
        follow_ups=conversation.follow_ups,
    )


def covered_key(owner_id: str, keyword: str) -> str:
    """The key under which one person's chosen keyword is marked as brought into play."""
    return f"{owner_id}\x1f{keyword}"
