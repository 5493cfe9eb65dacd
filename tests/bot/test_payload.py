"""``toggles_field``: a group of ``Input.Toggle`` read strictly (the preparation card's keywords)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.payload import BadPayload, toggles_field

PREFIX = "keyword."


def test_the_names_switched_on_in_the_order_sent() -> None:
    data = {
        "conversation": "c-1",
        "keyword.Mod": "true",
        "keyword.Ansvar": "false",
        "keyword.Mål og retning": True,
        "keyword.Helhed": False,
        "note_adfaerd": "true",
    }
    assert toggles_field(data, PREFIX) == ("Mod", "Mål og retning")
    assert toggles_field({"conversation": "c-1"}, PREFIX) == ()


@pytest.mark.parametrize(
    "data",
    [
        {"keyword.Mod": "ja"},
        {"keyword.Mod": ""},
        {"keyword.Mod": None},
        {"keyword.Mod": 1},
        {"keyword.Mod": ["true"]},
        {"keyword.Mod": "TRUE"},
        {"keyword.": "false"},
        {"keyword. Mod": "true"},
        {"keyword." + "x" * 129: "true"},
        {f"keyword.{n}": "false" for n in range(61)},
    ],
    ids=[
        "ja",
        "empty",
        "null",
        "number",
        "list",
        "upper case",
        "no name",
        "padded name",
        "long name",
        "too many",
    ],
)
def test_anything_but_a_toggle_is_refused(data: dict[str, Any]) -> None:
    with pytest.raises(BadPayload):
        toggles_field(data, PREFIX, limit=60)


def test_the_limit_counts_toggles_not_other_inputs() -> None:
    data = {f"keyword.{n}": "false" for n in range(60)} | {f"x{n}": "1" for n in range(50)}
    assert toggles_field(data, PREFIX, limit=60) == ()
