""" "Mine aftaler" a part at a time: "Næste side" starts after the part, also when some of its
agreements were left out (an index entry that no longer holds)."""

from __future__ import annotations

from datetime import date

from cards import verbs
from cards.my_agreements import PART, AgreementLine, my_agreements_card
from cards.texts import Texts

DA = Texts("da")


def lines(n: int) -> list[AgreementLine]:
    return [
        AgreementLine(f"c{i}", f"a{i}", "MUS", "2026-03-10", f"Aftale {i}", "2026-06-01", False)
        for i in range(n)
    ]


def next_from(card: dict) -> int | None:
    for action in card.get("actions", []):
        if action["title"] == DA.get("agreements.next"):
            return int(action["data"][verbs.DATA_FROM])
    return None


def test_the_next_part_starts_after_the_last_shown() -> None:
    card = my_agreements_card(lines(PART), DA, today=date(2026, 5, 1), start=0, count=30)
    assert next_from(card) == PART


def test_left_out_agreements_of_a_part_are_not_shown_again_on_the_next() -> None:
    shown = lines(PART - 2)  # two of the part's agreements no longer hold
    card = my_agreements_card(shown, DA, today=date(2026, 5, 1), start=0, count=30, end=PART)
    assert next_from(card) == PART
