"""The login stand-in answers real clients (urllib, PyJWT, MSAL) like Microsoft's login servers.

The clients run in a subprocess with ``LoginStandIn.subprocess_env()``, exactly as the bot will,
so they reach the stand-in only through the proxy and CA settings (nothing is patched). A few
protocol details (tunnel keep-alive, error shapes) are checked in-process over loopback.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from .login_standin import (
    BOT_FRAMEWORK_ISSUER,
    BOT_FRAMEWORK_JWKS_URL,
    BOT_FRAMEWORK_OPENID_URL,
    ENTRA_HOST,
    LoginStandIn,
    bot_framework_claims,
)

BOT_FRAMEWORK_RESOURCE = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"


@pytest.fixture
def login() -> Iterator[LoginStandIn]:
    with LoginStandIn() as stand_in:
        yield stand_in


def run_child(
    login: LoginStandIn, code: str, args: Any, *, env: dict[str, str] | None = None
) -> Any:
    """Run ``code`` in a fresh interpreter (``args`` as JSON in argv[1]); return its JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        env=login.subprocess_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def tunnel(login: LoginStandIn, host: str) -> http.client.HTTPSConnection:
    """An in-process HTTPS connection to ``host`` through the stand-in's proxy."""
    context = ssl.create_default_context(cafile=login.ca_file)
    connection = http.client.HTTPSConnection("127.0.0.1", login.port, context=context, timeout=5)
    connection.set_tunnel(host, 443)
    return connection


def call(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, http.client.HTTPResponse]:
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, json.loads(response.read()), response


