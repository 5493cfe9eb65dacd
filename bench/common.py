"""What the benchmarks share: the machine, percentiles and tables, Azurite, servers in child
processes, a keep-alive HTTP client that times each request, and realistic stored GRUS.

Every server a benchmark starts listens on 127.0.0.1 only and is stopped again, also on errors.
Servers whose latency is measured run in their own process (``Child``), so the load generator
and the server under test do not share an event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import itertools
import json
import math
import multiprocessing
import os
import platform
import pstats
import shutil
import signal
import socket
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

from bot import deliveries
from bot.identity import ChatRef
from dialogs import events as ev
from dialogs.concept import Concept, default_concept_path, load_concept
from dialogs.conversation import Conversation, Person
from dialogs.transitions import apply, new_conversation
from storage.keys import place_of
from storage.protocols import Store
from tests.app.harness import BOT, TENANT, Chat, User, user
from tests.app.harness import press_activity as harness_press
from tests.support.azurite import Azurite, running_azurite

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2099, 1, 2, 9, 0)
_press_ids = itertools.count(1)

# ---------------------------------------------------------------------------- reporting


def machine() -> dict[str, str]:
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "date": date.today().isoformat(),
    }


def percentile(samples: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by linear interpolation; NaN for no samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_ms(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of ``samples`` (seconds), in milliseconds."""
    return {
        "p50": percentile(samples, 50) * 1000,
        "p95": percentile(samples, 95) * 1000,
        "p99": percentile(samples, 99) * 1000,
        "max": (max(samples) if samples else math.nan) * 1000,
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for raw, row in zip(rows, cells, strict=True):
        lines.append(
            "  ".join(
                c.ljust(w) if isinstance(v, str) else c.rjust(w)
                for v, c, w in zip(raw, row, widths, strict=True)
            ).rstrip()
        )
    return "\n".join(lines)


def result_line(name: str, values: dict[str, Any]) -> str:
    parts = []
    for key, value in values.items():
        text = f"{value:.3g}" if isinstance(value, float) else str(value)
        parts.append(f"{key}={text}")
    return f"RESULT {name} " + " ".join(parts)


def header(title: str) -> str:
    m = machine()
    return f"# {title}\n# {m['date']}  nproc={m['nproc']}  cpu={m['cpu']}  python={m['python']}"


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (from ``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------- Azurite


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def azurite_blob() -> Iterator[Azurite]:
    """A fresh azurite-blob from node_modules on 127.0.0.1, its data in a temporary directory."""
    location = Path(tempfile.mkdtemp(prefix="bench-azurite-"))
    try:
        with running_azurite(location) as running:
            yield running
    finally:
        shutil.rmtree(location, ignore_errors=True)


def blob_env(azurite: Azurite, container: str) -> dict[str, str]:
    return {
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # BotServer puts its own address here
        "AZURE_STORAGE_CONTAINER": container,
        "AZURE_STORAGE_DOCUMENTS_CONTAINER": container + "-docs",
    }


# ---------------------------------------------------------------------------- child servers


class Child:
    """A server in its own (spawned) process (its stderr silenced unless the environment sets
        ``BENCH_SERVER_LOGS``): ``"app"`` (``create_app`` on ``options["env"]``),
        ``"echo"`` (a bare Agents SDK bot) or ``"connector"`` (the Bot Connector stand-in, with
        ``options`` as its keyword arguments, and ``slow``: seconds it takes to answer the ops in
    ``slow_ops``, all when None). ``start`` returns its URL; ``stop`` shuts it down
        cleanly and returns what it measured about itself: ``profile`` (cProfile text, with
        ``profile=True``; the raw statistics go to ``profile_path`` when given) and, for the app,
        ``counters`` (store loads, saves, conflicts and Teams calls; for the stand-in,
        ``connector_counts``). The stand-in takes ``rosters``, ``[(conversation_id, members,
        page_size), ...]``, among its options."""

    def __init__(
        self,
        kind: str,
        options: dict[str, Any] | None = None,
        *,
        profile: bool = False,
        profile_path: str | None = None,
    ) -> None:
        self.kind = kind
        self.options = dict(options or {})
        self.profile = profile or bool(profile_path)
        self.profile_path = profile_path
        self.url = ""
        self.pid = 0
        self._process: Any = None
        self._conn: Connection | None = None

    def launch(self) -> Child:
        """Start the process without waiting for it to serve (see ``ready``)."""
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        profiling = (self.profile, self.profile_path)
        self._process = context.Process(
            target=_child_main, args=(self.kind, self.options, profiling, child), daemon=True
        )
        self._process.start()
        child.close()
        self._conn = parent
        return self

    def start(self, timeout: float = 60.0) -> str:
        return self.launch().ready(timeout)

    def ready(self, timeout: float = 60.0) -> str:
        parent = self._conn
        assert parent is not None, "launch() first"
        if not parent.poll(timeout):
            self.stop()
            raise RuntimeError(f"{self.kind} server did not start within {timeout} s")
        try:
            message = parent.recv()
        except EOFError:
            message = ("error", "the process exited before it served")
        if message[0] != "ready":
            self.stop()
            raise RuntimeError(f"{self.kind} server failed to start:\n{message[1]}")
        self.url, self.pid = message[1], message[2]
        return self.url

    def stop(self, timeout: float = 15.0) -> dict[str, Any]:
        report: dict[str, Any] = {}
        if self._conn is not None and self._process is not None and self._process.is_alive():
            with contextlib.suppress(OSError, EOFError):
                self._conn.send("stop")
                if self._conn.poll(timeout):
                    message = self._conn.recv()
                    report = message[1] if message[0] == "stopped" else {}
        if self._process is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        if self._conn is not None:
            self._conn.close()
        self._conn = self._process = None
        return report

    def __enter__(self) -> Child:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _child_main(
    kind: str, options: dict[str, Any], profiling: tuple[bool, str | None], conn: Connection
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us; Ctrl-C reaches it first
    if not os.environ.get("BENCH_SERVER_LOGS"):  # the servers' own logs would drown the tables
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    profile, profile_path = profiling
    profiler = cProfile.Profile() if profile else None
    counters: dict[str, int] = {}
    try:
        if profiler is not None:
            profiler.enable()
        asyncio.run(_serve(kind, options, conn, counters))
    except Exception:
        with contextlib.suppress(OSError):
            conn.send(("error", traceback.format_exc()))
        return
    finally:
        if profiler is not None:
            profiler.disable()
    report: dict[str, Any] = {"counters": counters}
    if profiler is not None:
        if profile_path:
            profiler.dump_stats(profile_path)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        report["profile"] = out.getvalue()
    with contextlib.suppress(OSError):
        conn.send(("stopped", report))


def _count_calls(counters: dict[str, int], name: str, call: Any) -> Any:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        counters[name] = counters.get(name, 0) + 1
        try:
            return await call(*args, **kwargs)
        except Exception as error:
            label = f"{name}.{type(error).__name__}"
            counters[label] = counters.get(label, 0) + 1
            raise

    return counted


async def _serve(
    kind: str,
    options: dict[str, Any],
    conn: Connection,
    counters: dict[str, int],
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_reader(conn.fileno(), stop.set)
    cleanup: Any
    if kind == "app":
        from settings import Settings
        from tests.app.harness import BotServer

        server = await BotServer(Settings.from_env(options["env"]), live_card_interval=None).start()
        if "fanout" in options:
            server.parts.context.outbox.fanout = options["fanout"]
        if "max_batch" in options:  # group commit's batch size, for choosing it
            server.parts.context.conversations.commits.max_batch = options["max_batch"]
        store, teams = server.parts.store, server.parts.teams
        for name in ("load", "save"):
            setattr(store, name, _count_calls(counters, f"store.{name}", getattr(store, name)))
        for name in ("send", "update", "open_personal_chat"):
            setattr(teams, name, _count_calls(counters, f"teams.{name}", getattr(teams, name)))
        url, cleanup = server.url, server.stop
    elif kind == "echo":
        url, cleanup = await _echo_bot()
    elif kind == "connector":
        from tests.support.connector import ConnectorStandIn

        rosters = options.pop("rosters", [])
        slow, slow_ops = options.pop("slow", 0.0), options.pop("slow_ops", None)
        connector = ConnectorStandIn(**options)
        for conversation_id, members, page_size in rosters:
            connector.set_roster(conversation_id, members, page_size)
        connector.slow(slow, slow_ops)

        async def cleanup() -> None:
            counters.update(connector_counts(connector))
            await connector.stop()

        url = await connector.start()
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    conn.send(("ready", url, os.getpid()))
    await stop.wait()
    loop.remove_reader(conn.fileno())
    conn.recv()
    await cleanup()


def connector_counts(connector: Any) -> dict[str, int]:
    """What a stand-in saw, as counts: ``status <op> <status>``, ``429 tenant`` and
    ``429 thread`` (which limit answered), ``tenant <id>`` (requests that counted against the
    tenant's limit), ``one_to_one`` (1:1 chats created) and ``one_to_one_exactly_once`` (those
    that got exactly one message)."""
    counts: dict[str, int] = {}
    for rec in connector.requests:
        name = f"status {rec.op} {rec.status}"
        counts[name] = counts.get(name, 0) + 1
        if rec.status == 429 and not rec.injected:
            which = "429 tenant" if "tenant" in str(rec.response) else "429 thread"
            counts[which] = counts.get(which, 0) + 1
    for tenant, number in connector.tenant_requests.items():
        counts[f"tenant {tenant}"] = number
    personal = [cid for cid, c in connector.conversations.items() if not c["isGroup"]]
    messages: dict[str, int] = {}
    for sent in connector.sent:
        messages[sent.conversation_id] = messages.get(sent.conversation_id, 0) + 1
    counts["one_to_one"] = len(personal)
    counts["one_to_one_exactly_once"] = sum(1 for cid in personal if messages.get(cid) == 1)
    return counts


async def _echo_bot() -> tuple[str, Any]:
    """The bare Agents SDK baseline: an ``ActivityHandler`` under the aiohttp ``CloudAdapter``
    (unauthenticated, as the app runs here) that answers every ``adaptiveCard/action`` invoke with
    a tiny card, the way the SDK's samples do (``CloudAdapter.process`` for the HTTP route)."""
    from aiohttp import web
    from microsoft_agents.activity import InvokeResponse, TurnContextProtocol
    from microsoft_agents.hosting.aiohttp import CloudAdapter
    from microsoft_agents.hosting.core import ActivityHandler, ConnectionManager
    from microsoft_agents.hosting.core.authorization import (
        AgentAuthConfiguration,
        AnonymousTokenProvider,
    )

    class EchoBot(ActivityHandler):
        async def on_invoke_activity(self, turn_context: TurnContextProtocol) -> InvokeResponse:
            verb = (turn_context.activity.value or {}).get("action", {}).get("verb", "")
            card = {
                "type": "AdaptiveCard",
                "version": "1.5",
                "body": [{"type": "TextBlock", "text": f"Echo: {verb}"}],
            }
            body = {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive"}
            return InvokeResponse(status=200, body={**body, "value": card})

    config = AgentAuthConfiguration(anonymous_allowed=True)
    adapter = CloudAdapter(
        connection_manager=ConnectionManager(
            provider_factory=lambda _: AnonymousTokenProvider(),
            connections_configurations={"SERVICE_CONNECTION": config},
        )
    )
    bot = EchoBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot) or web.Response(status=202)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return f"http://127.0.0.1:{port}", runner.cleanup


# ---------------------------------------------------------------------------- HTTP client


def press_activity(
    chat: Chat, sender: User, verb: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A press as ``tests.app.harness.press_activity`` makes it, with an id unique per process."""
    activity = harness_press(chat, sender, verb, data)
    activity["id"] = f"press-{os.getpid()}-{next(_press_ids)}"
    return activity


@dataclass
class Timed:
    status: int
    body: Any
    seconds: float


class Presser:
    """One keep-alive session for all requests; ``post`` times a request client-side, from
    sending the (pre-encoded) body to having read the whole answer."""

    def __init__(self) -> None:
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, force_close=False),
            timeout=aiohttp.ClientTimeout(total=120),
        )

    async def post(self, base_url: str, activity: dict[str, Any]) -> Timed:
        data = json.dumps(activity).encode()
        headers = {"Content-Type": "application/json"}
        started = time.perf_counter()
        async with self.session.post(f"{base_url}/api/messages", data=data, headers=headers) as r:
            raw = await r.read()
        seconds = time.perf_counter() - started
        body = json.loads(raw) if raw else None
        return Timed(r.status, body, seconds)

    async def close(self) -> None:
        await self.session.close()

    async def __aenter__(self) -> Presser:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def card_of_answer(body: Any) -> dict[str, Any] | None:
    return body.get("value") if isinstance(body, dict) else None


# ---------------------------------------------------------------------------- stored GRUS


def concept() -> Concept:
    return load_concept(default_concept_path())


def people(first: int, count: int) -> list[User]:
    """``count`` distinct Teams users numbered from ``first`` (the harness's user shape)."""
    return [user(n, f"Kollega {n}") for n in range(first, first + count)]


def group_chat(name: str, service_url: str) -> Chat:
    return Chat(f"19:{name}@thread.v2", True, service_url)


def chat_ref(chat: Chat) -> ChatRef:
    return ChatRef(
        conversation_id=chat.id,
        service_url=chat.service_url,
        tenant_id=TENANT,
        is_group=chat.group,
        bot_id=BOT["id"],
    )


async def store_grus(store: Store[Conversation], conversation: Conversation, chat: Chat) -> None:
    """Save ``conversation`` as the bot would have set it up in ``chat``: the conversation, and
    the bot's delivery record naming the chat as its home."""
    await store.save(f"conversations/{conversation.id}", conversation, None)
    record = deliveries.Delivery(home=chat_ref(chat))
    await store.with_codec(deliveries.DELIVERY).save(deliveries.key(conversation.id), record, None)


def _person(u: User) -> Person:
    return Person(u.id, u.name, u.aad)


def grus(
    the_concept: Concept,
    conversation_id: str,
    chat: Chat,
    everyone: Sequence[User],
    *,
    prepared: int | None = None,
    live: bool = False,
    notes: int = 0,
    agreements: int = 0,
) -> Conversation:
    """A GRUS led by ``everyone[0]``, built through the pure transitions as the bot would store
    it: set up, ``prepared`` people (default all) chose keywords with private notes, and when
    ``live`` started with some keywords brought into play, ``notes`` notes and ``agreements``
    agreements."""
    leader, members = everyone[0], everyone[1:]

    def run(conversation: Conversation, event: ev.Event) -> Conversation:
        return apply(conversation, event, the_concept, NOW)[0]

    conv = new_conversation(
        conversation_id=conversation_id,
        concept=the_concept,
        kind="GRUS",
        leader=_person(leader),
        place=place_of(chat.id),
        now=NOW,
    )
    conv = run(
        conv,
        ev.SaveSetup(
            leader.id,
            kind="GRUS",
            participants=tuple(_person(m) for m in members),
            starts_at="2099-02-01T09:00",
            variant="skema",
            workplace="Ældreplejen Nord",
            focus_points="Trivsel, overlevering mellem vagter og arbejdsglæde",
        ),
    )
    keywords = the_concept.keywords
    for i, person in enumerate(conv.participants[: prepared if prepared is not None else None]):
        chosen = tuple(keywords[(i * 3 + k * 5) % len(keywords)] for k in range(3))
        private = {"adfaerd": f"{person.name} tænker over sin egen trivsel og sit samarbejde."}
        conv = run(conv, ev.ChooseKeywords(person.user_id, chosen, private))
    if not live:
        return conv
    conv = run(conv, ev.StartLive(leader.id))
    for person in conv.participants[::2]:
        conv = run(conv, ev.MarkKeyword(leader.id, person.user_id, person.keywords[0]))
    perspectives = [p.id for p in the_concept.perspectives]
    for n in range(notes):
        text = f"Note {n}: gruppen drøftede travlheden om morgenen og overleveringen."
        conv = run(conv, ev.AddNote(leader.id, perspectives[n % 3], text))
    for n in range(agreements):
        member = members[n % len(members)]
        fields = ev.AgreementFields(
            perspective_id=perspectives[n % 3],
            what=f"Aftale {n}: fast sparringsmøde hver anden uge om svære forløb",
            when="Inden sommerferien",
            who="Hele gruppen",
            responsible=member.name,
            follow_up="2099-06-01",
        )
        conv = run(conv, ev.AddAgreement(member.id, fields))
    return conv
