"""The one error boundary: ``on_turn_error``.

Anything that escapes a turn is logged by type and activity id only (never conversation content)
and the user gets a calm Danish (or English) answer: an error card for a card press (HTTP 200,
never a 5xx), a text message otherwise. The boundary itself never raises. (The Agents SDK's own
default would send the exception's text to the chat.)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.hosting.core import TurnContext

from bot.replies import card_invoke_response
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


def turn_error_handler(
    locale_override: str = "",
) -> Callable[[TurnContext, Exception], Awaitable[None]]:
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
        message = texts_for(locale_override or activity.locale).get(_message_key(error))
        try:
            if activity.type == ActivityTypes.invoke:
                response = card_invoke_response(message_card(message))
                value = response.model_dump(by_alias=True, exclude_none=True)
                await context.send_activity(
                    Activity(type=ActivityTypes.invoke_response, value=value)
                )
            elif activity.type == ActivityTypes.message:
                await context.send_activity(message)
        except Exception as reply_error:  # the boundary must never raise
            log.error("could not tell the user about a failed turn: %s", type(reply_error).__name__)

    return on_turn_error
