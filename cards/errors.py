"""Turning a typed refusal into the user's language, and the generic error card."""

from __future__ import annotations

from typing import Any

from cards.budget import CARD_BUDGET, size
from cards.common import Card, card, execute, notice
from cards.texts import Texts
from dialogs.errors import DomainError, InvalidField, InvalidKeywords, NotPermitted, Unprepared


def refusal_message(error: DomainError, texts: Texts) -> str:
    """The Danish (or English) sentence for a refusal, naming the field where there is one (a
    field of the concept's agreements by the concept's label, given with the refusal)."""
    params = dict(error.params)
    if isinstance(error, InvalidField):
        field = str(params.pop("field", ""))
        given = params.pop("label_en", "") if texts.language == "en" else ""
        given = given or params.pop("label", "")
        params.pop("label", None)
        params.pop("label_en", None)
        if given:
            label = str(given)
        else:
            label = texts.get(f"field.{field}") if texts.has(f"field.{field}") else field
        return texts.get(
            f"error.invalid_field.{params.pop('reason', 'type')}", label=label, **params
        )
    if isinstance(error, Unprepared) and not params.get("keywords", True):
        return texts.get("error.unprepared_ready", **params)
    if isinstance(error, InvalidKeywords):
        return texts.get(f"error.invalid_keywords.{params.get('reason', 'count')}", **params)
    if isinstance(error, NotPermitted):
        return texts.get(f"error.not_permitted.{params.get('needs', 'leader')}")
    return texts.get(f"error.{error.code}", **params)


def message_card(message: str, *, error: bool = True) -> Card:
    return card([notice(message, error=error)])


def retry_card(message: str, label: str, verb: str, data: dict[str, Any]) -> Card:
    """A press that could not be answered in time: why, and a button that sends the very same
    press again (``data`` names the first press, so it is never applied twice). Data too big to
    carry (no card of ours sends that much) gets the message alone."""
    answer = card([notice(message)], [execute(label, verb, data, style="positive")])
    return answer if size(answer) <= CARD_BUDGET else message_card(message)
