"""Wiring only: settings -> concept, stores -> the Agents SDK adapter -> the bot -> aiohttp routes.

``create_app(settings)`` builds everything and returns the aiohttp application; nothing happens
at import. ``python app.py`` reads the settings from the environment and serves on HOST:PORT
(127.0.0.1:3978 by default) with the bounds on slow and idle clients of ``bot.serving``. Routes:
``POST /api/messages``, ``GET /healthz`` (liveness), ``GET /readyz`` (readiness: storage
answers; ``bot.health``) and, for every store, ``GET /documents/{path}`` (the plan links,
``bot.downloads``) and ``GET /figures/noegletal.csv`` (HR's figures, ``bot.figures``).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from bot import flows
from bot.conversations import Conversations
from bot.deliveries import DELIVERY, Deliveries
from bot.downloads import FIGURES_ROUTE, ROUTE, download_route, figures_route
from bot.edge import sdk_edge
from bot.endpoint import messages_endpoint
from bot.figures import Figures
from bot.flows.context import Context
from bot.handler import SamtaleguideBot
from bot.health import Readiness, liveness
from bot.housekeeping import Housekeeping
from bot.limits import BUDGET, SetupBudget
from bot.messaging import Messaging
from bot.observability import configure_logging
from bot.outbox import Outbox
from bot.plan_delivery import PlanDelivery
from bot.reminders import FollowUpReminders
from bot.scheduler import every
from bot.serving import LIMITS_KEY, ServerLimits, serve
from bot.tasks import Tasks, clock_in
from bot.teams import Teams
from bot.year_index import YearIndex
from dialogs.concept import ConceptError, default_concept_path, load_concept
from settings import Settings, SettingsError
from storage.documents import DocumentStore
from storage.factory import open_conversation_store, open_document_store
from storage.links import secret_from
from storage.protocols import ConversationStore


@dataclass(frozen=True)
class Parts:
    """What ``create_app`` built, for tests and benchmarks to look into."""

    context: Context
    store: ConversationStore
    deliveries: Deliveries
    documents: DocumentStore
    teams: Teams
    tasks: Tasks
    reminders: FollowUpReminders
    housekeeping: Housekeeping
    index: YearIndex


PARTS_KEY = web.AppKey("parts", Parts)
REMINDERS_KEY = web.AppKey("reminders", asyncio.Task)
MAX_BODY = 256 * 1024  # Teams activities are far smaller; anything larger is refused with 413
SHUTDOWN_GRACE = 20.0  # seconds background work may finish on shutdown (hosts allow about 30)

log = logging.getLogger("samtaleguide.app")


def housekeeping_of(
    settings: Settings,
    store: ConversationStore,
    documents: DocumentStore,
    clock: Callable[[], datetime],
) -> Housekeeping:
    """Retention and erasure over the stores, the year's index included (the bot's own job,
    and ``manage.py``), with the delivery records, setup budgets and index it keeps."""
    return Housekeeping(
        store,
        documents,
        Deliveries(store.with_codec(DELIVERY)),
        SetupBudget(store.with_codec(BUDGET)),
        YearIndex(store, clock),
        retention=timedelta(days=settings.retention_days),
        unfinished_retention=timedelta(days=settings.unfinished_retention_days),
    )


def open_stores(
    settings: Settings, *, link_clock: Callable[[], float] = time.time
) -> tuple[ConversationStore, DocumentStore]:
    """The conversation store and the document store, as the settings choose them.

    Plan links are the bot's own for both (``{PUBLIC_BASE_URL}/documents/...``), signed with
    ``DOCUMENT_LINK_SECRET`` when set; else the local store's key is the file
    ``LOCAL_STORAGE_DIR/link-secret`` and Azure's the blob ``link-secret`` in the documents
    container (read on first use). ``SettingsError`` naming the setting when links cannot be
    formed (no ``PUBLIC_BASE_URL`` with Azure storage, a malformed secret).
    """
    base_url = settings.base_url  # SettingsError when Azure storage has no PUBLIC_BASE_URL
    local = settings.storage_kind == "local-files"
    try:  # a set secret is used as it is; else the local store keeps one in a file
        link_secret = (
            secret_from(settings.link_secret or None, settings.local_storage_dir / "link-secret")
            if local or settings.link_secret
            else None
        )
    except ValueError as error:
        raise SettingsError("DOCUMENT_LINK_SECRET", str(error)) from None
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
        base_url=base_url,
        link_secret=link_secret,
        link_clock=link_clock,
    )
    return store, documents


def create_app(
    settings: Settings,
    *,
    link_clock: Callable[[], float] = time.time,
    limits: ServerLimits | None = None,
    utc_now: Callable[[], datetime] | None = None,
) -> web.Application:
    """The application; ``link_clock`` (unix seconds) decides when plan links expire,
    ``limits`` bound slow and idle clients and ``utc_now`` is the current instant the bot's
    clock reads (tests pass their own: a year ago, for last year's round)."""
    concept = load_concept(settings.concept_file or default_concept_path())
    store, documents = open_stores(settings, link_clock=link_clock)
    zone = ZoneInfo(settings.time_zone)
    clock = clock_in(zone, utc_now) if utc_now else clock_in(zone)
    housekeeping = housekeeping_of(settings, store, documents, clock)
    deliveries, setups, index = housekeeping.deliveries, housekeeping.limits, housekeeping.index
    edge = sdk_edge(settings)
    teams = Teams(
        edge.tokens,
        app_id=settings.app_id,
        rate=settings.teams_rate,
    )
    tasks = Tasks()
    conversations = Conversations(
        store, concept, group=settings.group_commit, index=index, tasks=tasks
    )
    messaging = Messaging(teams, deliveries)
    plans = PlanDelivery(
        concept=concept,
        conversations=conversations,
        messaging=messaging,
        documents=documents,
        link_ttl=timedelta(minutes=settings.link_minutes),
        clock=clock,
    )
    outbox = Outbox(
        concept=concept,
        conversations=conversations,
        deliveries=deliveries,
        messaging=messaging,
        tasks=tasks,
        plans=plans,
        clock=clock,
        live_card_interval=settings.live_card_interval,
    )
    context = Context(
        concept=concept,
        conversations=conversations,
        deliveries=deliveries,
        outbox=outbox,
        plans=plans,
        teams=teams,
        clock=clock,
        limits=setups,
        index=index,
        figures=Figures(
            index,
            viewers=settings.hr_viewers,
            threshold=settings.hr_threshold,
            links=documents.links,
            link_ttl=timedelta(minutes=settings.link_minutes),
            clock=clock,
        ),
    )
    bot = SamtaleguideBot(
        context, flows.routes(), flows.commands(), locale_override=settings.locale_override
    )
    reminders = FollowUpReminders(conversations, messaging, clock)
    jobs = [
        lambda: reminders.run_once(clock().date()),
        lambda: housekeeping.purge_expired(clock()),
    ]

    async def say_authentication_is_off(_: web.Application) -> None:
        if not settings.authenticated:
            log.warning(
                "authentication is off: MicrosoftAppId is empty, so every request is accepted "
                "without a token (local use only)",
                extra={
                    "host": settings.host,
                    "allow_unauthenticated": settings.allow_unauthenticated,
                },
            )

    async def start_reminders(app: web.Application) -> None:
        if settings.reminder_interval > 0:
            app[REMINDERS_KEY] = asyncio.create_task(every(settings.reminder_interval, jobs))

    async def close(app: web.Application) -> None:
        task = app.get(REMINDERS_KEY)
        if task is not None:
            task.cancel()
        await tasks.drain(SHUTDOWN_GRACE)
        await teams.close()
        await store.close()
        await documents.close()
        plans.close()

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(
        "/api/messages",
        messages_endpoint(edge.adapter, bot, edge.authenticator, settings.allowed_tenants),
    )
    app.router.add_get("/healthz", liveness(settings.storage_kind, concept.id))
    app.router.add_get("/readyz", Readiness(store).handle)
    app.router.add_get(ROUTE, download_route(documents))
    app.router.add_get(FIGURES_ROUTE, figures_route(documents.links, context.figures.csv))
    app[LIMITS_KEY] = limits or ServerLimits()
    app.on_startup.append(say_authentication_is_off)
    app.on_startup.append(start_reminders)
    app.on_cleanup.append(close)
    app[PARTS_KEY] = Parts(
        context=context,
        store=store,
        deliveries=deliveries,
        documents=documents,
        teams=teams,
        tasks=tasks,
        reminders=reminders,
        housekeeping=housekeeping,
        index=index,
    )
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
    serve(app, settings.host, settings.port)


if __name__ == "__main__":
    main()