def post_token(login: LoginStandIn, tenant: str, form: dict[str, str]) -> tuple[int, Any]:
    connection = tunnel(login, ENTRA_HOST)
    try:
        status, body, _ = call(
            connection,
            "POST",
            f"/{tenant}/oauth2/v2.0/token",
            urlencode(form).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
    finally:
        connection.close()
    return status, body


URLLIB_CHILD = """
import json, sys, urllib.request
args = json.loads(sys.argv[1])
out = {}
for name, url in args.items():
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            out[name] = json.load(response)
    except Exception as exc:
        out[name] = {"exception": type(exc).__name__, "message": str(exc)}
print(json.dumps(out))
"""


def test_urllib_gets_the_botframework_keys_over_verified_tls(login: LoginStandIn) -> None:
    out = run_child(
        login, URLLIB_CHILD, {"keys": BOT_FRAMEWORK_JWKS_URL, "openid": BOT_FRAMEWORK_OPENID_URL}
    )

    assert out["keys"] == login.jwks
    (key,) = out["keys"]["keys"]
    assert key["kid"] == login.trusted_kid
    assert {key["kty"], key["use"], key["e"]} == {"RSA", "sig", "AQAB"}
    assert key["endorsements"] == ["msteams"]
    assert out["openid"]["issuer"] == BOT_FRAMEWORK_ISSUER
    assert out["openid"]["jwks_uri"] == BOT_FRAMEWORK_JWKS_URL
    assert [(r.scheme, r.host, r.route, r.status) for r in login.requests] == [
        ("https", "login.botframework.com", "botframework_keys", 200),
        ("https", "login.botframework.com", "botframework_openid", 200),
    ]
    assert set(login.tunnels) == {"login.botframework.com"}
    assert login.errors == []


def test_a_client_without_the_ca_refuses_the_standins_certificate(login: LoginStandIn) -> None:
    env = login.subprocess_env()
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        del env[name]

    out = run_child(login, URLLIB_CHILD, {"keys": BOT_FRAMEWORK_JWKS_URL}, env=env)

    assert out["keys"]["exception"] == "URLError"
    assert "CERTIFICATE_VERIFY_FAILED" in out["keys"]["message"]
    assert login.requests == []
    assert login.tunnels == ["login.botframework.com"]
    assert any("TLS handshake for login.botframework.com" in e for e in login.errors)


PYJWT_CHILD = """
import json, sys, jwt
args = json.loads(sys.argv[1])
out = {}
for name, (url, token, audience) in args.items():
    try:
        key = jwt.PyJWKClient(url).get_signing_key_from_jwt(token)
        out[name] = jwt.decode(token, key.key, algorithms=["RS256"], audience=audience)
    except Exception as exc:
        out[name] = {"exception": type(exc).__name__}
print(json.dumps(out))
"""


def test_pyjwkclient_validates_minted_tokens_and_refuses_forged_ones(login: LoginStandIn) -> None:
    app = login.client_id
    entra_keys = f"https://{ENTRA_HOST}/{login.tenant_id}/discovery/v2.0/keys"
    args = {
        "botframework": [BOT_FRAMEWORK_JWKS_URL, login.bot_framework_token(), app],
        "entra": [entra_keys, login.entra_token(), app],
        "forged": [BOT_FRAMEWORK_JWKS_URL, login.bot_framework_token(key="forger"), app],
        "forged_entra": [entra_keys, login.entra_token(key="forger"), app],
        "unknown_kid": [
            BOT_FRAMEWORK_JWKS_URL,
            login.mint(bot_framework_claims(app), key="forger", kid="not-published"),
            app,
        ],
        "other_audience": [BOT_FRAMEWORK_JWKS_URL, login.bot_framework_token("other-app"), app],
    }

    out = run_child(login, PYJWT_CHILD, args)

    assert out["botframework"]["iss"] == BOT_FRAMEWORK_ISSUER
    assert out["botframework"]["aud"] == app
    assert out["botframework"]["serviceurl"]
    assert out["entra"]["iss"] == f"https://{ENTRA_HOST}/{login.tenant_id}/v2.0"
    assert out["entra"]["tid"] == login.tenant_id
    assert out["entra"]["ver"] == "2.0"
    assert out["forged"] == {"exception": "InvalidSignatureError"}
    assert out["forged_entra"] == {"exception": "InvalidSignatureError"}
    assert out["unknown_kid"] == {"exception": "PyJWKClientError"}
    assert out["other_audience"] == {"exception": "InvalidAudienceError"}
    routes = {r.route for r in login.requests}
    assert routes == {"botframework_keys", "entra_keys"}
    assert all(r.status == 200 for r in login.requests)


MSAL_CHILD = """
import json, sys, msal
args = json.loads(sys.argv[1])
out = {}
for name, secret in (("good", args["secret"]), ("bad", "not-the-secret")):
    app = msal.ConfidentialClientApplication(
        args["client_id"], client_credential=secret, authority=args["authority"]
    )
    out[name] = app.acquire_token_for_client(scopes=[args["scope"]])
print(json.dumps(out))
"""


def test_msal_confidential_client_gets_the_standins_token(login: LoginStandIn) -> None:
    args = {
        "client_id": login.client_id,
        "secret": login.client_secret,
        "authority": f"https://{ENTRA_HOST}/{login.tenant_id}",
        "scope": BOT_FRAMEWORK_SCOPE,
    }

    out = run_child(login, MSAL_CHILD, args)

    good, bad = out["good"], out["bad"]
    (issued,) = login.issued
    assert good["access_token"] == issued.access_token
    assert good["token_type"] == "Bearer"
    assert (issued.route, issued.client_id, issued.resource) == (
        "token",
        login.client_id,
        BOT_FRAMEWORK_RESOURCE,
    )
    claims = login.verify(good["access_token"], audience=BOT_FRAMEWORK_RESOURCE)
    assert claims["appid"] == login.client_id
    assert claims["tid"] == login.tenant_id
    assert bad["error"] == "invalid_client"
    assert "AADSTS7000215" in bad["error_description"]
    assert "access_token" not in bad

    tokens = login.requests_for("token")
    assert [(r.status, r.credential_ok) for r in tokens] == [(200, True), (400, False)]
    assert tokens[0].form["grant_type"] == "client_credentials"
    assert tokens[0].form["scope"] == BOT_FRAMEWORK_SCOPE
    assert tokens[0].form["client_secret"] == "***"
    assert tokens[0].headers["x-client-sku"] == "MSAL.Python"
    assert login.requests_for("entra_openid")
    # After a failed client-credentials call MSAL looks up the authority's aliases.
    assert [r.status for r in login.requests_for("instance_discovery")] == [200]
    assert login.requests_for(None) == []
    recorded = repr(login.requests)
    assert login.client_secret not in recorded
    assert "not-the-secret" not in recorded


MANAGED_IDENTITY_CHILD = """
import json, os, sys, msal, requests
args = json.loads(sys.argv[1])
out = {}
for name in ("good", "wrong_header"):
    if name == "wrong_header":
        os.environ["IDENTITY_HEADER"] = "not-the-header"
    client = msal.ManagedIdentityClient(
        msal.UserAssignedManagedIdentity(client_id=args["client_id"]),
        http_client=requests.Session(),
    )
    out[name] = client.acquire_token_for_client(resource=args["resource"])
print(json.dumps(out))
"""


def test_msal_managed_identity_gets_a_token_from_identity_endpoint(login: LoginStandIn) -> None:
    login.managed_identity_client_id = login.client_id
    args = {"client_id": login.client_id, "resource": BOT_FRAMEWORK_RESOURCE}

    out = run_child(login, MANAGED_IDENTITY_CHILD, args)

    (issued,) = login.issued
    assert out["good"]["access_token"] == issued.access_token
    assert 3000 < out["good"]["expires_in"] <= 3599
    assert (issued.route, issued.client_id, issued.resource) == (
        "managed_identity",
        login.client_id,
        BOT_FRAMEWORK_RESOURCE,
    )
    assert login.verify(issued.access_token, audience=BOT_FRAMEWORK_RESOURCE)["appid"] == (
        login.client_id
    )
    assert "access_token" not in out["wrong_header"]
    assert "401" in out["wrong_header"]["error_description"]

    requests = login.requests_for("managed_identity")
    assert [(r.scheme, r.host, r.status, r.credential_ok) for r in requests] == [
        ("http", "127.0.0.1", 200, True),
        ("http", "127.0.0.1", 401, False),
    ]
    assert requests[0].query == {
        "api-version": "2019-08-01",
        "resource": BOT_FRAMEWORK_RESOURCE,
        "client_id": login.client_id,
    }
    assert "x-identity-header" not in requests[0].headers
    assert login.identity_header not in repr(login.requests)
    assert login.tunnels == []


def test_tunnel_keeps_alive_honours_connection_close_and_records_404s(
    login: LoginStandIn,
) -> None:
    connection = tunnel(login, "login.botframework.com")
    try:
        status, body, _ = call(connection, "GET", "/v1/.well-known/keys")
        assert (status, body) == (200, login.jwks)
        status, body, _ = call(connection, "GET", "/v1/nothing-here?x=1")
        assert status == 404
        assert body["error"]["code"] == "NotFound"
        status, body, response = call(
            connection, "GET", "/v1/.well-known/keys", headers={"Connection": "close"}
        )
        assert status == 200
        assert response.getheader("Connection") == "close"
    finally:
        connection.close()

    assert login.tunnels == ["login.botframework.com"]  # all three went through one tunnel
    assert [(r.path, r.query, r.route, r.status) for r in login.requests] == [
        ("/v1/.well-known/keys", {}, "botframework_keys", 200),
        ("/v1/nothing-here", {"x": "1"}, None, 404),
        ("/v1/.well-known/keys", {}, "botframework_keys", 200),
    ]
    assert login.errors == []


def test_unknown_hosts_and_proxied_plain_http_answer_404(login: LoginStandIn) -> None:
    connection = tunnel(login, "graph.microsoft.com")
    try:
        status, _, _ = call(connection, "GET", "/v1.0/me")
    finally:
        connection.close()
    assert status == 404

    plain = http.client.HTTPConnection("127.0.0.1", login.port, timeout=5)
    try:
        status, _, _ = call(plain, "GET", "http://169.254.169.254/metadata/identity")
        assert status == 404
        status, _, _ = call(plain, "GET", "/something-else")
        assert status == 404
    finally:
        plain.close()

    assert [(r.scheme, r.host, r.path, r.route) for r in login.requests] == [
        ("https", "graph.microsoft.com", "/v1.0/me", None),
        ("http", "169.254.169.254", "/metadata/identity", None),
        ("http", "127.0.0.1", "/something-else", None),
    ]


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("ok", 200, None),
        ("basic_auth", 200, None),
        ("other_tenant", 400, "invalid_request"),
        ("password_grant", 400, "unsupported_grant_type"),
        ("other_client", 400, "unauthorized_client"),
        ("no_secret", 400, "invalid_client"),
        ("no_default_scope", 400, "invalid_scope"),
    ],
)
def test_token_endpoint_checks_the_request_like_entra(
    login: LoginStandIn, case: str, status: int, error: str | None
) -> None:
    form = {
        "client_id": login.client_id,
        "client_secret": login.client_secret,
        "grant_type": "client_credentials",
        "scope": BOT_FRAMEWORK_SCOPE,
    }
    tenant = login.tenant_id
    if case == "basic_auth":
        del form["client_secret"]
    elif case == "other_tenant":
        tenant = "00000000-0000-0000-0000-000000000000"
    elif case == "password_grant":
        form["grant_type"] = "password"
    elif case == "other_client":
        form["client_id"] = "someone-else"
    elif case == "no_secret":
        del form["client_secret"]
    elif case == "no_default_scope":
        form["scope"] = BOT_FRAMEWORK_RESOURCE

    if case == "basic_auth":
        credentials = f"{login.client_id}:{login.client_secret}".encode()
        connection = tunnel(login, ENTRA_HOST)
        try:
            got, body, _ = call(
                connection,
                "POST",
                f"/{tenant}/oauth2/v2.0/token",
                urlencode(form).encode(),
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Authorization": "Basic " + base64.b64encode(credentials).decode(),
                },
            )
        finally:
            connection.close()
    else:
        got, body = post_token(login, tenant, form)

    assert got == status
    if error is None:
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 3599
        assert login.verify(body["access_token"], audience=BOT_FRAMEWORK_RESOURCE)
    else:
        assert body["error"] == error
        assert body["error_description"].startswith("AADSTS")
        assert isinstance(body["error_codes"], list)
        assert login.issued == []
    assert login.client_secret not in repr(login.requests)


