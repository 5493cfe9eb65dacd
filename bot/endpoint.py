"""``POST /api/messages``: authenticate, then hand the activity to the bot.

Order of checks, each answered without touching state: JSON content type (415), the body within
its size (413) and time (408, ``bot.serving``), a JSON object that is an activity with ids of a
sane length (400, ``bot.identity.oversized_ids``), the Bot Framework token (401 for anything that does not validate:
missing, forged, expired, wrong audience, issuer or service URL), the tenant (403: the activity
names two different tenants, or one not on the allow-list). Then the turn runs through the Agents
SDK's adapter; an invoke's answer is its JSON body. Nothing a client sends gets a 5xx: errors
inside a turn are answered by ``bot.boundary``; anything else is a 400.
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
from bot.handler import SamtaleguideBot
from bot.identity import oversized_ids, tenant_ids
from bot.observability import new_correlation
from bot.replies import card_invoke_response
from bot.serving import SlowBody, read_body
from bot.teams import TokenUnavailable
from cards.errors import message_card
from cards.texts import texts_for

log = logging.getLogger("samtaleguide.endpoint")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


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
                "activity_type": activity.type,
                "invoke": activity.name if activity.type == "invoke" else None,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        if response is not None:
            return web.json_response(data=response.body, status=status)
        return web.Response(status=202)

    return messages
