"""With an app id set, only activities carrying a valid Bot Framework token get through.

The tokens are real RS256 JWTs signed by a key this test publishes through its own OpenID
metadata endpoint (served on loopback in a thread, because botbuilder fetches it with blocking
``requests``); botbuilder validates them exactly as it would Microsoft's.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from settings import Settings
from tests.app.harness import BotServer, Chat, Client, user
from tests.support.connector import ConnectorStandIn

APP_ID = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://api.botframework.com"
KID = "test-key"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Keys:
    def __init__(self) -> None:
        self.trusted = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        numbers = self.trusted.public_key().public_numbers()
        key = {
            "kty": "RSA",
            "kid": KID,
            "use": "sig",
            "n": _b64(numbers.n),
            "e": _b64(numbers.e),
            "endorsements": ["msteams"],
        }
        return {"keys": [key]}


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def metadata_url(keys: Keys) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            port = self.server.server_address[1]
            if self.path.endswith("openid-configuration"):
                body = {
                    "issuer": ISSUER,
                    "jwks_uri": f"http://127.0.0.1:{port}/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            elif self.path == "/keys":
                body = keys.jwks()
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/openid-configuration"
    server.shutdown()


@pytest.fixture
async def secured(tmp_path: Path, metadata_url: str) -> AsyncIterator[BotServer]:
    env = {
        "MicrosoftAppId": APP_ID,
        "MicrosoftAppPassword": "not-a-real-secret",
        "MicrosoftAppType": "MultiTenant",
        "BOT_OPENID_METADATA_URL": metadata_url,
        "ALLOWED_TENANTS": "tenant-1",
        "LOCAL_STORAGE_DIR": str(tmp_path),
        "REMINDER_INTERVAL_SECONDS": "0",
    }
    server = await BotServer(Settings.from_env(env)).start()
    yield server
    await server.stop()


def token(key: Any, service_url: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": APP_ID,
        "serviceurl": service_url,
        "nbf": now - 60,
        "iat": now - 60,
        "exp": now + 600,
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


async def post(server: BotServer, activity: dict[str, Any], auth: str | None) -> int:
    import aiohttp

    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{server.url}/api/messages", json=activity, headers=headers) as response,
    ):
        return response.status


async def test_tokens_are_validated(
    secured: BotServer, connector: ConnectorStandIn, keys: Keys
) -> None:
    chat = Chat("19:secure@thread.v2", True, connector.service_url)
    # An activity that needs no reply, so no outbound token is needed (that would reach Entra ID).
    quiet = chat.activity(user(1), type="conversationUpdate", membersAdded=[user(2).member()])
    url = connector.service_url
    good = token(keys.trusted, url)
    assert await post(secured, quiet, f"Bearer {good}") == 201
    refused = {
        "no header": None,
        "not a bearer token": "Basic abc",
        "garbage": "Bearer not.a.jwt",
        "forged": f"Bearer {token(keys.forger, url)}",
        "expired": f"Bearer {token(keys.trusted, url, exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)}",
        "wrong audience": f"Bearer {token(keys.trusted, url, aud='someone-else')}",
        "wrong issuer": f"Bearer {token(keys.trusted, url, iss='https://evil.example')}",
        "other service url": f"Bearer {token(keys.trusted, 'http://127.0.0.1:1/')}",
        "unsigned": "Bearer "
        + jwt.encode({"iss": ISSUER, "aud": APP_ID}, key="", algorithm="none"),
    }
    for name, header in refused.items():
        assert await post(secured, quiet, header) == 401, name
    other_tenant = dict(
        quiet,
        conversation={**quiet["conversation"], "tenantId": "tenant-2"},
        channelData={"tenant": {"id": "tenant-2"}},
    )
    assert await post(secured, other_tenant, f"Bearer {good}") == 403


async def test_a_refused_press_changes_nothing(
    secured: BotServer, connector: ConnectorStandIn, keys: Keys
) -> None:
    chat = Chat("19:secure@thread.v2", True, connector.service_url)
    client = Client(secured)
    forged = chat.activity(
        user(1),
        type="invoke",
        name="adaptiveCard/action",
        value={
            "action": {"type": "Action.Execute", "verb": "setup.save", "data": {"kind": "GRUS"}}
        },
    )
    assert await post(secured, forged, f"Bearer {token(keys.forger, connector.service_url)}") == 401
    assert await secured.services.store.keys("conversations/") == []
    assert connector.requests == []
    del client
