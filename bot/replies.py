"""Building outgoing activities and invoke responses from card dicts."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse

CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def card_message(card: dict[str, Any], text: str | None = None) -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    if text:
        activity.text = text
    return activity


def text_message(text: str) -> Activity:
    return MessageFactory.text(text)


def card_invoke_response(card: dict[str, Any]) -> InvokeResponse:
    """The card that replaces the pressed one.

    The body is the ``AdaptiveCardInvokeResponse`` model, not a dict: CloudAdapter serialises it
    once (returning a dict from ``on_adaptive_card_invoke`` serialises twice and fails with 500).
    """
    body = AdaptiveCardInvokeResponse(status_code=200, type=CARD_TYPE, value=card)
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


def invoke_response_activity(response: InvokeResponse) -> Activity:
    return Activity(type=ActivityTypes.invoke_response, value=response)


def status_response(status: HTTPStatus) -> InvokeResponse:
    return InvokeResponse(status=int(status))
