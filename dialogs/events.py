"""Domain events: what a person (or the bot's scheduler) asks the conversation to do.

Events are plain frozen dataclasses made by ``bot/`` from validated activity payloads. ``actor`` is
the Teams user id of whoever pressed; ``request_id`` (the activity id) makes a redelivered press a
no-op; ``copy`` is the posting of the live card a press came from (None: not from the live card,
or from one posted before copies were counted). Texts are still raw here:
``dialogs.transitions`` cleans and bounds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.conversation import Person, PreviousPlan


@dataclass(frozen=True)
class Event:
    actor: str
    request_id: str | None = field(default=None, kw_only=True)
    copy: int | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class SaveSetup(Event):
    kind: str
    participants: tuple[Person, ...]
    starts_at: str | None = None
    duration_minutes: int | None = None
    variant: str = "skema"
    walk_and_talk: bool = False
    workplace: str = ""
    wording: dict[str, str] = field(default_factory=dict)
    extra_questions: tuple[tuple[str, str], ...] = ()  # (perspective_id, text)
    focus_points: str = ""
    co_facilitator: str | None = None
    previous: PreviousPlan | None = None  # the last plan of the same people, found by the bot
    audience: tuple[Person, ...] | None = None  # who can read the chat (None: only the leader)


@dataclass(frozen=True)
class ChooseKeywords(Event):
    keywords: tuple[str, ...]
    notes: dict[str, str] = field(default_factory=dict)
    name: str = ""  # the chooser's display name, filling in one the people picker did not give


@dataclass(frozen=True)
class ShareKeywords(Event):
    pass


@dataclass(frozen=True)
class RemindUnprepared(Event):
    pass


@dataclass(frozen=True)
class StartLive(Event):
    """``force``: start although some have not prepared (the leader confirmed);
    ``audience``: who can read the chat now (None: the leader's and participants' 1:1 chats)."""

    force: bool = False
    audience: tuple[Person, ...] | None = None


@dataclass(frozen=True)
class ShowLiveCard(Event):
    """Post the live card again (it was lost, or scrolled out of sight): a new copy, the ones
    before it outdated. ``by_bot``: the bot itself, after a post whose outcome it does not know
    (no role needed, no waiting time)."""

    by_bot: bool = False


@dataclass(frozen=True)
class ChatMembersChanged(Event):
    """People joined (``added``) or left (``removed``, by Teams id) the conversation's chat."""

    added: tuple[Person, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Move(Event):
    """``to`` is an agenda index; ``expected`` is the position shown on the pressed card."""

    to: int
    expected: int | None = None
    jump: bool = False


@dataclass(frozen=True)
class MarkKeyword(Event):
    """A chosen keyword came up (or not): for ``owner_id``, or for everyone who chose it ("")."""

    owner_id: str
    keyword: str
    covered: bool = True


@dataclass(frozen=True)
class AddNote(Event):
    perspective_id: str
    text: str


@dataclass(frozen=True)
class AgreementFields:
    """What a person typed into an agreement's form, by the concept's field ids: ``what``,
    ``responsible`` (a participant's id, or a name), ``follow_up`` (ISO date), ``member`` (a
    GRUS member's id), ``shared_with``, Albertslund's ``when``, ``who`` and ``value``, and any
    other field the concept declares in ``more``. The transition keeps only the fields the
    concept declares for the conversation's kind."""

    perspective_id: str
    what: str
    when: str = ""
    who: str = ""
    responsible: str = ""
    follow_up: str = ""
    value: str = ""
    member: str = ""
    shared_with: str = ""
    more: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_values(cls, perspective_id: str, values: dict[str, str]) -> AgreementFields:
        """From a card's inputs, field id -> what was typed."""
        rest = dict(values)
        return cls(perspective_id=perspective_id, what=rest.pop("what", ""), more=rest)

    def values(self) -> dict[str, str]:
        """Every field id -> its raw value (the ones not given are "")."""
        named = {
            "when": self.when,
            "who": self.who,
            "responsible": self.responsible,
            "follow_up": self.follow_up,
            "value": self.value,
            "member": self.member,
            "shared_with": self.shared_with,
        }
        return {**{k: v for k, v in named.items() if v}, **self.more, "what": self.what}


@dataclass(frozen=True)
class AddAgreement(Event):
    fields: AgreementFields


@dataclass(frozen=True)
class EditAgreement(Event):
    agreement_id: str
    fields: AgreementFields


@dataclass(frozen=True)
class RemoveAgreement(Event):
    agreement_id: str


@dataclass(frozen=True)
class ClaimReminder(Event):
    """One bot instance claims sending the follow-up reminder of an agreement on ``day``."""

    agreement_id: str
    day: str


@dataclass(frozen=True)
class CompleteFollowUp(Event):
    agreement_id: str


@dataclass(frozen=True)
class MoveFollowUp(Event):
    agreement_id: str
    due: str


FOLLOW_UP_EVENTS = (ClaimReminder, CompleteFollowUp, MoveFollowUp)


@dataclass(frozen=True)
class PlanWritten(Event):
    """The bot stored ``version`` of the development plan (the domain learns each version after
    its document is stored): that version is now the one to approve."""

    version: int


@dataclass(frozen=True)
class ApprovePlan(Event):
    """A participant approves ``version`` of the plan (the one on the card they pressed)."""

    version: int


@dataclass(frozen=True)
class CommentOnPlan(Event):
    """A participant's short comment on ``version`` of the plan, for the leader."""

    version: int
    text: str


@dataclass(frozen=True)
class ClaimApprovalReminder(Event):
    """One bot instance claims reminding the leader on ``day``, once, that ``version`` is not
    approved (a week after it was written)."""

    version: int
    day: str


PLAN_EVENTS = (PlanWritten, ApprovePlan, CommentOnPlan, ClaimApprovalReminder)
AFTER_CLOSE_EVENTS = FOLLOW_UP_EVENTS + PLAN_EVENTS


@dataclass(frozen=True)
class Finish(Event):
    """Close the conversation. ``confidentiality`` says what may be passed on and to whom;
    ``next_follow_up`` (ISO date) is when the plan as a whole is followed up. A MUS or LUS
    ends in a plan: without agreements it needs ``no_goals`` ("Ingen udviklingsmål i år")."""

    confidentiality: str = ""
    next_follow_up: str = ""
    audience: tuple[Person, ...] | None = None  # who can read the chat now, as for StartLive
    no_goals: bool = False  # a MUS or LUS without agreements: the leader confirmed "no goals"
