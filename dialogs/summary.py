"""What the year's overviews know of a conversation: its summary, and the index entries made
from it. Pure: a conversation in, small values out; no content.

``summarize(conversation)`` is everything "Mine samtaler", "Mine aftaler" and HR's figures read
of one conversation: kind, state, the day it belongs to, workplace, who takes part (key, name,
role, whether they left) and, once it is finished, each agreement of the plan as its follow-up
(id, who is responsible, due, done). Notes, keywords, questions and the agreements' texts are
never in it. Two summaries are equal exactly when the index entries made from them are, so
the bot rewrites the index only when a conversation's summary changed (``may_differ`` is the
cheap first look, for the presses that certainly change nothing of it). ``cleared(conversation,
written)`` takes the conversation's ``index_pending`` mark off once ``written`` (its summary) is
in the index, unless it changed meanwhile.

- **State** (``state_of``): ``set_up`` (nobody has prepared yet: chosen keywords or said
  "Jeg er forberedt"), ``preparing``, ``live``, ``finished`` (closed) and ``approved`` (closed,
  and every participant who has not left approved the newest plan version:
  ``Conversation.plan_approved``).
- **Day** (``day_of``): the conversation's own date (the setup's ``starts_at``), else the day it
  was created; its **year** is the year of the round it counts in. A MUS set up in December for
  January is next year's.
- **Who**: a participant's ``key`` is their Entra object id, else their Teams id (people picked
  with the people picker are known by the former only), and their name is "" while the bot does
  not know it yet (the people picker gives none). Erased participants (``forget``) are left out:
  nothing is indexed under a pseudonym.

Entries: ``person_entries(summary, version)`` gives each participant's ``PersonEntry`` (what their
own lists show: the conversation's kind, state, day, their role, the other people of a MUS or
LUS by name, how many take part, the next open follow-up, and the follow-ups of the agreements
they are responsible for); ``round_entry(summary, version)`` the workplace's ``RoundEntry``
(counts and due dates only: no names, no ids of people). ``workplace_group`` is the grouping of
a workplace's free text (case and spacing ignored). An entry with ``removed`` set is a
tombstone: the conversation left that index at ``version`` (see ``bot.year_index``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from dialogs.conversation import Conversation, Participant, Role
from dialogs.privacy import PSEUDONYM_PREFIX

State = Literal["set_up", "preparing", "live", "finished", "approved"]
STATES: tuple[State, ...] = ("set_up", "preparing", "live", "finished", "approved")
HELD: frozenset[str] = frozenset({"live", "finished", "approved"})  # the conversation took place
CLOSED: frozenset[str] = frozenset({"finished", "approved"})


@dataclass(frozen=True)
class Member:
    """A participant as the index knows them."""

    key: str  # Entra object id, else Teams id
    name: str
    role: Role
    left: bool = False


@dataclass(frozen=True)
class FollowUpState:
    """One agreement of a finished conversation's plan, as its follow-up."""

    agreement_id: str
    responsible: str  # the responsible member's key ("" when nobody among the participants)
    due: str  # ISO date ("" when the agreement has no follow-up date)
    done: bool = False


@dataclass(frozen=True)
class Summary:
    conversation_id: str
    kind: str
    state: State
    day: str  # ISO date: the round it counts in
    created_at: str
    workplace: str
    members: tuple[Member, ...]
    agreements: tuple[FollowUpState, ...] = ()  # finished conversations only: the plan's
    next_follow_up: str = ""  # the plan's follow-up as a whole (finished only)


@dataclass(frozen=True)
class Named:
    key: str
    name: str


@dataclass(frozen=True)
class Due:
    """An agreement the person is responsible for: its follow-up date and whether it is done."""

    agreement_id: str
    due: str = ""
    done: bool = False


@dataclass(frozen=True)
class PersonEntry:
    """One conversation in one person's index."""

    conversation_id: str
    version: int
    kind: str = ""
    state: State = "set_up"
    day: str = ""
    created_at: str = ""
    role: Role = "participant"
    left: bool = False
    people: int = 0  # how many take part
    others: tuple[Named, ...] = ()  # the other people of a MUS or LUS (a GRUS is counted)
    next_follow_up: str = ""  # the earliest open follow-up, else the plan's
    mine: tuple[Due, ...] = ()  # the agreements this person is responsible for (finished only)
    removed: str = ""  # a tombstone: when the conversation left this index


@dataclass(frozen=True)
class RoundEntry:
    """One conversation in its workplace's index for its year: counts and dates only."""

    conversation_id: str
    version: int
    kind: str = ""
    state: State = "set_up"
    agreements: int = 0  # in the plan (finished only)
    done: int = 0  # of those, followed up and marked done
    open_dues: tuple[str, ...] = ()  # the follow-up dates not yet done
    removed: str = ""  # a tombstone: when the conversation left this index


