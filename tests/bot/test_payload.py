"""Strict card payloads: ``toggles_field`` (the preparation card's keywords) and numbers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.payload import BadPayload, NotANumber, int_field, parse_action, toggles_field

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


# --- numbers: the digits 0-9 only -----------------------------------------------------------

OTHER_DIGITS = ["²", "³", "٣", "３", "１５", "٣٠", "²³", "-٣", " ３ ", "3²", "⁹⁰"]


@pytest.mark.parametrize(
    ("value", "number"),
    [("90", 90), (" 90 ", 90), ("-1", -1), ("0", 0), (45, 45), ("", None), (None, None)],
)
def test_numbers_in_digits_0_to_9_are_read(value: Any, number: int | None) -> None:
    assert int_field({"duration": value}, "duration") == number


@pytest.mark.parametrize("value", [*OTHER_DIGITS, "1234567890", "9.5", 9.5, True, [], "x"])
def test_anything_else_in_a_number_field_is_refused_with_its_own_text(value: Any) -> None:
    with pytest.raises(NotANumber) as refused:
        int_field({"duration": value}, "duration")
    assert refused.value.text == "error.not_a_number"
    assert isinstance(refused.value, BadPayload)  # answered like every malformed press


@pytest.mark.parametrize("value", ["²", "٣", "３", "１５", "⁹⁰"])
def test_a_card_value_of_other_digits_only_is_refused_whichever_field(value: str) -> None:
    action = {"type": "Action.Execute", "verb": "setup.save", "data": {"setup.workplace": value}}
    with pytest.raises(NotANumber):
        parse_action({"action": action})


@pytest.mark.parametrize("value", ["20 m²", "H₂O", "Kontor ３", "3. sal", "12", ""])
def test_text_with_other_digits_among_letters_is_still_text(value: str) -> None:
    action = {"type": "Action.Execute", "verb": "note.add", "data": {"note.text": value}}
    assert parse_action({"action": action}).data == {"note.text": value}