def test_entra_discovery_and_instance_discovery(login: LoginStandIn) -> None:
    connection = tunnel(login, ENTRA_HOST)
    try:
        status, openid, _ = call(
            connection, "GET", f"/{login.tenant_id}/v2.0/.well-known/openid-configuration"
        )
        assert status == 200
        status, unknown, _ = call(
            connection,
            "GET",
            "/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration",
        )
        assert status == 400
        query = urlencode(
            {
                "api-version": "1.1",
                "authorization_endpoint": f"https://{ENTRA_HOST}/common/oauth2/authorize",
            }
        )
        status, instance, _ = call(connection, "GET", f"/common/discovery/instance?{query}")
        assert status == 200
    finally:
        connection.close()

    base = f"https://{ENTRA_HOST}/{login.tenant_id}"
    assert openid["issuer"] == f"{base}/v2.0"
    assert openid["token_endpoint"] == f"{base}/oauth2/v2.0/token"
    assert openid["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
    assert openid["jwks_uri"] == f"{base}/discovery/v2.0/keys"
    assert unknown["error"] == "invalid_tenant"
    assert instance["tenant_discovery_endpoint"] == (
        f"https://{ENTRA_HOST}/common/v2.0/.well-known/openid-configuration"
    )
    assert ENTRA_HOST in instance["metadata"][0]["aliases"]


def test_managed_identity_endpoint_checks_its_parameters(login: LoginStandIn) -> None:
    login.managed_identity_client_id = "mi-client"
    header = {"X-IDENTITY-HEADER": login.identity_header}
    good = {"api-version": "2019-08-01", "resource": BOT_FRAMEWORK_RESOURCE}
    cases = [
        ({**good, "client_id": "mi-client"}, header, 200),
        ({**good, "client_id": "mi-client"}, {}, 401),
        ({**good, "client_id": "other"}, header, 400),
        ({**good, "api-version": "2017-09-01", "client_id": "mi-client"}, header, 400),
        ({"api-version": "2019-08-01", "client_id": "mi-client"}, header, 400),
    ]
    connection = http.client.HTTPConnection("127.0.0.1", login.port, timeout=5)
    try:
        for query, headers, expected in cases:
            status, body, _ = call(
                connection, "GET", f"/msi/token?{urlencode(query)}", None, headers
            )
            assert status == expected, (query, body)
            if expected == 200:
                assert body["client_id"] == "mi-client"
                assert body["resource"] == BOT_FRAMEWORK_RESOURCE
                assert body["token_type"] == "Bearer"
                assert int(body["expires_on"]) > time.time() + 3000
            else:
                assert body["statusCode"] == expected
    finally:
        connection.close()
    assert len(login.issued) == 1


def test_fail_injects_errors_before_checks(login: LoginStandIn) -> None:
    login.fail("token", 503, times=2)
    form = {
        "client_id": login.client_id,
        "client_secret": login.client_secret,
        "grant_type": "client_credentials",
        "scope": BOT_FRAMEWORK_SCOPE,
    }
    statuses = [post_token(login, login.tenant_id, form)[0] for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert [r.injected for r in login.requests_for("token")] == [True, True, False]
    with pytest.raises(ValueError, match="unknown route"):
        login.fail("nope", 500)


async def test_runs_beside_an_event_loop_and_stops_with_idle_connections_open() -> None:
    before = set(threading.enumerate())
    async with LoginStandIn() as login:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            URLLIB_CHILD,
            json.dumps({"keys": BOT_FRAMEWORK_JWKS_URL}),
            env=login.subprocess_env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, stderr.decode()
        assert json.loads(stdout)["keys"] == login.jwks

        # Leave one tunnel and one plain keep-alive connection idle, then stop.
        idle_tunnel = tunnel(login, "login.botframework.com")
        idle_plain = http.client.HTTPConnection("127.0.0.1", login.port, timeout=5)
        await asyncio.to_thread(call, idle_tunnel, "GET", "/v1/.well-known/keys")
        await asyncio.to_thread(call, idle_plain, "GET", "/msi/token")
        started = time.monotonic()
    assert time.monotonic() - started < 2.0
    idle_tunnel.close()
    idle_plain.close()
    left = {t for t in set(threading.enumerate()) - before if not t.name.startswith("asyncio_")}
    assert left == set()  # the server thread and every connection thread were joined
    assert login.errors == []
    with pytest.raises(RuntimeError):
        _ = login.ca_file