def identity(participant: Participant) -> str:
    """The key a participant is indexed under: Entra object id, else Teams id."""
    return participant.aad_object_id or participant.user_id


def state_of(conversation: Conversation) -> State:
    if conversation.phase == "closed":
        return "approved" if conversation.plan_approved else "finished"
    if conversation.phase == "live":
        return "live"
    if any(p.prepared for p in conversation.participants):
        return "preparing"
    return "set_up"


def day_of(conversation: Conversation) -> str:
    """The conversation's own date, else the day it was created (ISO)."""
    return (conversation.setup.starts_at or conversation.created_at)[:10]


def year_of(day: str) -> int:
    return int(day[:4])


def workplace_group(workplace: str) -> str:
    """The workplace as grouped: spacing and case do not make another workplace."""
    return " ".join(workplace.split()).casefold()


def may_differ(before: Conversation, after: Conversation) -> bool:
    """A cheap first look: False only when ``after``'s summary is certainly ``before``'s (the
    presses of a live conversation: notes, agreements being written, moves, keywords marked)."""
    return (
        before.id != after.id
        or before.phase != after.phase
        or before.setup is not after.setup
        or before.participants is not after.participants
        or before.plan_version != after.plan_version
        or before.approvals is not after.approvals
        or before.created_at != after.created_at
        or (
            after.phase == "closed"
            and (
                before.agreements is not after.agreements
                or before.follow_ups is not after.follow_ups
                or before.next_follow_up != after.next_follow_up
            )
        )
    )


def summarize(conversation: Conversation) -> Summary:
    c = conversation
    members = tuple(
        Member(identity(p), _name(p), p.role, p.left)
        for p in c.participants
        if not p.user_id.startswith(PSEUDONYM_PREFIX)
    )
    agreements: tuple[FollowUpState, ...] = ()
    next_follow_up = ""
    if c.phase == "closed":
        keys = {p.user_id: identity(p) for p in c.participants}
        follow_ups = {f.agreement_id: f for f in c.follow_ups}
        found = []
        for a in c.agreements:
            responsible = keys.get(a.responsible_id, "")
            follow_up = follow_ups.get(a.id)
            found.append(
                FollowUpState(
                    a.id,
                    responsible="" if responsible.startswith(PSEUDONYM_PREFIX) else responsible,
                    due=follow_up.due if follow_up else "",
                    done=bool(follow_up and follow_up.done_at),
                )
            )
        agreements = tuple(found)
        next_follow_up = c.next_follow_up
    return Summary(
        conversation_id=c.id,
        kind=c.kind,
        state=state_of(c),
        day=day_of(c),
        created_at=c.created_at,
        workplace=c.setup.workplace,
        members=members,
        agreements=agreements,
        next_follow_up=next_follow_up,
    )


def _name(participant: Participant) -> str:
    """The participant's name; "" while it is unknown (someone picked with the people picker is
    named by their id until they first press something)."""
    name = participant.name
    return "" if name in (participant.user_id, participant.aad_object_id) else name


def _next_follow_up(summary: Summary) -> str:
    open_dues = [a.due for a in summary.agreements if a.due and not a.done]
    return min(open_dues, default=summary.next_follow_up)


def person_entries(summary: Summary, version: int) -> dict[str, PersonEntry]:
    """Each participant's entry, by their key."""
    next_follow_up = _next_follow_up(summary)
    private = summary.kind != "GRUS"
    entries = {}
    for member in summary.members:
        others = (
            tuple(Named(m.key, m.name) for m in summary.members if m.key != member.key)
            if private
            else ()
        )
        mine = tuple(
            Due(a.agreement_id, a.due, a.done)
            for a in summary.agreements
            if a.responsible == member.key
        )
        entries[member.key] = PersonEntry(
            conversation_id=summary.conversation_id,
            version=version,
            kind=summary.kind,
            state=summary.state,
            day=summary.day,
            created_at=summary.created_at,
            role=member.role,
            left=member.left,
            people=len(summary.members),
            others=others,
            next_follow_up=next_follow_up,
            mine=mine,
        )
    return entries


def round_entry(summary: Summary, version: int) -> RoundEntry:
    """The conversation in its workplace's index: no names, no ids of people."""
    return RoundEntry(
        conversation_id=summary.conversation_id,
        version=version,
        kind=summary.kind,
        state=summary.state,
        agreements=len(summary.agreements),
        done=sum(a.done for a in summary.agreements),
        open_dues=tuple(sorted(a.due for a in summary.agreements if a.due and not a.done)),
    )


def cleared(current: Conversation | None, written: Summary) -> Conversation | None:
    """``current`` without its ``index_pending`` mark if its summary is still ``written`` (the
    one just written to the index); else ``current`` itself (nothing to change)."""
    if current is None or not current.index_pending or summarize(current) != written:
        return current
    return replace(current, index_pending=False)
