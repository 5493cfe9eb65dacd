"""Pure transitions: ``apply(conversation, event, concept, now) -> (conversation, effects)``.

No I/O. Every event is validated against the stored roles and phase; a refusal raises a
``DomainError`` subclass and changes nothing. An accepted event bumps ``version``; an event whose
``request_id`` was already applied returns the conversation unchanged and no effects, so a
redelivered press is harmless.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from dialogs import events as ev
from dialogs.access import facilitator as _facilitator
from dialogs.access import leader as _leader
from dialogs.access import member as _member
from dialogs.agenda import agenda
from dialogs.agreements import ATTRIBUTES
from dialogs.concept import (
    KEYWORD_COUNT,
    MEMBER,
    RESPONSIBLE,
    AgreementField,
    Concept,
)
from dialogs.conversation import (
    VARIANTS,
    Agreement,
    Approval,
    Comment,
    Conversation,
    ExtraQuestion,
    FollowUp,
    LiveState,
    Note,
    Participant,
    Person,
    Role,
    Setup,
    covered_key,
)
from dialogs.effects import (
    ConversationFinished,
    Effect,
    PlanApproved,
    PostKeywordSummary,
    PostLiveCard,
    RefreshPrompts,
    SendComment,
    SendPrompts,
    SendReminders,
    UpdateLiveCard,
    UpdateStatusCard,
)
from dialogs.errors import (
    AlreadyDone,
    ConversationClosed,
    DomainError,
    InvalidField,
    InvalidKeywords,
    NoGoals,
    NotPermitted,
    NotPrivate,
    StaleCard,
    StaleCopy,
    StalePlan,
    TooSoon,
    UnknownItem,
    Unprepared,
    WrongPhase,
)
from dialogs.text import clean, clean_name

Result = tuple[Conversation, tuple[Effect, ...]]

MAX_PARTICIPANTS = 60  # Teams refreshes a card automatically for chats of up to 60 people
PRIVATE_KINDS = ("MUS", "LUS")  # held only where nobody but the two of them can read along
MAX_NAMED = 5  # people named in a refusal; the rest are counted
MAX_EXTRA_QUESTIONS = 10
MAX_NOTES = 300
MAX_AGREEMENTS = 200
PROCESSED_MEMORY = 500
REMIND_INTERVAL = timedelta(minutes=5)  # one reminder round per conversation at most this often
SHOW_INTERVAL = timedelta(seconds=15)  # a person asks to post the live card again this often
PLAN_KINDS = ("MUS", "LUS")  # end in a plan: without agreements the leader confirms "no goals"
MAX_COMMENTS = 10  # comments per person on one version of the plan
GROUP_SIZE = {"MUS": (1, 1), "LUS": (1, 1), "GRUS": (2, MAX_PARTICIPANTS - 1)}


def new_conversation(
    *,
    conversation_id: str,
    concept: Concept,
    kind: str,
    leader: Person,
    place: str,
    now: datetime,
) -> Conversation:
    """A conversation in setup, led by whoever created it."""
    kind_info = _kind(concept, kind)
    return Conversation(
        id=conversation_id,
        concept_id=concept.id,
        created_at=now.isoformat(),
        place=place,
        setup=Setup(kind=kind_info.code, duration_minutes=kind_info.default_minutes),
        participants=(
            Participant(
                user_id=leader.user_id,
                name=clean_name(leader.name) or leader.user_id,
                role="leader",
                aad_object_id=leader.aad_object_id,
            ),
        ),
    )


def apply(conversation: Conversation, event: ev.Event, concept: Concept, now: datetime) -> Result:
    if event.request_id and event.request_id in conversation.processed:
        return conversation, ()
    if conversation.phase == "closed" and not isinstance(event, ev.AFTER_CLOSE_EVENTS):
        raise ConversationClosed("the conversation is closed")
    if event.copy is not None and event.copy != conversation.live.copy:
        raise StaleCopy("pressed on an older copy of the live card")
    handler = _HANDLERS.get(type(event))
    if handler is None:
        raise TypeError(f"no transition for {type(event).__name__}")
    updated, effects = handler(conversation, event, concept, now)
    if updated is conversation and not effects:
        return conversation, ()  # nothing changed: nothing to save
    change = LIVE_CHANGES.get(type(event))
    if change:
        live = replace(
            updated.live, last_change=change, last_actor=event.actor, last_at=now.isoformat()
        )
        updated = replace(updated, live=live)
    processed = conversation.processed
    if event.request_id:
        processed = (*processed, event.request_id)[-PROCESSED_MEMORY:]
    return replace(updated, version=conversation.version + 1, processed=processed), effects


# --- guards -------------------------------------------------------------------------------


def _phase(conversation: Conversation, *phases: str) -> None:
    if conversation.phase not in phases:
        raise WrongPhase(f"not possible in {conversation.phase}", phase=conversation.phase)


def _kind(concept: Concept, kind: str) -> Any:
    try:
        return concept.kind(kind)
    except KeyError:
        raise InvalidField("unknown kind", field="kind", reason="choice") from None


def _perspective(concept: Concept, perspective_id: str, kind: str | None = None) -> str:
    """A perspective of the concept (of ``kind``'s, when given)."""
    known = concept.perspectives_for(kind) if kind else concept.perspectives
    if not any(p.id == perspective_id for p in known):
        raise InvalidField("unknown perspective", field="perspective", reason="choice")
    return perspective_id


# --- setup and preparation ----------------------------------------------------------------


def _save_setup(c: Conversation, e: ev.SaveSetup, concept: Concept, now: datetime) -> Result:
    _phase(c, "setup", "preparation")
    leader = _leader(c, e.actor)
    kind = _kind(concept, e.kind)
    if e.variant not in VARIANTS:
        raise InvalidField("unknown variant", field="variant", reason="choice")
    minutes = kind.default_minutes if e.duration_minutes is None else e.duration_minutes
    if not isinstance(minutes, int) or not 15 <= minutes <= 480:
        raise InvalidField("duration out of range", field="duration", reason="range")
    starts_at = _starts_at(e.starts_at, now)
    question_ids = {q.id for q in concept.questions_for(kind.code)}
    wording = {}
    for qid, text in e.wording.items():
        if not (cleaned := clean(text, "wording")):
            continue  # an empty field keeps the concept's wording (any question's)
        if qid not in question_ids:
            raise InvalidField("unknown question", field="wording", reason="choice")
        wording[qid] = cleaned
    if len(e.extra_questions) > MAX_EXTRA_QUESTIONS:
        raise InvalidField("too many", field="extra_question", reason="count", limit=10)
    extras = tuple(
        ExtraQuestion(f"x{i + 1}", _perspective(concept, pid, kind.code), text)
        for i, (pid, raw) in enumerate(e.extra_questions)
        if (text := clean(raw, "extra_question", multiline=True))
    )
    others = _others(c, e, kind.code, leader)
    setup = Setup(
        kind=kind.code,
        variant=e.variant,
        walk_and_talk=bool(e.walk_and_talk),
        starts_at=starts_at,
        duration_minutes=minutes,
        workplace=clean(e.workplace, "workplace"),
        wording=wording,
        extra_questions=extras,
        focus_points=clean(e.focus_points, "focus_points", multiline=True),
    )
    before = {p.user_id for p in c.participants}
    previous = c.previous if c.phase == "preparation" else e.previous
    people = (leader, *others)
    onlookers = _onlookers(kind.code, people, e.audience)
    updated = replace(
        c,
        setup=setup,
        participants=people,
        phase="preparation",
        previous=previous,
        onlookers=onlookers,
    )
    if c.phase == "setup":
        return updated, (SendPrompts(tuple(p.user_id for p in updated.participants)),)
    # New people get their first prompt; the cards already delivered are refreshed in place.
    new = tuple(p.user_id for p in updated.participants if p.user_id not in before)
    kept = tuple(p.user_id for p in updated.participants if p.user_id in before)
    return updated, (SendPrompts(new), RefreshPrompts(kept), UpdateStatusCard())


def _outsiders(
    participants: tuple[Participant, ...], audience: tuple[Person, ...] | None
) -> list[Person]:
    """The people who can read the chat but do not take part (none in a 1:1 chat)."""
    if audience is None:
        return []
    return [a for a in audience if not any(p.is_person(a) for p in participants)]


def _onlookers(
    kind: str, participants: tuple[Participant, ...], audience: tuple[Person, ...] | None
) -> tuple[str, ...]:
    """The ids of the chat's people who do not take part; a MUS or LUS must have none
    (``NotPrivate``, naming them)."""
    outsiders = _outsiders(participants, audience)
    if outsiders and kind in PRIVATE_KINDS:
        names = ", ".join(clean_name(o.name) or "?" for o in outsiders[:MAX_NAMED])
        more = len(outsiders) - MAX_NAMED
        raise NotPrivate(
            "others can read along", names=names + (f" (+{more})" if more > 0 else ""), kind=kind
        )
    return tuple(sorted(o.user_id for o in outsiders))


def _present(
    c: Conversation, audience: tuple[Person, ...] | None
) -> tuple[tuple[Participant, ...], tuple[str, ...]]:
    """Participants marked by whether they are still in the chat, and the chat's onlookers."""
    if audience is None:
        return c.participants, c.onlookers
    people = tuple(
        replace(p, left=not any(p.is_person(a) for a in audience)) for p in c.participants
    )
    return people, _onlookers(c.kind, people, audience)


def _starts_at(value: str | None, now: datetime) -> str | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidField("bad date", field="starts_at", reason="format") from None
    if moment.date() < now.date():
        raise InvalidField("in the past", field="starts_at", reason="past")
    return moment.replace(tzinfo=None).isoformat(timespec="minutes")


def _others(
    c: Conversation, e: ev.SaveSetup, kind: str, leader: Participant
) -> tuple[Participant, ...]:
    people: dict[str, Person] = {}
    for person in e.participants:
        if person.user_id and person.user_id != leader.user_id:
            people.setdefault(person.user_id, person)
    low, high = GROUP_SIZE[kind]
    if not low <= len(people) <= high:
        raise InvalidField("participant count", field="participants", reason="count", kind=kind)
    if e.co_facilitator and e.co_facilitator not in people:
        raise InvalidField("unknown co-facilitator", field="co_facilitator", reason="choice")
    result = []
    for uid, person in people.items():
        role: Role = "co_facilitator" if uid == e.co_facilitator else "participant"
        name = clean_name(person.name) or uid
        existing = c.participant(uid)
        if existing is not None:
            result.append(replace(existing, role=role, name=name))
        else:
            result.append(Participant(uid, name, role, aad_object_id=person.aad_object_id))
    return tuple(result)


def _update_participant(c: Conversation, user_id: str, **changes: Any) -> Conversation:
    if c.participant(user_id) is None:
        raise UnknownItem("no such participant", item="participant")
    return replace(
        c,
        participants=tuple(
            replace(p, **changes) if p.user_id == user_id else p for p in c.participants
        ),
    )


def _choose_keywords(
    c: Conversation, e: ev.ChooseKeywords, concept: Concept, now: datetime
) -> Result:
    _phase(c, "preparation")
    person = _member(c, e.actor)
    chosen = tuple(e.keywords)
    known = set(concept.keywords)
    if concept.uses_keywords and (
        len(chosen) != KEYWORD_COUNT or len(set(chosen)) != KEYWORD_COUNT
    ):
        raise InvalidKeywords("exactly three", reason="count", count=len(set(chosen)))
    # Without keywords in the concept, the press says "I am prepared" (with private notes).
    if unknown := [k for k in chosen if k not in known]:
        raise InvalidKeywords("unknown keyword", reason="unknown", keyword=unknown[0])
    notes = {}
    for pid, text in e.notes.items():
        _perspective(concept, pid, c.kind)  # a note goes under a perspective this kind has
        if cleaned := clean(text, "prep_note", multiline=True):
            notes[pid] = cleaned
    ordered = tuple(k for k in concept.keywords if k in chosen)
    changed_keywords = ordered != person.keywords
    name = person.name
    if name == person.user_id and e.name:  # invited by id only (people picker): learn the name
        name = clean_name(e.name) or name
    updated = _update_participant(
        c, e.actor, keywords=ordered, prep_notes=notes, prepared_at=now.isoformat(), name=name
    )
    effects: tuple[Effect, ...] = () if person.prepared else (UpdateStatusCard(),)
    if (
        concept.uses_keywords
        and updated.everyone_prepared
        and (changed_keywords or c.keywords_shared_at is None)
    ):
        updated = replace(updated, keywords_shared_at=now.isoformat())
        effects = (*effects, PostKeywordSummary())
    return updated, effects


def _share_keywords(c: Conversation, e: ev.ShareKeywords, _: Concept, now: datetime) -> Result:
    _phase(c, "preparation", "live")
    _facilitator(c, e.actor)
    return replace(c, keywords_shared_at=now.isoformat()), (PostKeywordSummary(),)


def _remind(c: Conversation, e: ev.RemindUnprepared, _: Concept, now: datetime) -> Result:
    _phase(c, "preparation")
    _facilitator(c, e.actor)
    pending = tuple(p.user_id for p in c.participants if not p.prepared)
    if not pending:
        return c, (SendReminders(()),)
    _not_again_before(c.reminded_at, REMIND_INTERVAL, now)
    return replace(c, reminded_at=now.isoformat()), (SendReminders(pending),)


def _not_again_before(last: str, interval: timedelta, now: datetime) -> None:
    """Refuse (``TooSoon``, with the wait) while ``interval`` has not passed since ``last``."""
    if not last:
        return
    wait = datetime.fromisoformat(last) + interval - now
    if wait > timedelta(0):
        seconds = math.ceil(wait.total_seconds())
        raise TooSoon("done again too soon", seconds=seconds, minutes=-(-seconds // 60))


# --- live --------------------------------------------------------------------------------


def _start(c: Conversation, e: ev.StartLive, concept: Concept, now: datetime) -> Result:
    """Start the live conversation; once live, show its card again (a new copy)."""
    _phase(c, "preparation", "live")
    _facilitator(c, e.actor)
    participants, onlookers = _present(c, e.audience)
    if c.phase == "live":
        present = replace(c, participants=participants, onlookers=onlookers)
        return _new_copy(present, now, limited=True)
    unprepared = sum(1 for p in participants if not p.prepared and not p.left)
    if unprepared and not e.force:
        raise Unprepared("some have not prepared", count=unprepared, keywords=concept.uses_keywords)
    everyone = tuple(p.user_id for p in c.participants)
    started = replace(
        c,
        phase="live",
        live=LiveState(started_at=now.isoformat(), copy=1),
        participants=participants,
        onlookers=onlookers,
    )
    return started, (PostLiveCard(), RefreshPrompts(everyone), UpdateStatusCard())


def _show_live_card(c: Conversation, e: ev.ShowLiveCard, _: Concept, now: datetime) -> Result:
    """A new copy of the live card, asked for by a leader (as ``StartLive`` does once live), or
    by the bot itself after a post it does not know arrived."""
    _phase(c, "live")
    if not e.by_bot:
        _facilitator(c, e.actor)
    return _new_copy(c, now, limited=not e.by_bot)


def _new_copy(c: Conversation, now: datetime, *, limited: bool) -> Result:
    """Post the live card again as a new copy (the earlier ones outdated). People may ask for
    it at most every ``SHOW_INTERVAL`` (the first time at once: the start's post may have
    failed); the bot's own copies do not count."""
    live = replace(c.live, copy=c.live.copy + 1)
    if limited:
        _not_again_before(c.live.shown_at, SHOW_INTERVAL, now)
        live = replace(live, shown_at=now.isoformat())
    return replace(c, live=live), (PostLiveCard(), UpdateStatusCard())


def _members_changed(c: Conversation, e: ev.ChatMembersChanged, _: Concept, __: datetime) -> Result:
    """Who is in the chat changed: those who left may no longer read or act; a newcomer who does
    not take part is an onlooker (a MUS or LUS checks again before it starts and finishes)."""
    removed = set(e.removed)
    participants = tuple(
        replace(p, left=True)
        if p.user_id in removed
        else replace(p, left=False)
        if any(p.is_person(a) for a in e.added)
        else p
        for p in c.participants
    )
    newcomers = {o.user_id for o in _outsiders(participants, e.added)}
    onlookers = tuple(sorted((set(c.onlookers) | newcomers) - removed))
    if participants == c.participants and onlookers == c.onlookers:
        return c, ()
    changed = replace(c, participants=participants, onlookers=onlookers)
    return changed, ((UpdateLiveCard(),) if c.phase == "live" else (UpdateStatusCard(),))


def _move(c: Conversation, e: ev.Move, concept: Concept, _: datetime) -> Result:
    _phase(c, "live")
    _facilitator(c, e.actor)
    if e.jump and c.setup.variant != "puslespil":
        raise NotPermitted("the skema is worked in order", needs="puslespil")
    if e.expected is not None and e.expected != c.live.position:
        raise StaleCard("the card was outdated", position=c.live.position)
    if not 0 <= e.to < len(agenda(c, concept)):
        raise InvalidField("no such question", field="question", reason="range")
    return replace(c, live=replace(c.live, position=e.to)), (UpdateLiveCard(),)


def _mark_keyword(c: Conversation, e: ev.MarkKeyword, _: Concept, __: datetime) -> Result:
    _phase(c, "live")
    _member(c, e.actor)
    owners = [
        p for p in c.participants if e.keyword in p.keywords and e.owner_id in ("", p.user_id)
    ]
    if not owners:
        raise UnknownItem("no such chosen keyword", item="keyword")
    keys = {covered_key(p.user_id, e.keyword) for p in owners}
    covered = tuple(k for k in c.live.covered if k not in keys)
    if e.covered:
        covered += tuple(sorted(keys))
    return replace(c, live=replace(c.live, covered=covered)), (UpdateLiveCard(),)


def _add_note(c: Conversation, e: ev.AddNote, concept: Concept, now: datetime) -> Result:
    _phase(c, "live")
    _member(c, e.actor)
    if len(c.notes) >= MAX_NOTES:
        raise InvalidField("too many notes", field="note", reason="count", limit=MAX_NOTES)
    note = Note(
        id=f"n{c.version}",
        perspective_id=_perspective(concept, e.perspective_id, c.kind),
        text=clean(e.text, "note", required=True, multiline=True),
        author_id=e.actor,
        created_at=now.isoformat(),
    )
    return replace(c, notes=(*c.notes, note)), (UpdateLiveCard(),)


def _responsible(c: Conversation, value: str) -> dict[str, str]:
    """A participant's id (from the card's picker) or a free-text name."""
    person = c.participant(value) if value else None
    if person is not None:
        return {"responsible": person.name, "responsible_id": person.user_id}
    return {"responsible": clean(value, "responsible"), "responsible_id": ""}


def _participant_id(c: Conversation, value: str, spec: AgreementField) -> str:
    """A participant picked on the card ("" for none); a GRUS member's own goal cannot be the
    leader's."""
    if not value:
        return ""
    person = c.participant(value.strip())
    if person is None or (spec.id == MEMBER and person.role == "leader"):
        raise InvalidField("not a participant", field=spec.id, reason="choice")
    return person.user_id


def _field_value(c: Conversation, spec: AgreementField, given: str, now: datetime) -> str:
    if spec.input == "date":
        return _future_date(given, spec.id, now)
    if spec.input == "participant":
        return _participant_id(c, given, spec)
    return clean(given, spec.id, multiline=spec.multiline, limit=spec.max_length)


def _agreement_values(
    c: Conversation, f: ev.AgreementFields, concept: Concept, now: datetime
) -> dict[str, Any]:
    """The agreement's values, field by field as the concept declares them for the kind (other
    fields the card sent are dropped). A refusal names the field by the concept's label."""
    given = f.values()
    values: dict[str, Any] = {
        "perspective_id": _perspective(concept, f.perspective_id, c.kind),
        "responsible": "",
        "responsible_id": "",
        **{attribute: "" for attribute in ATTRIBUTES.values()},
    }
    details: dict[str, str] = {}
    for spec in concept.agreement_fields_for(c.kind):
        raw = given.get(spec.id, "")
        try:
            if spec.id == RESPONSIBLE:
                values.update(_responsible(c, raw))
                value = values["responsible"]
            else:
                value = _field_value(c, spec, raw, now)
            if spec.required and not value:
                raise InvalidField(f"{spec.id} is required", field=spec.id, reason="required")
        except DomainError as refusal:
            refusal.params.update(label=spec.title("da"), label_en=spec.title("en"))
            raise
        if spec.id in ATTRIBUTES:
            values[ATTRIBUTES[spec.id]] = value
        elif spec.id != RESPONSIBLE and value:
            details[spec.id] = value
    return {**values, "details": details}


def _add_agreement(c: Conversation, e: ev.AddAgreement, concept: Concept, now: datetime) -> Result:
    _phase(c, "live")
    _member(c, e.actor)
    if len(c.agreements) >= MAX_AGREEMENTS:
        raise InvalidField("too many", field="agreement", reason="count", limit=MAX_AGREEMENTS)
    stamp = now.isoformat()
    agreement = Agreement(
        id=f"a{c.version}",
        author_id=e.actor,
        created_at=stamp,
        updated_at=stamp,
        **_agreement_values(c, e.fields, concept, now),
    )
    return replace(c, agreements=(*c.agreements, agreement)), (UpdateLiveCard(),)


def _find_agreement(c: Conversation, agreement_id: str) -> Agreement:
    found = next((a for a in c.agreements if a.id == agreement_id), None)
    if found is None:
        raise UnknownItem("no such agreement", item="agreement")
    return found


def _edit_agreement(
    c: Conversation, e: ev.EditAgreement, concept: Concept, now: datetime
) -> Result:
    _phase(c, "live")
    _member(c, e.actor)
    old = _find_agreement(c, e.agreement_id)
    new = replace(old, updated_at=now.isoformat(), **_agreement_values(c, e.fields, concept, now))
    agreements = tuple(new if a.id == old.id else a for a in c.agreements)
    return replace(c, agreements=agreements), (UpdateLiveCard(),)


def _remove_agreement(c: Conversation, e: ev.RemoveAgreement, _: Concept, __: datetime) -> Result:
    _phase(c, "live")
    _member(c, e.actor)
    old = _find_agreement(c, e.agreement_id)
    agreements = tuple(a for a in c.agreements if a.id != old.id)
    return replace(c, agreements=agreements), (UpdateLiveCard(),)


def _future_date(value: str, field: str, now: datetime) -> str:
    text = clean(value, field, limit=40)
    if not text:
        return ""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidField("bad date", field=field, reason="format") from None
    if day < now.date():
        raise InvalidField("in the past", field=field, reason="past")
    return day.isoformat()


def _finish(c: Conversation, e: ev.Finish, _: Concept, now: datetime) -> Result:
    _phase(c, "live")
    _facilitator(c, e.actor)
    participants, onlookers = _present(c, e.audience)
    confidentiality = clean(e.confidentiality, "confidentiality", multiline=True)
    next_follow_up = _future_date(e.next_follow_up, "next_follow_up", now)
    no_goals = c.kind in PLAN_KINDS and not c.agreements
    if no_goals and not e.no_goals:
        raise NoGoals("a MUS or LUS ends in a plan", kind=c.kind)
    closed = replace(
        c,
        participants=participants,
        onlookers=onlookers,
        phase="closed",
        live=replace(c.live, finished_at=now.isoformat()),
        confidentiality=confidentiality,
        next_follow_up=next_follow_up,
        follow_ups=tuple(FollowUp(a.id, a.follow_up) for a in c.agreements if a.follow_up),
        no_goals=no_goals,
    )
    return closed, (UpdateLiveCard(), ConversationFinished())


def _follow_up(c: Conversation, agreement_id: str) -> FollowUp:
    _phase(c, "closed")
    found = next((f for f in c.follow_ups if f.agreement_id == agreement_id), None)
    if found is None:
        raise UnknownItem("no such follow-up", item="follow_up")
    return found


def _with_follow_up(c: Conversation, new: FollowUp) -> Conversation:
    follow_ups = tuple(new if f.agreement_id == new.agreement_id else f for f in c.follow_ups)
    return replace(c, follow_ups=follow_ups)


def _claim_reminder(c: Conversation, e: ev.ClaimReminder, _: Concept, __: datetime) -> Result:
    found = _follow_up(c, e.agreement_id)
    if found.done_at or found.reminded_on >= e.day or found.due > e.day:
        raise AlreadyDone("nothing to remind")
    return _with_follow_up(c, replace(found, reminded_on=e.day)), ()


def _complete_follow_up(
    c: Conversation, e: ev.CompleteFollowUp, _: Concept, now: datetime
) -> Result:
    _member(c, e.actor)
    found = _follow_up(c, e.agreement_id)
    if found.done_at:
        return c, ()
    return _with_follow_up(c, replace(found, done_at=now.isoformat())), ()


def _move_follow_up(c: Conversation, e: ev.MoveFollowUp, _: Concept, now: datetime) -> Result:
    _member(c, e.actor)
    found = _follow_up(c, e.agreement_id)
    due = _future_date(e.due, "follow_up", now)
    if not due:
        raise InvalidField("a date is needed", field="follow_up", reason="required")
    return _with_follow_up(c, replace(found, due=due, reminded_on="", done_at="")), ()


# --- the plan's approval ---------------------------------------------------------------------


def _plan_written(c: Conversation, e: ev.PlanWritten, _: Concept, now: datetime) -> Result:
    """The bot stored a new version: from now on that version is the one to approve (the
    approvals of earlier versions are kept with them)."""
    _phase(c, "closed")
    if e.version <= c.plan_version:
        return c, ()
    return replace(c, plan_version=e.version, plan_written_at=now.isoformat()), ()


def _newest_version(c: Conversation, version: int) -> None:
    _phase(c, "closed")
    if not c.plan_version:
        raise WrongPhase("no plan yet", phase=c.phase)
    if version != c.plan_version:
        raise StalePlan("an older version", version=c.plan_version)


def _approve(c: Conversation, e: ev.ApprovePlan, _: Concept, now: datetime) -> Result:
    _member(c, e.actor)
    _newest_version(c, e.version)
    if any(a.user_id == e.actor for a in c.approvals_of(e.version)):
        return c, ()
    approved = replace(c, approvals=(*c.approvals, Approval(e.actor, e.version, now.isoformat())))
    return approved, (PlanApproved(e.version, e.actor, everyone=approved.plan_approved),)


def _comment(c: Conversation, e: ev.CommentOnPlan, _: Concept, now: datetime) -> Result:
    _member(c, e.actor)
    _newest_version(c, e.version)
    text = clean(e.text, "comment", required=True, multiline=True)
    mine = [x for x in c.comments if x.user_id == e.actor and x.version == e.version]
    if len(mine) >= MAX_COMMENTS:
        raise InvalidField("too many", field="comment", reason="count", limit=MAX_COMMENTS)
    comment = Comment(e.actor, e.version, text, now.isoformat())
    return replace(c, comments=(*c.comments, comment)), (SendComment(e.actor, e.version, text),)


def _claim_approval_reminder(
    c: Conversation, e: ev.ClaimApprovalReminder, _: Concept, __: datetime
) -> Result:
    """At most once per version, a week after it was written, while someone has neither
    approved nor commented."""
    _phase(c, "closed")
    if e.version != c.plan_version or not c.approval_reminder_due(date.fromisoformat(e.day)):
        raise AlreadyDone("nothing to remind")
    return replace(c, approval_reminded=e.version), ()


LIVE_CHANGES: dict[type, str] = {
    ev.Move: "moved",
    ev.MarkKeyword: "keyword_marked",
    ev.AddNote: "note_added",
    ev.AddAgreement: "agreement_added",
    ev.EditAgreement: "agreement_edited",
    ev.RemoveAgreement: "agreement_removed",
    ev.Finish: "finished",
}

_HANDLERS: dict[type, Callable[[Conversation, Any, Concept, datetime], Result]] = {
    ev.SaveSetup: _save_setup,
    ev.ChooseKeywords: _choose_keywords,
    ev.ShareKeywords: _share_keywords,
    ev.RemindUnprepared: _remind,
    ev.StartLive: _start,
    ev.ShowLiveCard: _show_live_card,
    ev.Move: _move,
    ev.MarkKeyword: _mark_keyword,
    ev.AddNote: _add_note,
    ev.AddAgreement: _add_agreement,
    ev.EditAgreement: _edit_agreement,
    ev.RemoveAgreement: _remove_agreement,
    ev.Finish: _finish,
    ev.ChatMembersChanged: _members_changed,
    ev.ClaimReminder: _claim_reminder,
    ev.CompleteFollowUp: _complete_follow_up,
    ev.MoveFollowUp: _move_follow_up,
    ev.PlanWritten: _plan_written,
    ev.ApprovePlan: _approve,
    ev.CommentOnPlan: _comment,
    ev.ClaimApprovalReminder: _claim_approval_reminder,
}
