"""Shortcuts past the SDK's slow paths give exactly what the SDK would have given."""

from __future__ import annotations

from botbuilder.core import serializer_helper
from botbuilder.schema import AdaptiveCardInvokeResponse
from msrest.universal_http.requests import ClientRetryPolicy

from bot.endpoint import _invoke_body
from bot.sdk_tuning import tune_sdk
from cards.help import help_card
from cards.texts import texts_for


def test_tuned_retry_policy_retries_the_same_statuses() -> None:
    safe = set(ClientRetryPolicy.safe_codes)
    before = [code for code in range(999) if code not in safe]
    tune_sdk()
    tune_sdk()  # idempotent
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    assert ClientRetryPolicy().policy.status_forcelist == before


def test_a_card_answer_serialises_as_msrest_would() -> None:
    card = help_card(texts_for("da-DK"))
    body = AdaptiveCardInvokeResponse(
        status_code=200, type="application/vnd.microsoft.card.adaptive", value=card
    )
    assert _invoke_body(body) == serializer_helper(body)
    assert _invoke_body(None) is None
