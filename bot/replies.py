"""Building outgoing activities and invoke answers from card dicts."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from microsoft_agents.activity import Activity, InvokeResponse
from microsoft_agents.hosting.core import CardFactory, MessageFactory

CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def card_message(card: dict[str, Any], text: str | None = None) -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    if text:
        activity.text = text
    return activity


def text_message(text: str) -> Activity:
    return MessageFactory.text(text)


def card_invoke_response(card: dict[str, Any]) -> InvokeResponse:
    """The answer to an ``adaptiveCard/action`` invoke: the card that replaces the pressed one
    (the body is plain JSON, serialised once by the adapter)."""
    body = {"statusCode": int(HTTPStatus.OK), "type": CARD_TYPE, "value": card}
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)


def status_response(status: HTTPStatus) -> InvokeResponse:
    return InvokeResponse(status=int(status))
