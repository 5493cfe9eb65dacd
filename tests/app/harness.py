"""Driving the real app over HTTP: a served ``create_app`` plus Teams-shaped activities.

``BotServer`` serves ``create_app(settings)`` on an ephemeral loopback port; ``Teams`` builds the
activities Teams would post (messages, installs, ``adaptiveCard/action`` invokes) with
``serviceUrl`` pointed at the Bot Connector stand-in, and posts them.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from app import PARTS_KEY, Parts, create_app
from bot.serving import LIMITS_KEY, ServerLimits, runner_options
from settings import Settings

TENANT = "tenant-1"
BOT = {"id": "28:samtaleguide-bot", "name": "Samtaleguide"}
_ids = itertools.count(1)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    aad: str

    def member(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad, "tenantId": TENANT}


def user(n: int, name: str | None = None) -> User:
    return User(f"29:user-{n}", name or f"Kollega {n}", f"00000000-0000-4000-8000-{n:012d}")


class BotServer:
    """``live_card_interval``: tests edit live cards a twentieth of a second apart (no test here
    is about the spacing; tests/bot/test_live_updates.py is), so a settle does not wait it out;
    benchmarks pass None to keep the setting's own value.

    Links to plans point at this server (``PUBLIC_BASE_URL`` is replaced by its address, so
    Azure settings need some value to pass ``Settings.from_env``); ``link_clock`` decides when
    they expire. It is served as ``python app.py`` serves (``bot.serving.runner_options``), with
    the production bounds on slow and idle clients unless ``limits`` says otherwise; ``utc_now``
    sets the bot's clock (e.g. to last year, for last year's round)."""

    def __init__(
        self,
        settings: Settings,
        *,
        live_card_interval: float | None = 0.05,
        link_clock: Callable[[], float] = time.time,
        limits: ServerLimits | None = None,
        utc_now: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.live_card_interval = live_card_interval
        self.link_clock = link_clock
        self.limits = limits
        self.utc_now = utc_now
        self.app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> BotServer:
        with socket.socket() as probe:  # a free port, known before the app is built
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        # Live-card edits a twentieth of a second apart: no test here is about the spacing
        # (tests/bot/test_live_updates.py is), and every settle would otherwise wait it out.
        self.settings = replace(
            self.settings,
            host="127.0.0.1",
            port=port,
            public_base_url=f"http://127.0.0.1:{port}",
            live_card_interval=0.05,
        )
        self.app = create_app(
            self.settings, link_clock=self.link_clock, limits=self.limits, utc_now=self.utc_now
        )
        self._runner = web.AppRunner(self.app, **runner_options(self.app[LIMITS_KEY]))
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        """Stop serving (its background work finished first); a second stop does nothing."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def parts(self) -> Parts:
        assert self.app is not None
        return self.app[PARTS_KEY]

    async def settle(self) -> None:
        """Wait until the follow-up work of earlier turns (fan-out, posts) has finished."""
        await self.parts.tasks.drain()


@dataclass
class Chat:
    """One Teams chat as seen by the bot: a group chat or a user's 1:1 chat."""

    id: str
    group: bool
    service_url: str
    locale: str = "da-DK"
    extra: dict[str, Any] = field(default_factory=dict)

    def activity(self, sender: User, **fields: Any) -> dict[str, Any]:
        return {
            "id": f"act-{next(_ids)}",
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": {"id": sender.id, "name": sender.name, "aadObjectId": sender.aad},
            "recipient": BOT,
            "conversation": {
                "id": self.id,
                "isGroup": self.group,
                "conversationType": "groupChat" if self.group else "personal",
                "tenantId": TENANT,
            },
            "channelData": {"tenant": {"id": TENANT}},
            "locale": self.locale,
            **fields,
        }


class Client:
    def __init__(self, server: BotServer) -> None:
        self.server = server

    async def post(
        self, body: Any, *, raw: bytes | None = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as session:
            data = raw if raw is not None else None
            kwargs: dict[str, Any] = {"data": data, "headers": {"Content-Type": content_type}}
            if raw is None:
                kwargs = {"json": body}
            async with session.post(f"{self.server.url}/api/messages", **kwargs) as response:
                text = await response.text()
                try:
                    payload = await response.json(content_type=None) if text else None
                except ValueError:
                    payload = text
                return response.status, payload

    async def say(self, chat: Chat, sender: User, text: str, **fields: Any) -> int:
        status, _ = await self.post(chat.activity(sender, type="message", text=text, **fields))
        return status

    async def press(
        self,
        chat: Chat,
        sender: User,
        verb: str,
        data: dict[str, Any] | None = None,
        *,
        activity_id: str | None = None,
    ) -> tuple[int, dict[str, Any] | None]:
        """An ``Action.Execute`` press; returns the HTTP status and the card that replaces it."""
        activity = press_activity(chat, sender, verb, data)
        if activity_id:
            activity["id"] = activity_id
        status, body = await self.post(activity)
        card = body.get("value") if isinstance(body, dict) else None
        return status, card


def press_activity(
    chat: Chat, sender: User, verb: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``adaptiveCard/action`` invoke Teams posts for an ``Action.Execute`` press."""
    return chat.activity(
        sender,
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": verb, "data": data or {}},
            "trigger": "manual",
        },
    )


def card_of(activity: dict[str, Any]) -> dict[str, Any] | None:
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            return attachment["content"]  # type: ignore[no-any-return]
    return None


def card_text(card: dict[str, Any] | None) -> str:
    """Every string on a card, joined: for asserting what a person would read."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            out.append(node)

    walk(card)
    return "\n".join(out)


def nodes(card: Any, kind: str | None = None) -> list[dict[str, Any]]:
    """Every element and action of ``card`` (of type ``kind``, when given), nested ones
    included, in the order they appear."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if kind is None or node.get("type") == kind:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def verbs_on(card: dict[str, Any] | None) -> list[str]:
    return [node["verb"] for node in nodes(card, "Action.Execute")]
