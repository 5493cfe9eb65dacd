"""With an app id set, only activities with a valid token get through, and replies carry ours.

The bot runs as it does in production, ``python app.py`` in a subprocess, so the Agents SDK is
not patched anywhere: its ``JwtTokenValidator`` fetches signing keys from the hard-coded
login.botframework.com / login.microsoftonline.com URLs and MSAL asks Entra ID (or the App
Service managed-identity endpoint) for outgoing tokens. ``LoginStandIn`` answers all of that
behind a TLS-intercepting proxy (``login.subprocess_env()``) and signs the tokens we send with
its published key, or with a forger's key that is not published. Replies reach the Bot Connector
stand-in (``ConnectorStandIn``, in this process) directly on loopback, since the SDK's and our
aiohttp sessions ignore proxy variables; ``NO_PROXY`` keeps 127.0.0.1 off the proxy in any case.

One bot process per configuration (module-scoped), each with its own login and connector
stand-ins:

* ``multi``: MultiTenant with a client secret. MSAL's authority is then the ``botframework.com``
  tenant, so that stand-in serves the tenant ``botframework.com`` (the SDK gets an outgoing token
  before every turn, so no activity would get through without one).
* ``single``: SingleTenant in the stand-in's tenant (a GUID), client secret.
* ``msi``: UserAssignedMSI (the App Service managed-identity endpoint).
* ``wrong_secret``: SingleTenant with a client secret Entra ID does not know.

Every refusal is also checked in the bot's log (JSON lines on stderr, correlated by activity id),
so each case is refused for the reason it is meant to test, not by accident. After the module,
each bot must have stopped cleanly on SIGTERM (exit 0), logged JSON lines only, with no traceback
and no secret, and asked the login stand-in only for what it serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
import pytest_asyncio

from tests.app.harness import TENANT, Chat, press_activity, user
from tests.support.connector import ConnectorStandIn
from tests.support.login_standin import (
    BOT_FRAMEWORK_HOST,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    ENTRA_AUTHORITY,
    ENTRA_HOST,
    LoginStandIn,
    bot_framework_claims,
    entra_claims,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPO = Path(__file__).resolve().parents[2]
APP_ID = DEFAULT_CLIENT_ID
SECRET = DEFAULT_CLIENT_SECRET
WRONG_SECRET = "wrong-secret-Zq8vT3xK"
BOT_FRAMEWORK = "https://api.botframework.com"
MULTI_TENANT_AUTHORITY = "botframework.com"  # MSAL's tenant for a MultiTenant bot
OTHER_TENANT_GUID = "0d9e8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
CLOCK_SKEW = 60  # bot.auth.CLOCK_SKEW; the SDK alone allows 300 s
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 25.0  # app.SHUTDOWN_GRACE is 20 s
LEADER = user(1, "Lene Leder")
MEMBERS = [user(n, f"Medlem {n}") for n in range(2, 5)]

# Settings the bot reads; the developer's own values must not leak into the subprocess.
SETTINGS_NAMES = frozenset(
    {
        "ALLOWED_TENANTS",
        "ALLOW_UNAUTHENTICATED",
        "AZURE_STORAGE_ACCOUNT_URL",
        "AZURE_STORAGE_CONNECTION_STRING",
        "AZURE_STORAGE_CONTAINER",
        "AZURE_STORAGE_DOCUMENTS_CONTAINER",
        "BOT_OPENID_METADATA_URL",
        "CONCEPT_FILE",
        "DOCUMENT_LINK_SECRET",
        "HOST",
        "LOCALE_OVERRIDE",
        "LOCAL_STORAGE_DIR",
        "LOG_LEVEL",
        "MicrosoftAppId",
        "MicrosoftAppPassword",
        "MicrosoftAppTenantId",
        "MicrosoftAppType",
        "PLAN_LINK_MINUTES",
        "PORT",
        "PUBLIC_BASE_URL",
        "REMINDER_INTERVAL_SECONDS",
        "RETENTION_DAYS",
        "TEAMS_REQUESTS_PER_SECOND",
        "UNFINISHED_RETENTION_DAYS",
    }
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """``python app.py`` with the given environment; stdout and stderr go to files."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.env = {**env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.url = f"http://127.0.0.1:{self.port}"
        self.stdout_path = workdir / "bot.stdout"
        self.stderr_path = workdir / "bot.stderr"
        self.proc: asyncio.subprocess.Process | None = None
        self.returncode: int | None = None

    async def start(self) -> BotProcess:
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "app.py",
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while True:
                if self.proc.returncode is not None:
                    pytest.fail(f"the bot exited ({self.proc.returncode}):\n{self.stderr()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return self
                if time.monotonic() > deadline:
                    await self.stop()
                    pytest.fail(f"the bot did not answer /healthz:\n{self.stderr()}")
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """SIGTERM, then wait (the event loop keeps running, so the connector stand-in can
        answer the bot's last requests while it finishes its background work)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=STOP_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            pytest.fail(f"the bot did not stop within {STOP_TIMEOUT} s of SIGTERM")
        self.returncode = proc.returncode

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", "replace")

    def stdout(self) -> str:
        return self.stdout_path.read_text("utf-8", "replace")

    def log(self) -> list[dict[str, Any]]:
        """The JSON log lines so far (asserting that every line is one)."""
        entries = []
        for line in self.stderr().splitlines():
            entry = json.loads(line)
            assert isinstance(entry, dict), line
            entries.append(entry)
        return entries

    def refusal(self, activity_id: str) -> str | None:
        """Why the request with this activity id was refused with 401 (from the log)."""
        prefix = "unauthenticated request refused: "
        for entry in self.log():
            message = str(entry.get("message", ""))
            if entry.get("correlation") == activity_id and message.startswith(prefix):
                return message.removeprefix(prefix)
        return None

    async def post(self, activity: dict[str, Any], authorization: str | None) -> int:
        status, _ = await self.post_json(activity, authorization)
        return status

    async def post_json(
        self, activity: dict[str, Any], authorization: str | None
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}/api/messages", json=activity, headers=headers) as response,
        ):
            raw = await response.read()
            return response.status, json.loads(raw) if raw else None

    async def healthy(self) -> bool:
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/healthz") as r:
            return r.status == 200


@dataclass
class Deployment:
    """One bot configuration: its login stand-in, its Bot Connector stand-in and its process."""

    login: LoginStandIn
    connector: ConnectorStandIn
    bot: BotProcess
    data_dir: Path

    def chat(self, chat_id: str, *, group: bool = True) -> Chat:
        return Chat(chat_id, group, self.connector.service_url)

    def bot_framework_token(self, **claims: Any) -> str:
        claims.setdefault("service_url", self.connector.service_url)
        return self.login.bot_framework_token(APP_ID, **claims)

    def bearer(self, **claims: Any) -> str:
        return f"Bearer {self.bot_framework_token(**claims)}"

    def files(self) -> dict[str, tuple[int, int]]:
        """Every file the bot stored so far, with size and modification time."""
        return {
            str(path.relative_to(self.data_dir)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in self.data_dir.rglob("*")
            if path.is_file()
        }


def assert_no_secrets_or_tracebacks(bot: BotProcess, login: LoginStandIn) -> None:
    output = bot.stderr() + bot.stdout()
    for secret in (SECRET, WRONG_SECRET, login.client_secret, login.identity_header):
        assert secret not in output
    assert "Traceback" not in output
    bot.log()  # every stderr line is a JSON object


def bot_env(
    login: LoginStandIn, data_dir: Path, *, managed_identity: bool, **settings: str
) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_NAMES}
    env = login.subprocess_env(base, managed_identity=managed_identity)
    assert "127.0.0.1" in env["NO_PROXY"].split(",")  # replies go straight to the connector
    env.update(
        {
            "MicrosoftAppId": APP_ID,
            "ALLOWED_TENANTS": TENANT,
            "LOCAL_STORAGE_DIR": str(data_dir),
            "REMINDER_INTERVAL_SECONDS": "0",
            "LOG_LEVEL": "INFO",
            **settings,
        }
    )
    return env


@contextlib.asynccontextmanager
async def deployment(
    workdir: Path,
    login: LoginStandIn,
    *,
    managed_identity: bool = False,
    **settings: str,
) -> AsyncIterator[Deployment]:
    data_dir = workdir / "data"
    with login:
        async with ConnectorStandIn() as connector:
            env = bot_env(login, data_dir, managed_identity=managed_identity, **settings)
            bot = BotProcess(env, workdir)
            try:
                await bot.start()
                yield Deployment(login, connector, bot, data_dir)
            finally:
                await bot.stop()
            # Reached after the module's tests: the bot stopped cleanly on SIGTERM, logged JSON
            # only, and asked the login stand-in for nothing it does not serve.
            assert bot.returncode == 0, bot.stderr()
            assert_no_secrets_or_tracebacks(bot, login)
            assert login.errors == []
            assert set(login.tunnels) <= {BOT_FRAMEWORK_HOST, ENTRA_HOST}, login.tunnels
            assert login.requests_for(None) == [], login.summary()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def multi(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    login = LoginStandIn(client_id=APP_ID, tenant_id=MULTI_TENANT_AUTHORITY)
    async with deployment(
        tmp_path_factory.mktemp("multi"),
        login,
        MicrosoftAppType="MultiTenant",
        MicrosoftAppPassword=SECRET,
    ) as deployed:
        yield deployed


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def single(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    login = LoginStandIn(client_id=APP_ID)
    async with deployment(
        tmp_path_factory.mktemp("single"),
        login,
        MicrosoftAppType="SingleTenant",
        MicrosoftAppTenantId=login.tenant_id,
        MicrosoftAppPassword=SECRET,
    ) as deployed:
        yield deployed


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def msi(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    login = LoginStandIn(client_id=APP_ID, managed_identity_client_id=APP_ID)
    async with deployment(
        tmp_path_factory.mktemp("msi"),
        login,
        managed_identity=True,
        MicrosoftAppType="UserAssignedMSI",
        MicrosoftAppTenantId=login.tenant_id,
    ) as deployed:
        yield deployed


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def wrong_secret(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployment]:
    login = LoginStandIn(client_id=APP_ID)
    async with deployment(
        tmp_path_factory.mktemp("wrong-secret"),
        login,
        MicrosoftAppType="SingleTenant",
        MicrosoftAppTenantId=login.tenant_id,
        MicrosoftAppPassword=WRONG_SECRET,
    ) as deployed:
        yield deployed


def quiet_update(chat: Chat, **fields: Any) -> dict[str, Any]:
    """A conversationUpdate that needs no reply (someone else joined)."""
    return chat.activity(
        LEADER, type="conversationUpdate", membersAdded=[user(9).member()], **fields
    )


def unsigned_token(login: LoginStandIn, service_url: str) -> str:
    """Valid claims and the published key id, but ``alg: none`` and no signature."""
    claims = bot_framework_claims(APP_ID, service_url=service_url)
    return jwt.encode(claims, key=None, algorithm="none", headers={"kid": login.trusted_kid})


# --- incoming: MultiTenant, Bot Framework tokens ------------------------------------------


async def test_a_valid_bot_framework_token_is_accepted(multi: Deployment) -> None:
    chat = multi.chat("19:accepted@thread.v2")
    assert await multi.bot.post(quiet_update(chat), multi.bearer()) == 202
    message = chat.activity(LEADER, type="message", text="noget helt andet")
    assert await multi.bot.post(message, multi.bearer()) == 202
    # The token was checked against the published Bot Framework keys, fetched over the proxy.
    assert multi.login.requests_for("botframework_keys")


def refused_cases(d: Deployment) -> dict[str, tuple[str | None, str]]:
    """name: (Authorization header, the refusal reason the bot logs)."""
    now = time.time()
    url = d.connector.service_url
    return {
        "no header": (None, "no bearer token"),
        "not a bearer token": (f"Basic {d.bot_framework_token()}", "no bearer token"),
        "bearer without a token": ("Bearer", "no bearer token"),
        "garbage": ("Bearer not.a.jwt", "DecodeError"),
        "forged": (
            f"Bearer {d.login.bot_framework_token(APP_ID, key='forger', service_url=url)}",
            "InvalidSignatureError",
        ),
        "expired an hour ago": (d.bearer(now=now - 7200, lifetime=3600), "ExpiredSignatureError"),
        "expired beyond the skew": (
            d.bearer(now=now - 3600 - 2 * CLOCK_SKEW, lifetime=3600),
            "expired",
        ),
        "not valid for two minutes yet": (d.bearer(now=now + 2 * CLOCK_SKEW), "not yet valid"),
        "wrong audience": (
            f"Bearer {d.login.bot_framework_token('someone-else', service_url=url)}",
            "ValueError",
        ),
        "wrong issuer": (d.bearer(iss="https://evil.example"), "ValueError"),
        "another tenant's issuer": (
            d.bearer(iss=f"https://sts.windows.net/{OTHER_TENANT_GUID}/", tid=OTHER_TENANT_GUID),
            "ValueError",
        ),
        "for another service url": (
            d.bearer(service_url="https://smba.example/emea/"),
            "token issued for another service url",
        ),
        "unsigned (alg none)": (f"Bearer {unsigned_token(d.login, url)}", "InvalidAlgorithmError"),
    }


async def test_tokens_that_do_not_validate_are_refused_with_401(multi: Deployment) -> None:
    chat = multi.chat("19:refused@thread.v2")
    before = len(multi.connector.requests)
    cases = refused_cases(multi)
    results = {}
    for name, (header, _) in cases.items():
        activity = quiet_update(chat)
        status = await multi.bot.post(activity, header)
        results[name] = (status, multi.bot.refusal(activity["id"]))
    assert results == {name: (401, reason) for name, (_, reason) in cases.items()}
    assert multi.connector.requests[before:] == []


async def test_the_lifetime_is_checked_with_a_60_second_skew(multi: Deployment) -> None:
    chat = multi.chat("19:skew@thread.v2")
    now = time.time()
    cases = {  # name: (issued at, accepted); every token is valid for an hour from issue
        "expired 30 s ago": (now - 3600 - CLOCK_SKEW // 2, True),
        "expired 55 s ago (just inside the skew)": (now - 3600 - CLOCK_SKEW + 5, True),
        "expired 65 s ago (just outside the skew)": (now - 3600 - CLOCK_SKEW - 5, False),
        "expired 120 s ago": (now - 3600 - 2 * CLOCK_SKEW, False),
        "valid in 30 s": (now + CLOCK_SKEW // 2, True),
        "valid in 55 s (just inside the skew)": (now + CLOCK_SKEW - 5, True),
        "valid in 65 s (just outside the skew)": (now + CLOCK_SKEW + 5, False),
    }
    results = {}
    for name, (issued, _) in cases.items():
        activity = quiet_update(chat)
        status = await multi.bot.post(activity, multi.bearer(now=issued, lifetime=3600))
        results[name] = (status, multi.bot.refusal(activity["id"]))
    assert results == {
        name: (202, None) if accepted else (401, "expired" if issued < now else "not yet valid")
        for name, (issued, accepted) in cases.items()
    }


async def test_an_activity_without_a_service_url_is_refused(multi: Deployment) -> None:
    results = []
    for service_url in (None, "", multi.connector.service_url):
        activity = quiet_update(multi.chat("19:no-service-url@thread.v2"))
        if service_url is None:
            del activity["serviceUrl"]
        else:
            activity["serviceUrl"] = service_url
        status = await multi.bot.post(activity, multi.bearer())
        results.append((status, multi.bot.refusal(activity["id"])))
    assert results == [
        (401, "activity without a service url"),
        (400, None),  # an empty one is not even an activity (the SDK's model refuses it)
        (202, None),  # the same activity with the token's service url gets through
    ]


async def test_tenants_are_checked_after_the_token(multi: Deployment) -> None:
    chat = multi.chat("19:tenants@thread.v2")

    def from_tenant_2() -> dict[str, Any]:
        activity = quiet_update(chat, channelData={"tenant": {"id": "tenant-2"}})
        activity["conversation"]["tenantId"] = "tenant-2"
        return activity

    assert await multi.bot.post(from_tenant_2(), multi.bearer()) == 403
    disagreeing = quiet_update(chat, channelData={"tenant": {"id": "tenant-2"}})
    assert disagreeing["conversation"]["tenantId"] == TENANT
    assert await multi.bot.post(disagreeing, multi.bearer()) == 403
    # The other way round: the allowed tenant in channelData, another on the conversation.
    reversed_ = quiet_update(chat, channelData={"tenant": {"id": TENANT}})
    reversed_["conversation"]["tenantId"] = "tenant-2"
    assert await multi.bot.post(reversed_, multi.bearer()) == 403
    messages = [e["message"] for e in multi.bot.log()[-3:]]
    assert messages == [
        "request from a tenant that is not allowed refused",
        "request naming two tenants refused",
        "request naming two tenants refused",
    ]
    # A forged token is refused (401) before the tenant is looked at.
    forged = multi.login.bot_framework_token(
        APP_ID, key="forger", service_url=multi.connector.service_url
    )
    assert await multi.bot.post(from_tenant_2(), f"Bearer {forged}") == 401


async def test_a_refused_press_changes_nothing(multi: Deployment) -> None:
    group = multi.chat("19:refused-press@thread.v2")
    multi.connector.set_roster(group.id, [u.member() for u in [LEADER, *MEMBERS]])
    data = {
        "conversation": "",
        "kind": "GRUS",
        "participants": ",".join(m.id for m in MEMBERS),
        "date": "2099-01-05",
        "variant": "skema",
    }
    forged = multi.login.bot_framework_token(
        APP_ID, key="forger", service_url=multi.connector.service_url
    )
    files, requests = multi.files(), len(multi.connector.requests)

    press = press_activity(group, LEADER, "setup.save", data)
    assert await multi.bot.post(press, f"Bearer {forged}") == 401
    await asyncio.sleep(0.3)  # anything the press might have started would have begun

    assert multi.files() == files
    assert [f for f in files if f.startswith("conversations/")] == []  # no conversation stored
    assert multi.connector.requests[requests:] == []
    assert multi.bot.refusal(press["id"]) == "InvalidSignatureError"

    # The same press with a valid token does store a conversation and reach the connector, so
    # the checks above would have seen it.
    accepted = press_activity(group, LEADER, "setup.save", data)
    assert await multi.bot.post(accepted, multi.bearer()) == 200
    await multi.connector.wait_for(lambda c: len(c.requests) > requests)
    assert [f for f in multi.files() if f.startswith("conversations/")]


# --- incoming: SingleTenant, Entra ID tokens ----------------------------------------------


def entra_bearer(d: Deployment, **claims: Any) -> str:
    claims.setdefault("service_url", d.connector.service_url)
    return f"Bearer {d.login.mint(entra_claims(APP_ID, tenant_id=d.login.tenant_id, **claims))}"


async def test_single_tenant_accepts_an_entra_token_from_its_tenant(single: Deployment) -> None:
    chat = single.chat("19:entra@thread.v2")
    assert await single.bot.post(quiet_update(chat), entra_bearer(single)) == 202
    # Its keys came from the tenant's Entra discovery endpoint.
    assert {r.tenant for r in single.login.requests_for("entra_keys")} == {single.login.tenant_id}
    # A SingleTenant bot still takes Bot Framework tokens (Teams sends those).
    assert await single.bot.post(quiet_update(chat), single.bearer()) == 202


async def test_single_tenant_refuses_entra_tokens_that_do_not_fit(single: Deployment) -> None:
    chat = single.chat("19:entra-refused@thread.v2")
    other = OTHER_TENANT_GUID
    cases = {
        "tid does not match the issuer": entra_bearer(single, tid=other),
        "another tenant": entra_bearer(single, iss=f"{ENTRA_AUTHORITY}/{other}/v2.0", tid=other),
        "forged": "Bearer "
        + single.login.mint(
            entra_claims(
                APP_ID, tenant_id=single.login.tenant_id, service_url=single.connector.service_url
            ),
            key="forger",
        ),
    }
    results = {}
    for name, header in cases.items():
        activity = quiet_update(chat)
        results[name] = (
            await single.bot.post(activity, header),
            single.bot.refusal(activity["id"]),
        )
    assert results == {
        "tid does not match the issuer": (401, "ValueError"),
        "another tenant": (401, "ValueError"),
        "forged": (401, "InvalidSignatureError"),
    }


# --- outgoing: the bot's own token on replies ---------------------------------------------


async def help_reply(d: Deployment, chat_id: str) -> Any:
    """Say ``hjælp`` in a 1:1 chat; the connector's record of the bot's reply."""
    chat = d.chat(chat_id, group=False)
    before = len(d.connector.requests)
    message = chat.activity(LEADER, type="message", text="hjælp")
    assert await d.bot.post(message, d.bearer()) == 202
    await d.connector.wait_for(
        lambda c: any(r.conversation_id == chat_id for r in c.requests[before:]), timeout=10
    )
    (reply,) = [r for r in d.connector.requests[before:] if r.conversation_id == chat_id]
    return reply


def issued_for_bot_framework(login: LoginStandIn, route: str) -> list[str]:
    return [
        t.access_token for t in login.issued if t.route == route and t.resource == BOT_FRAMEWORK
    ]


def assert_sent_with_client_secret_token(d: Deployment, reply: Any) -> None:
    assert (reply.op, reply.status) == ("send", 200)
    issued = issued_for_bot_framework(d.login, "token")
    assert reply.header("Authorization") in {f"Bearer {token}" for token in issued}
    claims = d.login.verify(
        reply.header("Authorization").removeprefix("Bearer "), audience=BOT_FRAMEWORK
    )
    assert claims["appid"] == APP_ID
    tokens = d.login.requests_for("token")
    assert tokens and all(r.credential_ok for r in tokens)
    assert {r.tenant for r in tokens} == {d.login.tenant_id}
    assert d.login.requests_for("managed_identity") == []
    assert SECRET not in repr(d.login.requests)
    assert SECRET not in d.bot.stderr() + d.bot.stdout()


async def test_multi_tenant_replies_carry_the_token_msal_got_from_botframework_com(
    multi: Deployment,
) -> None:
    reply = await help_reply(multi, "a:1-help-multi")
    assert_sent_with_client_secret_token(multi, reply)


async def test_single_tenant_replies_carry_the_token_msal_got_from_its_tenant(
    single: Deployment,
) -> None:
    reply = await help_reply(single, "a:1-help-single")
    assert_sent_with_client_secret_token(single, reply)


async def test_replies_carry_the_managed_identity_token(msi: Deployment) -> None:
    reply = await help_reply(msi, "a:1-help-msi")
    assert (reply.op, reply.status) == ("send", 200)
    issued = issued_for_bot_framework(msi.login, "managed_identity")
    assert reply.header("Authorization") in {f"Bearer {token}" for token in issued}
    identity = msi.login.requests_for("managed_identity")
    assert identity and all(r.credential_ok for r in identity)
    assert {r.query.get("client_id") for r in identity} == {APP_ID}
    assert msi.login.requests_for("token") == []  # no client secret anywhere
    assert msi.login.identity_header not in msi.bot.stderr() + msi.bot.stdout()


async def test_a_wrong_client_secret_delivers_nothing_and_crashes_nothing(
    wrong_secret: Deployment,
) -> None:
    d = wrong_secret
    chat = d.chat("a:1-help-wrong-secret", group=False)
    statuses = []
    for _ in range(2):
        message = chat.activity(LEADER, type="message", text="hjælp")
        statuses.append(await d.bot.post(message, d.bearer()))
    await asyncio.sleep(0.5)  # a reply, had one been started, would have reached the connector

    # The SDK gets the bot's own token before every turn: without one nothing can go to Teams
    # (503, never a 500), but a press still gets a calm card in its own HTTP answer.
    assert statuses == [503, 503]
    press = press_activity(chat, LEADER, "help.show")
    status, body = await d.bot.post_json(press, d.bearer())
    assert status == 200 and "Beklager" in json.dumps(body, ensure_ascii=False), body
    assert d.connector.requests == []
    tokens = d.login.requests_for("token")
    assert tokens and not any(r.credential_ok for r in tokens)
    assert {r.form.get("client_secret") for r in tokens} == {"***"}
    assert d.login.issued == []
    assert d.bot.running and await d.bot.healthy()
    assert_no_secrets_or_tracebacks(d.bot, d.login)
    log = d.bot.log()
    assert any("AADSTS7000215" in str(e["message"]) for e in log)  # Entra's answer is logged
    assert not any("stack" in e or "exception" in e for e in log)
