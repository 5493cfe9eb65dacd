"""Turning a typed refusal into the user's language, and the generic error card."""

from __future__ import annotations

from cards.common import Card, card, notice
from cards.texts import Texts
from dialogs.errors import DomainError, InvalidField, InvalidKeywords, NotPermitted


def refusal_message(error: DomainError, texts: Texts) -> str:
    """The Danish (or English) sentence for a refusal, naming the field where there is one."""
    params = dict(error.params)
    if isinstance(error, InvalidField):
        field = str(params.get("field", ""))
        label = texts.get(f"field.{field}") if texts.has(f"field.{field}") else field
        return texts.get(
            f"error.invalid_field.{params.get('reason', 'type')}", label=label, **params
        )
    if isinstance(error, InvalidKeywords):
        return texts.get(f"error.invalid_keywords.{params.get('reason', 'count')}", **params)
    if isinstance(error, NotPermitted):
        return texts.get(f"error.not_permitted.{params.get('needs', 'leader')}")
    return texts.get(f"error.{error.code}", **params)


def message_card(message: str, *, error: bool = True) -> Card:
    return card([notice(message, error=error)])
