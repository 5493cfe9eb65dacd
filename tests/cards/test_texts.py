"""Every text the bot can ask for exists in both languages, with the same placeholders.

Keys are looked up two ways: as literals (``texts.get("prep.saved")``) and assembled from a
domain value (``error.{code}``, ``field.{name}``, ``live.change.{change}``, ...). The literals are
found by reading the source; the assembled ones by enumerating every value the domain can
produce (refusal codes, reasons, field names, changes, kinds, variants).
"""

from __future__ import annotations

import ast
import inspect
import string
from pathlib import Path

import pytest

from cards.figures import CSV_COLUMNS
from cards.pages import REASONS
from cards.texts import LANGUAGES
from dialogs import errors, transitions
from dialogs.concept import KIND_CODES
from dialogs.conversation import VARIANTS
from dialogs.summary import STATES
from dialogs.text import LIMITS

REPO = Path(__file__).resolve().parents[2]
SOURCES = [p for folder in ("bot", "cards") for p in (REPO / folder).rglob("*.py")]
DOMAIN = [p for p in (REPO / "dialogs").rglob("*.py")] + SOURCES


def _calls_with_literal_first_arg(method: str) -> set[str]:
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == method
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and "." in node.args[0].value
            ):
                found.add(node.args[0].value)
    return found


def _keyword_literals(name: str) -> set[str]:
    """Every string literal passed as ``name=...`` in the domain and the bot (refusal params)."""
    found = set()
    for path in DOMAIN:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    value = keyword.value
                    if (
                        keyword.arg == name
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        found.add(value.value)
    return found


def literal_keys() -> set[str]:
    return {key for key in _calls_with_literal_first_arg("get") if key.split(".")[0] in PREFIXES}


PREFIXES = {key.split(".")[0] for key in LANGUAGES["da"]}


def assembled_keys() -> set[str]:
    codes = {
        cls.code
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.DomainError)
    }
    codes |= {"not_found", "audience_unknown"}  # ConversationNotFound, AudienceUnknown (bot)
    reasons = _keyword_literals("reason")
    fields = _keyword_literals("field") | set(LIMITS)
    return (
        {
            f"error.{code}"
            for code in codes - {"refused", "not_permitted", "invalid_field", "invalid_keywords"}
        }
        | {f"error.invalid_field.{reason}" for reason in reasons - {"count", "unknown"}}
        | {"error.invalid_field.count"}
        | {f"error.invalid_keywords.{reason}" for reason in ("count", "unknown")}
        | {f"error.not_permitted.{needs}" for needs in _keyword_literals("needs")}
        | {f"field.{name}" for name in fields}
        | {f"live.change.{change}" for change in transitions.LIVE_CHANGES.values()}
        | {f"kind.{kind}" for kind in KIND_CODES}
        | {f"variant.{variant}" for variant in VARIANTS}
        | {f"help.step{n}" for n in range(1, 5)}
        | {f"state.{state}" for state in STATES}
        | {f"figures.csv.{column}" for column in ("year", "workplace", "kind", *CSV_COLUMNS)}
        | {f"download.figures.{reason}.body" for reason in REASONS if reason != "gone"}
        | {f"download.figures.step{n}" for n in range(1, 4)}
    )


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_both_languages_have_the_same_keys() -> None:
    assert set(LANGUAGES["da"]) == set(LANGUAGES["en"])


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_key_the_code_asks_for_exists(language: str) -> None:
    wanted = literal_keys() | assembled_keys()
    assert len(wanted) > 150, "the source scan found too few keys: it is broken"
    missing = sorted(key for key in wanted if key not in LANGUAGES[language])
    assert missing == [], missing


def test_placeholders_match_between_languages() -> None:
    differing = [
        key
        for key, danish in LANGUAGES["da"].items()
        if placeholders(danish) != placeholders(LANGUAGES["en"][key])
    ]
    assert differing == []


def test_the_enumeration_reaches_every_family() -> None:
    """A forgotten text is caught only if its family is enumerated: each one is."""
    keys = assembled_keys()
    for family in ("error.", "error.invalid_field.", "field.", "live.change.", "kind.", "variant."):
        assert any(k.startswith(family) and k.count(".") == family.count(".") for k in keys)
    assert {"error.stale_card", "error.invalid_field.too_long", "live.change.moved"} <= keys
