"""``POST /api/messages``: authenticate, then hand the activity to the bot.

Order of checks, each answered without touching state: JSON content type (415), the body within
its size (413) and time (408, ``bot.serving``), a JSON object that is an activity with ids of a
sane length (400, ``bot.identity.oversized_ids``), the Bot Framework token (401 for anything that does not validate:
missing, forged, expired, wrong audience, issuer or service URL), the tenant (403: the activity
names two different tenants, or one not on the allow-list). Then the turn runs through the Agents
SDK's adapter; an invoke's answer is its JSON body. Nothing a client sends gets a 5xx: errors
inside a turn are answered by ``bot.boundary``; anything else is a 400.

Every wait is bounded. A card press (an invoke) is answered within ``PRESS_BUDGET`` seconds of
its arrival, authentication included, plus ``COMMIT_GRACE`` once its change is being saved
(``storage.deadline``): Teams gives up on an invoke after a few seconds, so we answer first,
with what is true then (nothing stored; stored; or unknown) and a "Prøv igen" button that sends
the same press again under the first press's id, so it is never applied twice. Any other
activity has ``TURN_BUDGET`` seconds.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.aiohttp import CloudAdapter
from pydantic import ValidationError

from bot.auth import Authenticator, Unauthorized
from bot.handler import SamtaleguideBot, request_id_of
from bot.identity import oversized_ids, tenant_ids
from bot.observability import new_correlation
from bot.payload import BadPayload, parse_action
from bot.replies import card_invoke_response
from bot.serving import SlowBody, read_body
from bot.teams import TokenUnavailable
from cards import verbs
from cards.common import Card
from cards.errors import message_card, retry_card
from cards.texts import Texts, texts_for
from storage.deadline import Deadline, State, within

log = logging.getLogger("samtaleguide.endpoint")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PRESS_BUDGET = 3.5  # seconds from a press's arrival until it is answered, if nothing is saving
COMMIT_GRACE = 1.0  # seconds more once its change is being saved (so at most 4.5 s in all)
TURN_BUDGET = 20.0  # seconds for any other activity (a message, a roster change)
LOGGED_NAME = 64  # characters of a client-chosen name kept in the log
LATE = {
    State.OPEN: ("error.too_late", "error.retry"),
    State.WRITING: ("error.too_late_unknown", "error.retry"),
    State.WRITTEN: ("error.too_late_saved", "error.show_card"),
}


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def late_card(activity: Activity, texts: Texts, state: State) -> Card:
    """The answer to a press that ran out of time: what is true, and the same press again."""
    message, label = LATE[state]
    try:
        action = parse_action(activity.value)
    except BadPayload:
        return message_card(texts.get(message))
    first = request_id_of(activity, action.data)
    data = {**action.data, verbs.DATA_RETRY_OF: first}
    return retry_card(texts.get(message), texts.get(label), action.verb, data)


def messages_endpoint(
    adapter: CloudAdapter,
    bot: SamtaleguideBot,
    authenticator: Authenticator,
    allowed_tenants: frozenset[str],
) -> Handler:
    async def messages(request: web.Request) -> web.StreamResponse:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _refuse(415, "expected application/json")
        try:
            body = json.loads(await read_body(request))
            if not isinstance(body, dict) or not isinstance(body.get("type"), str):
                return _refuse(400, "body is not an activity")
            activity = Activity.model_validate(body)
        except web.HTTPException:  # 413: over the body size limit
            raise
        except SlowBody:
            log.warning("request body too slow: refused")
            refused = _refuse(408, "request body too slow")
            refused.force_close()
            return refused
        except (ValueError, ValidationError, RecursionError):
            return _refuse(400, "malformed activity")
        if not activity.conversation or not activity.conversation.id:
            return _refuse(400, "activity without a conversation")
        if (too_long := oversized_ids(activity)) is not None:
            log.warning("activity refused: %s too long", too_long)
            return _refuse(400, "activity with an overlong id")
        new_correlation(activity.id)
        started = time.perf_counter()
        invoke = activity.type == "invoke"
        deadline: Deadline | None = None
        try:
            async with within(PRESS_BUDGET if invoke else TURN_BUDGET, grace=COMMIT_GRACE) as d:
                deadline = d
                return await handle(request, activity, started)
        except TimeoutError:
            state = deadline.state if deadline is not None else State.OPEN
            log.warning(
                "activity ran out of time",
                extra={"activity_type": _logged(activity.type), "state": state.value},
            )
            if not invoke:
                return web.Response(status=202)
            texts = texts_for(bot.locale_override or activity.locale)
            card = card_invoke_response(late_card(activity, texts, state))
            return web.json_response(card.body, status=200)

    async def handle(
        request: web.Request, activity: Activity, started: float
    ) -> web.StreamResponse:
        try:
            claims = await authenticator.claims(request.headers.get("Authorization"), activity)
        except Unauthorized as refused:
            log.warning("unauthenticated request refused: %s", refused)
            return _refuse(401, "unauthorized")
        tenants = tenant_ids(activity)
        if len(tenants) > 1:
            log.warning("request naming two tenants refused")
            return _refuse(403, "tenant fields disagree")
        if allowed_tenants and not (tenants and tenants <= allowed_tenants):
            log.warning("request from a tenant that is not allowed refused")
            return _refuse(403, "tenant not allowed")
        try:
            response = await adapter.process_activity(claims, activity, bot.on_turn)
        except TokenUnavailable as error:
            # The SDK gets the bot's own tokens before every turn: without Entra ID, nothing
            # can be answered through Teams. A press still gets its answer in the response.
            log.error("no Bot Connector token: %s", error)
            if activity.type == "invoke":
                texts = texts_for(bot.locale_override or activity.locale)
                card = card_invoke_response(message_card(texts.get("error.generic")))
                return web.json_response(card.body, status=200)
            return _refuse(503, "the bot cannot reach Teams right now")
        except Exception as error:
            log.warning("activity refused: %s", type(error).__name__)
            return _refuse(400, "malformed activity")
        status = response.status if response else 202
        log.info(
            "activity handled",
            extra={
                "activity_type": _logged(activity.type),
                "invoke": _logged(activity.name) if activity.type == "invoke" else None,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        if response is not None:
            return web.json_response(data=response.body, status=status)
        return web.Response(status=202)

    return messages


def _logged(value: str | None) -> str | None:
    """A client-chosen name (activity type, invoke name) as the log keeps it: cut short, so a
    huge one cannot fill the log."""
    return value[:LOGGED_NAME] if value else value
