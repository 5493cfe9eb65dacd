"""The bot's delivery record keeps the "plan is ready" cards (to edit them as people approve);
a record stored before it did is read through its migration."""

from __future__ import annotations

import json

from bot.deliveries import (
    DELIVERY,
    MAX_PLAN_CARDS,
    Delivery,
    Message,
    with_plan_card,
    without_people,
)
from bot.identity import ChatRef

GROUP = ChatRef("19:group@thread.v2", "https://smba.example/", is_group=True)
PERSONAL = ChatRef("a:personal", "https://smba.example/")


def test_a_version_1_record_is_read_without_plan_cards() -> None:
    current = Delivery(home=GROUP, status=(Message(GROUP, "1"),))
    raw = json.loads(DELIVERY.dumps(current))
    assert raw["schema_version"] == 2
    del raw["plan_cards"]
    raw["schema_version"] = 1
    migrated = DELIVERY.loads(json.dumps(raw))
    assert migrated == current and migrated.plan_cards == ()
    assert json.loads(DELIVERY.dumps(migrated))["schema_version"] == 2


def test_the_newest_plan_cards_are_kept_and_a_person_erased_takes_theirs() -> None:
    record = Delivery(home=GROUP, personal={"u-1": PERSONAL})
    for n in range(MAX_PLAN_CARDS + 2):
        record = with_plan_card(Message(GROUP, f"g{n}"))(record)
    record = with_plan_card(Message(PERSONAL, "p"))(record)
    assert with_plan_card(Message(PERSONAL, "p"))(record) is record  # once
    assert [m.activity_id for m in record.plan_cards] == ["g3", "g4", "g5", "g6", "p"]
    erased = without_people(frozenset({"u-1"}))(record)
    assert [m.activity_id for m in erased.plan_cards] == ["g3", "g4", "g5", "g6"]
