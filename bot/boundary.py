"""The one error boundary: ``on_turn_error``.

Anything that escapes a turn is logged by type and activity id only (never conversation content)
and the user gets a calm Danish (or English) answer: an error card for a card press (HTTP 200,
never a 5xx), a text message otherwise. The boundary itself never raises.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import ActivityTypes

from bot.replies import card_invoke_response, invoke_response_activity
from cards.errors import message_card
from cards.texts import texts_for
from storage.errors import ConflictError, StorageError

log = logging.getLogger("samtaleguide.turn")


def _message_key(error: Exception) -> str:
    if isinstance(error, ConflictError):
        return "error.busy"
    if isinstance(error, StorageError):
        return "error.storage"
    return "error.generic"


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    activity = context.activity
    log.error(
        "turn failed",
        exc_info=(type(error), error, error.__traceback__),
        extra={
            "activity_id": activity.id,
            "activity_type": activity.type,
            "error": type(error).__name__,
        },
    )
    message = texts_for(activity.locale).get(_message_key(error))
    try:
        if activity.type == ActivityTypes.invoke:
            response = card_invoke_response(message_card(message))
            await context.send_activity(invoke_response_activity(response))
        elif activity.type == ActivityTypes.message:
            await context.send_activity(message)
    except Exception as reply_error:  # the boundary must never raise
        log.error("could not tell the user about a failed turn: %s", type(reply_error).__name__)
