"""The one error boundary, driven through the Agents SDK's own ``TestAdapter``: whatever escapes a
turn, the person gets a calm Danish answer (a card for a press, a text for a message), never the
exception's text (the SDK's default handler would post ``Exception caught : <error>``)."""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes
from microsoft_agents.hosting.core.authorization import ClaimsIdentity
from microsoft_agents.testing import TestAdapter

from bot.boundary import turn_error_handler
from bot.flows.context import Context, Press, Route
from bot.handler import SamtaleguideBot
from cards.common import Card
from storage.errors import StorageError

SECRET = "Mette fortalte om sin sygdom"  # conversation content that must never be echoed


async def _fails(_: Context, __: Press) -> Card:
    raise RuntimeError(SECRET)


async def _store_down(_: Context, __: Press) -> Card:
    raise StorageError(SECRET)


async def _fails_command(_: Context, __: Press, ___: str) -> Card:
    raise RuntimeError(SECRET)


def _bot() -> SamtaleguideBot:
    context: Any = None  # the failing routes use nothing of it
    routes = {"x.fails": Route(_fails), "x.store": Route(_store_down)}
    return SamtaleguideBot(context, routes, {"boom": _fails_command}, locale_override="da-DK")


def _adapter() -> TestAdapter:
    adapter = TestAdapter(channel_id="msteams")
    adapter.on_turn_error = turn_error_handler("da-DK")
    return adapter


def _press(verb: str) -> Activity:
    return Activity(
        type=ActivityTypes.invoke,
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": {}}},
    )


async def _answer(adapter: TestAdapter, activity: Activity) -> Activity:
    await adapter.process_activity(ClaimsIdentity({}), activity, _bot().on_turn)
    (reply,) = adapter.activity_queue
    return reply


async def test_a_failing_press_is_answered_with_a_calm_card() -> None:
    reply = await _answer(_adapter(), _press("x.fails"))
    assert reply.type == ActivityTypes.invoke_response
    body = reply.value["body"]
    assert reply.value["status"] == 200 and body["statusCode"] == 200
    shown = str(body["value"])
    assert "Beklager, noget gik galt hos mig" in shown
    assert SECRET not in shown and "RuntimeError" not in shown


async def test_a_storage_failure_says_nothing_was_lost() -> None:
    reply = await _answer(_adapter(), _press("x.store"))
    assert "Jeg kan ikke gemme lige nu" in str(reply.value["body"]["value"])
    assert SECRET not in str(reply.value)


async def test_a_failing_message_gets_a_text_answer() -> None:
    reply = await _answer(_adapter(), Activity(type=ActivityTypes.message, text="boom"))
    assert reply.type == ActivityTypes.message
    assert reply.text is not None and "Beklager" in reply.text and SECRET not in reply.text
