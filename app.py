"""Wiring only: settings -> concept, stores -> adapter -> bot -> aiohttp routes.

``create_app(settings)`` builds everything and returns the aiohttp application; nothing happens
at import. ``python app.py`` reads the settings from the environment and serves on HOST:PORT
(127.0.0.1:3978 by default). Routes: ``POST /api/messages`` and ``GET /healthz``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta

from aiohttp import web
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import CallerIdConstants
from botframework.connector.auth import AuthenticationConstants

from bot.boundary import on_turn_error
from bot.endpoint import messages_endpoint
from bot.handler import SamtaleguideBot
from bot.housekeeping import Housekeeping
from bot.observability import configure_logging
from bot.scheduler import every
from bot.sdk_tuning import tune_sdk
from bot.services import Services
from bot.teams import Teams
from dialogs.concept import ConceptError, default_concept_path, load_concept
from settings import Settings, SettingsError
from storage.documents import DocumentStore
from storage.factory import open_conversation_store, open_document_store
from storage.links import ROUTE, LinkSigner, download_route, secret_from
from storage.protocols import ConversationStore

BOT_KEY = web.AppKey("bot", SamtaleguideBot)
REMINDERS_KEY = web.AppKey("reminders", asyncio.Task)
MAX_BODY = 256 * 1024  # Teams activities are far smaller; anything larger is refused with 413
SHUTDOWN_GRACE = 20.0  # seconds background work may finish on shutdown (hosts allow about 30)

log = logging.getLogger("samtaleguide.app")


class _BotConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id
        if settings.openid_metadata_url:  # everything else stays the public cloud's
            constants = AuthenticationConstants
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = constants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
            self.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
                constants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
            )
            self.TO_CHANNEL_FROM_BOT_LOGIN_URL = constants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX + (
                settings.app_tenant_id or "botframework.com"
            )
            self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = constants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
            self.OAUTH_URL = constants.OAUTH_URL
            self.CALLER_ID = CallerIdConstants.public_azure_channel
            self.VALIDATE_AUTHORITY = True


def open_stores(settings: Settings) -> tuple[ConversationStore, DocumentStore, bytes]:
    """The conversation store, the document store, and the local link secret (empty in Azure,
    where links are SAS URLs), as the settings choose them."""
    local = settings.storage_kind == "local-files"
    link_secret = (
        secret_from(settings.link_secret or None, settings.local_storage_dir / "link-secret")
        if local
        else b""
    )
    store = open_conversation_store(
        connection_string=settings.storage_connection_string or None,
        account_url=settings.storage_account_url or None,
        container=settings.state_container,
        local_root=settings.local_storage_dir / "conversations",
    )
    documents = open_document_store(
        connection_string=settings.storage_connection_string or None,
        account_url=settings.storage_account_url or None,
        container=settings.documents_container,
        local_root=settings.local_storage_dir / "documents",
        base_url=settings.base_url,
        link_secret=link_secret,
    )
    return store, documents, link_secret


def create_app(settings: Settings) -> web.Application:
    concept = load_concept(settings.concept_file or default_concept_path())
    store, documents, link_secret = open_stores(settings)
    local = settings.storage_kind == "local-files"
    tune_sdk()
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_BotConfig(settings)))
    adapter.on_turn_error = on_turn_error
    teams = Teams(adapter, settings.app_id, rate=settings.teams_rate)
    services = Services(
        concept=concept,
        store=store,
        teams=teams,
        documents=documents,
        link_ttl=timedelta(minutes=settings.link_minutes),
        app_id=settings.app_id,
    )
    bot = SamtaleguideBot(services)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "storage": settings.storage_kind, "concept": concept.id}
        )

    housekeeping = Housekeeping(
        store,
        documents,
        retention=timedelta(days=settings.retention_days),
        unfinished_retention=timedelta(days=settings.unfinished_retention_days),
    )
    jobs = [
        lambda: bot.reminders.run_once(services.clock().date()),
        lambda: housekeeping.purge_expired(services.clock()),
    ]

    async def start_reminders(app: web.Application) -> None:
        if settings.reminder_interval > 0:
            app[REMINDERS_KEY] = asyncio.create_task(every(settings.reminder_interval, jobs))

    async def close_store(app: web.Application) -> None:
        task = app.get(REMINDERS_KEY)
        if task is not None:
            task.cancel()
        await services.drain(SHUTDOWN_GRACE)
        await store.close()
        await documents.close()

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(
        "/api/messages",
        messages_endpoint(adapter, bot, settings.allowed_tenants, settings.locale_override),
    )
    app.router.add_get("/healthz", healthz)
    if local:
        app.router.add_get(ROUTE, download_route(documents, LinkSigner(link_secret)))
    app.on_startup.append(start_reminders)
    app.on_cleanup.append(close_store)
    app[BOT_KEY] = bot
    return app


def main() -> None:
    try:
        settings = Settings.from_env()
        app = create_app(settings)
    except (SettingsError, ConceptError) as error:
        print(f"samtaleguide: cannot start: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level)
    print(f"Samtaleguide listening on http://{settings.host}:{settings.port}/api/messages")
    web.run_app(app, host=settings.host, port=settings.port, print=None)


if __name__ == "__main__":
    main()
