"""``cards.paging.page``: parts of a list that fit a byte budget, and the way between them."""

from __future__ import annotations

import pytest

from cards.budget import added, size
from cards.common import Element, text
from cards.paging import page


def item(index: int) -> Element:
    """Items of different sizes: every third one is long."""
    return text(f"{index:03d} " + ("lang tekst " * 40 if index % 3 == 0 else "kort"))


BUDGET = 2_000


def walk_forward(count: int, most: int) -> list[list[int]]:
    parts: list[list[int]] = []
    start: int | None = 0
    while start is not None:
        part = page(count, start, item, most=most, budget=BUDGET)
        parts.append([int(i["text"][:3]) for i in part.items])
        assert part.first == start
        start = part.next
    return parts


@pytest.mark.parametrize(("count", "most"), [(1, 5), (7, 5), (50, 5), (50, 20), (200, 20)])
def test_parts_cover_the_list_once_in_order_within_the_budget(count: int, most: int) -> None:
    parts = walk_forward(count, most)
    assert [i for part in parts for i in part] == list(range(count))
    for numbers in parts:
        items = [item(i) for i in numbers]
        assert 1 <= len(items) <= most
        assert len(items) == 1 or added(items) <= BUDGET


def test_the_budget_decides_when_the_items_are_long() -> None:
    sizes = {len(part) for part in walk_forward(200, 20)}
    assert max(sizes) < 20  # 20 would not fit in 2,000 bytes
    assert min(sizes) >= 1


def test_going_back_lands_where_going_forward_started() -> None:
    forward = walk_forward(200, 20)
    starts = [part[0] for part in forward]
    start: int | None = starts[-1]
    back: list[int] = []
    while start is not None:
        part = page(200, start, item, most=20, budget=BUDGET)
        back.insert(0, start)
        start = part.previous
    assert back[0] == 0
    assert back == starts  # the same parts, walked backwards
    # from any start, "Forrige side" then "Næste side" returns to it
    for first in starts[1:]:
        before = page(200, first, item, most=20, budget=BUDGET).previous
        assert before is not None and before < first
        assert page(200, before, item, most=20, budget=BUDGET).next == first


def test_from_a_start_between_parts_going_back_finds_the_part_before() -> None:
    starts = [part[0] for part in walk_forward(200, 20)]
    between = starts[3] + 1
    assert between not in starts
    assert page(200, between, item, most=20, budget=BUDGET).previous == starts[3]


def test_an_item_bigger_than_the_budget_still_gets_its_own_part() -> None:
    part = page(3, 0, lambda i: text("x" * 5_000), most=20, budget=BUDGET)
    assert len(part.items) == 1 and size(part.items[0]) > BUDGET and part.next == 1


@pytest.mark.parametrize("start", [-5, 10**12])
def test_a_start_outside_the_list_is_clamped(start: int) -> None:
    part = page(10, start, item, most=5, budget=BUDGET)
    assert part.first == (0 if start < 0 else 9)


def test_an_empty_list_has_one_empty_part() -> None:
    assert page(0, 3, item, most=5, budget=BUDGET).items == []
