"""Recovering a lost live card, and the limits on what a press can make the bot send, purely:
copies of the live card (presses from an outdated copy refused), posting it again, and the
waiting times between reminder rounds and between asks to post the card again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialogs import events as ev
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.effects import PostLiveCard, SendReminders, UpdateStatusCard
from dialogs.errors import NotPermitted, StaleCopy, TooSoon, WrongPhase
from dialogs.transitions import REMIND_INTERVAL, SHOW_INTERVAL, apply
from tests.dialogs.test_transitions import (
    LEADER,
    MEMBERS,
    NOW,
    in_live,
    in_preparation,
    run,
)

NOTE = {"perspective_id": "adfaerd", "text": "En note"}


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


def test_starting_posts_the_first_copy(concept: Concept) -> None:
    live = in_live(concept)
    assert live.live.copy == 1 and live.live.shown_at == ""


@pytest.mark.parametrize(
    ("copy", "accepted"),
    [(None, True), (1, True), (2, False), (0, False)],
    ids=["no copy (a card from before copies)", "the current copy", "a newer one", "an older one"],
)
def test_a_press_names_its_copy_and_only_the_current_one_is_accepted(
    concept: Concept, copy: int | None, accepted: bool
) -> None:
    live = in_live(concept)
    event = ev.AddNote(MEMBERS[0].user_id, **NOTE, copy=copy)
    if accepted:
        assert apply(live, event, concept, NOW)[0].notes[-1].text == "En note"
    else:
        with pytest.raises(StaleCopy):
            apply(live, event, concept, NOW)


@pytest.mark.parametrize(
    "event",
    [
        ev.StartLive(LEADER.user_id),
        ev.ShowLiveCard(LEADER.user_id),
        ev.ShowLiveCard("samtaleguide", by_bot=True),
    ],
    ids=["start again", "show again", "the bot itself"],
)
def test_posting_again_makes_a_new_copy_and_outdates_the_old(
    concept: Concept, event: ev.Event
) -> None:
    live = in_live(concept)
    again, effects = apply(live, event, concept, NOW)
    assert again.live.copy == 2 and effects == (PostLiveCard(), UpdateStatusCard())
    with pytest.raises(StaleCopy):
        apply(again, ev.AddNote(MEMBERS[0].user_id, **NOTE, copy=1), concept, NOW)


def test_a_person_may_ask_again_only_after_the_interval(concept: Concept) -> None:
    live = run(in_live(concept), ev.ShowLiveCard(LEADER.user_id), concept)
    soon = NOW + SHOW_INTERVAL - timedelta(seconds=1)
    with pytest.raises(TooSoon) as refused:
        apply(live, ev.StartLive(LEADER.user_id), concept, soon)
    assert refused.value.params == {"seconds": 1, "minutes": 1}
    later, _ = apply(live, ev.StartLive(LEADER.user_id), concept, NOW + SHOW_INTERVAL)
    assert later.live.copy == 3
    # The bot's own copies neither wait nor make anyone wait.
    by_bot, _ = apply(live, ev.ShowLiveCard("samtaleguide", by_bot=True), concept, soon)
    assert by_bot.live.copy == 3 and by_bot.live.shown_at == live.live.shown_at


@pytest.mark.parametrize(
    ("event", "refusal"),
    [
        (ev.ShowLiveCard(MEMBERS[0].user_id), NotPermitted),
        (ev.StartLive(MEMBERS[0].user_id), NotPermitted),
    ],
    ids=["show again by a participant", "start again by a participant"],
)
def test_only_a_leader_posts_the_card_again(
    concept: Concept, event: ev.Event, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        apply(in_live(concept), event, concept, NOW)


def test_showing_the_card_again_needs_a_live_conversation(concept: Concept) -> None:
    with pytest.raises(WrongPhase):
        apply(in_preparation(concept), ev.ShowLiveCard(LEADER.user_id), concept, NOW)


def test_one_reminder_round_per_interval(concept: Concept) -> None:
    conv = in_preparation(concept)
    reminded, effects = apply(conv, ev.RemindUnprepared(LEADER.user_id), concept, NOW)
    assert effects == (SendReminders(tuple(p.user_id for p in conv.participants)),)
    soon = NOW + REMIND_INTERVAL - timedelta(seconds=61)
    with pytest.raises(TooSoon) as refused:
        apply(reminded, ev.RemindUnprepared(LEADER.user_id), concept, soon)
    assert refused.value.params["minutes"] == 2
    again, effects = apply(
        reminded, ev.RemindUnprepared(LEADER.user_id), concept, NOW + REMIND_INTERVAL
    )
    assert effects and again.reminded_at == (NOW + REMIND_INTERVAL).isoformat()
