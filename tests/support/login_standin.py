"""A local stand-in for Microsoft's login servers, reached through a TLS-intercepting proxy.

The Microsoft 365 Agents SDK fetches token-signing keys from hard-coded https URLs (with PyJWT's
``PyJWKClient``, i.e. ``urllib``) and gets outgoing tokens with MSAL (``requests``, or the App
Service managed-identity endpoint). Tests run the bot as a subprocess whose environment
(``env()``) sends that traffic here instead of to the internet, so the SDK is never patched.

Contract
--------
* ``with LoginStandIn() as login:`` (or ``start()`` / ``stop()``; ``async with`` works too)
  serves an HTTP proxy on 127.0.0.1 with an ephemeral port, in its own threads, so it works
  while the test process runs an asyncio loop. ``stop()`` closes open (keep-alive) connections,
  joins every thread and removes the temp dir; it is idempotent.
* A test certificate authority is generated per instance (``ca_pem``; ``ca_file`` is the PEM
  file in a temp dir while started). ``CONNECT host:port`` is answered 200, then TLS is
  terminated with a leaf certificate for ``host`` (SAN = host, signed by the CA, minted on
  demand and cached per host), and the HTTP/1.1 requests inside the tunnel are served
  (keep-alive and ``Connection: close``; Content-Length or chunked request bodies). Plain HTTP
  requests sent straight to the proxy (origin form) and proxied plain HTTP (absolute form) are
  served too. Every CONNECT host is appended to ``tunnels``.
* Endpoints (``route`` names in brackets; ``tenant`` below is the configured ``tenant_id``):

  - ``GET https://login.botframework.com/v1/.well-known/keys`` [``botframework_keys``]: the
    JWKS ``jwks`` (the trusted RSA key: ``kty``, ``use: sig``, ``kid``, ``x5t``, ``n``, ``e``,
    ``endorsements: ["msteams"]``).
  - ``GET https://login.botframework.com/v1/.well-known/openidconfiguration``
    [``botframework_openid``]: issuer ``https://api.botframework.com`` and that jwks_uri.
  - ``GET https://login.microsoftonline.com/{t}/discovery/v2.0/keys`` (and the v1
    ``/{t}/discovery/keys``) [``entra_keys``]: the same JWKS.
  - ``GET https://login.microsoftonline.com/{t}/v2.0/.well-known/openid-configuration``
    [``entra_openid``]: OIDC metadata as Entra serves it (issuer
    ``https://login.microsoftonline.com/{t}/v2.0``, or with the literal ``{tenantid}`` for
    ``common``/``organizations``; token, authorization, jwks endpoints...).
  - For those two, ``{t}`` must be ``tenant``, ``common`` or ``organizations`` (case-insensitive),
    else 400 ``invalid_tenant`` (AADSTS90002).
  - ``GET https://login.microsoftonline.com/common/discovery/instance?authorization_endpoint=``
    [``instance_discovery``]: MSAL's instance discovery answer (400 ``invalid_instance`` for an
    authorization endpoint on another host). MSAL skips it for login.microsoftonline.com.
  - ``POST https://login.microsoftonline.com/{t}/oauth2/v2.0/token`` [``token``], client
    credentials only: ``{t}`` must be ``tenant`` (else 400 ``invalid_request``, AADSTS90002),
    ``grant_type`` ``client_credentials`` (else 400 ``unsupported_grant_type``), ``client_id``
    equal to ``client_id`` (else 400 ``unauthorized_client``, AADSTS700016), ``client_secret``
    (form field or HTTP Basic) equal to ``client_secret`` (else 400 ``invalid_client``,
    AADSTS7000215) and exactly one ``<resource>/.default`` scope (else 400 ``invalid_scope``).
    Error bodies have Entra's shape (``error``, ``error_description``, ``error_codes``, ...),
    which MSAL returns as its result dict. Success: 200 ``{"token_type": "Bearer",
    "expires_in": token_lifetime, "ext_expires_in": ..., "access_token": <JWT>}``.
  - ``GET http://127.0.0.1:PORT/msi/token?api-version=2019-08-01&resource=..&client_id=..``
    with header ``X-IDENTITY-HEADER`` (App Service managed identity, plain HTTP straight to the
    proxy port) [``managed_identity``]: wrong or missing header 401, other api-version or no
    resource 400, a ``client_id`` other than ``managed_identity_client_id`` (when that is set)
    400; error bodies are ``{"statusCode": .., "message": ..}``. Success: 200
    ``{"access_token", "expires_on": "<epoch seconds>", "resource", "token_type": "Bearer",
    "client_id"}``.
  - Anything else: 404 ``{"error": {"code": "NotFound", "message": ...}}`` (recorded with
    ``route=None``).
* Access tokens issued by ``token`` and ``managed_identity`` are RS256 JWTs signed with the
  trusted key (v1 app-token claims: ``aud`` = resource, ``iss`` =
  ``https://sts.windows.net/{tenant}/``, ``appid``/``azp`` = client id, ``tid``, ``idtyp:
  app``); each is appended to ``issued`` (``IssuedToken``). ``verify(token, audience=...)``
  checks a token against the trusted key in the test process.
* ``mint(claims, key="trusted"|"forger", kid=...)`` signs any claims with RS256; the default
  ``kid`` is the published one for both keys, so a forged token differs only in its signature.
  ``bot_framework_claims`` / ``entra_claims`` (and ``bot_framework_token`` / ``entra_token``)
  build typical channel tokens.
* ``env()`` gives the variables a subprocess needs (proxies, CA bundle, managed identity);
  ``subprocess_env()`` is ``os.environ`` without conflicting variables, plus ``env()``.
* Every answered request is appended to ``requests`` (``LoginRequest``, in answer order): host,
  method, path, query, selected headers (``RECORDED_HEADERS``; never ``Authorization`` or
  ``X-IDENTITY-HEADER``), form fields with secret values replaced by ``"***"``, route, status and
  ``credential_ok`` (whether the client secret / identity header matched; ``None`` when not
  checked). All state is guarded by a lock; the properties return copies.
* ``fail(route, status, times=1, body=None, headers=None)`` answers the next ``times`` requests
  for ``route`` with ``status`` (default body in that route's error shape) before any checks.
* Unexpected server-side errors (TLS handshakes a client aborted, handler exceptions) are
  appended to ``errors``.

Attributes ``client_id``, ``client_secret``, ``tenant_id``, ``identity_header``,
``managed_identity_client_id`` and ``token_lifetime`` may be changed at any time; requests read
them when answered.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import hashlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_HOST = "login.botframework.com"
BOT_FRAMEWORK_JWKS_URL = f"https://{BOT_FRAMEWORK_HOST}/v1/.well-known/keys"
BOT_FRAMEWORK_OPENID_URL = f"https://{BOT_FRAMEWORK_HOST}/v1/.well-known/openidconfiguration"
ENTRA_HOST = "login.microsoftonline.com"
ENTRA_AUTHORITY = f"https://{ENTRA_HOST}"
IDENTITY_PATH = "/msi/token"
IDENTITY_API_VERSION = "2019-08-01"

DEFAULT_TENANT_ID = "6b1f3c52-2f7e-4d3a-9c1e-5a8d0e4b7f21"
DEFAULT_CLIENT_ID = "3f9a1c7e-8b2d-4e6f-a1c3-9d7e5b2f8a40"
DEFAULT_CLIENT_SECRET = "stand-in-client-secret"
# The app id a channel token names as its caller (azp/appid); arbitrary, the SDK ignores it.
DEFAULT_CALLER_APP_ID = "0a5c8e3b-7d1f-4b9a-8e2c-6f4d1a3b5c70"
DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/emea/"

ROUTES = frozenset(
    {
        "botframework_keys",
        "botframework_openid",
        "entra_keys",
        "entra_openid",
        "instance_discovery",
        "token",
        "managed_identity",
    }
)
RECORDED_HEADERS = frozenset(
    {
        "accept",
        "content-type",
        "user-agent",
        "metadata",
        "client-request-id",
        "return-client-request-id",
        "x-client-sku",
        "x-client-ver",
        "x-client-os",
        "x-client-current-telemetry",
        "x-client-last-telemetry",
        "x-ms-lib-capability",
    }
)
SECRET_FIELDS = frozenset(
    {"client_secret", "client_assertion", "assertion", "refresh_token", "password", "code"}
)
# Variables that would make a subprocess bypass or confuse the stand-in; subprocess_env()
# drops them before adding env().
CONFLICTING_ENV = frozenset(
    {
        "ALL_PROXY",
        "all_proxy",
        "SSL_CERT_DIR",
        "IDENTITY_SERVER_THUMBPRINT",
        "IMDS_ENDPOINT",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    }
)
_MULTI_TENANTS = frozenset({"common", "organizations"})
_ENTRA_ALIASES = ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com"]
_HANDLER_TIMEOUT = 20.0  # seconds an idle connection (or a stuck handshake) is kept
_HOST_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")

Json = Any


@dataclass(frozen=True)
class LoginRequest:
    """One request as answered by the stand-in (secrets never included)."""

    scheme: str  # "https" inside a CONNECT tunnel, else "http"
    host: str  # lower-case host name, without port
    method: str
    path: str  # URL-decoded path
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names, only RECORDED_HEADERS
    form: dict[str, str]  # url-encoded POST body; SECRET_FIELDS values replaced by "***"
    route: str | None  # one of ROUTES, None for a 404
    status: int
    credential_ok: bool | None = None  # client secret / identity header matched (None: unchecked)
    tenant: str | None = None  # the {t} path segment of an Entra route
    injected: bool = False  # answered by fail(...)


@dataclass(frozen=True)
class IssuedToken:
    """An access token handed out by the token or managed-identity endpoint."""

    route: str  # "token" or "managed_identity"
    client_id: str
    resource: str  # the token's audience
    tenant_id: str
    access_token: str
    expires_on: int  # epoch seconds


@dataclass
class _Failure:
    route: str
    status: int
    remaining: int
    body: Json
    headers: dict[str, str]


@dataclass
class _Incoming:
    scheme: str
    host: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names, all headers (never stored as is)
    body: bytes
    direct: bool  # plain HTTP addressed to the proxy itself (origin form)


@dataclass
class _Answer:
    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)
    route: str | None = None
    credential_ok: bool | None = None
    tenant: str | None = None
    injected: bool = False


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _not_found(method: str, scheme: str, host: str, path: str) -> _Answer:
    message = f"login stand-in has no endpoint {method} {scheme}://{host}{path}"
    return _Answer(404, {"error": {"code": "NotFound", "message": message}})


def _entra_error(status: int, error: str, code: int, message: str) -> _Answer:
    now = _utcnow()
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    description = (
        f"AADSTS{code}: {message} Trace ID: {trace_id} Correlation ID: {correlation_id} "
        f"Timestamp: {now.strftime('%Y-%m-%d %H:%M:%S')}Z"
    )
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"{ENTRA_AUTHORITY}/error?code={code}",
    }
    return _Answer(status, body)


def _identity_error(status: int, message: str) -> _Answer:
    return _Answer(status, {"statusCode": status, "message": message})


def _default_failure_body(route: str, status: int) -> Json:
    if route == "managed_identity":
        return {"statusCode": status, "message": "injected failure"}
    if route in ("token", "entra_openid", "entra_keys", "instance_discovery"):
        return _entra_error(status, "temporarily_unavailable", 90006, "Injected failure.").body
    return {"error": {"code": "InjectedFailure", "message": f"injected failure ({status})"}}


def _split_host_port(target: str) -> tuple[str, int] | None:
    host, sep, port_text = target.rpartition(":")
    if not sep:
        host, port_text = target, "443"
    host = host.strip("[]").lower()
    if not host or not port_text.isdigit():
        return None
    return host, int(port_text)


def _is_valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOST_RE.match(host))
    return True


def bot_framework_claims(
    audience: str,
    *,
    service_url: str = DEFAULT_SERVICE_URL,
    lifetime: int = 3600,
    now: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Claims of a Bot Framework channel token as Teams sends it (issuer api.botframework.com)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "serviceurl": service_url,
        "nbf": issued,
        "exp": issued + lifetime,
        "iss": BOT_FRAMEWORK_ISSUER,
        "aud": audience,
    }
    claims.update(extra)
    return claims


def entra_claims(
    audience: str,
    *,
    tenant_id: str = DEFAULT_TENANT_ID,
    caller_app_id: str = DEFAULT_CALLER_APP_ID,
    service_url: str | None = DEFAULT_SERVICE_URL,
    lifetime: int = 3600,
    now: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Claims of an Entra ID v2.0 app token (issuer login.microsoftonline.com/{tenant}/v2.0)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "aud": audience,
        "iss": f"{ENTRA_AUTHORITY}/{tenant_id}/v2.0",
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
        "azp": caller_app_id,
        "azpacr": "1",
        "idtyp": "app",
        "oid": str(uuid.uuid4()),
        "sub": str(uuid.uuid4()),
        "tid": tenant_id,
        "ver": "2.0",
    }
    if service_url is not None:
        claims["serviceurl"] = service_url
    claims.update(extra)
    return claims


class _ProxyServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    # TCPServer rather than http.server.HTTPServer: that one does a reverse DNS lookup on bind.
    daemon_threads = False  # tracked, so server_close() joins them
    block_on_close = True
    request_queue_size = 64

    def __init__(self, standin: LoginStandIn) -> None:
        self.standin = standin
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if self.standin._is_stopping() or isinstance(exc, ConnectionError | ssl.SSLEOFError):
            return
        self.standin._note_error("".join(traceback.format_exception(exc)).rstrip())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = _HANDLER_TIMEOUT
    server: _ProxyServer
    tunnel_host: str | None = None
    _tls: ssl.SSLSocket | None = None

    def setup(self) -> None:
        super().setup()
        self.server.standin._register(self)

    def finish(self) -> None:
        self.server.standin._unregister(self)
        try:
            super().finish()
        except OSError:
            pass  # the client went away before the last flush
        finally:
            if self._tls is not None:
                self._tls.close()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are recorded; no stderr noise

    def shutdown_socket(self) -> None:
        """Shut the connection down from another thread (used by stop()); never raises."""
        # The plain socket method, also for an SSLSocket: SSLSocket.shutdown() would tear down
        # its SSL object under the reading thread.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)

    def do_CONNECT(self) -> None:
        standin = self.server.standin
        target = _split_host_port(self.path)
        if self.tunnel_host is not None or target is None or not _is_valid_host(target[0]):
            self._send_json(400, {"error": {"code": "BadRequest", "message": "bad CONNECT"}})
            self.close_connection = True
            return
        host = target[0]
        context = standin._server_context(host)
        standin._note_tunnel(host)
        self.send_response(200, "Connection Established")
        self.end_headers()
        tls = context.wrap_socket(self.connection, server_side=True, do_handshake_on_connect=False)
        self._tls = tls
        if not standin._swap_connection(self, tls):
            self.close_connection = True
            return
        try:
            tls.do_handshake()
        except (OSError, ValueError) as exc:
            if not standin._is_stopping():
                standin._note_error(f"TLS handshake for {host} failed: {exc!r}")
            self.close_connection = True
            return
        self.rfile.close()
        self.wfile.close()
        self.rfile = tls.makefile("rb")
        self.wfile = tls.makefile("wb")
        self.tunnel_host = host
        self.close_connection = False  # urllib's CONNECT is HTTP/1.0; the tunnel stays open

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            self._send_json(400, {"error": {"code": "BadRequest", "message": "bad body framing"}})
            self.close_connection = True
            return
        headers = {key.lower(): value for key, value in self.headers.items()}
        direct = False
        if self.tunnel_host is not None:
            scheme, host, target = "https", self.tunnel_host, self.path
        elif self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            scheme, host = parts.scheme, (parts.hostname or "").lower()
            target = parts.path + ("?" + parts.query if parts.query else "")
        else:
            host_header = headers.get("host", "127.0.0.1")
            scheme, host, target = "http", urlsplit("//" + host_header).hostname or "", self.path
            direct = True
        raw_path, _, raw_query = target.partition("?")
        incoming = _Incoming(
            scheme=scheme,
            host=host,
            method=self.command,
            path=unquote(raw_path or "/"),
            query=dict(parse_qsl(raw_query, keep_blank_values=True)),
            headers=headers,
            body=body,
            direct=direct,
        )
        answer = self.server.standin._answer(incoming)
        self._send_json(answer.status, answer.body, answer.headers)

    def _send_json(self, status: int, body: Json, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()


class LoginStandIn:
    """Microsoft login servers behind a local TLS-intercepting proxy (see the module doc)."""

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        tenant_id: str = DEFAULT_TENANT_ID,
        identity_header: str | None = None,
        managed_identity_client_id: str | None = None,
        token_lifetime: int = 3599,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenant_id = tenant_id
        self.identity_header = identity_header or secrets.token_urlsafe(24)
        self.managed_identity_client_id = managed_identity_client_id
        self.token_lifetime = token_lifetime

        self._lock = threading.RLock()
        self._requests: list[LoginRequest] = []
        self._issued: list[IssuedToken] = []
        self._tunnels: list[str] = []
        self._errors: list[str] = []
        self._failures: list[_Failure] = []
        self._handlers: set[_Handler] = set()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._stopping = False
        self._server: _ProxyServer | None = None
        self._thread: threading.Thread | None = None
        self._dir: str | None = None

        self._trusted_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._forger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_der = self._trusted_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashlib.sha1(public_der, usedforsecurity=False).digest()
        self.trusted_kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        numbers = self._trusted_key.public_key().public_numbers()
        self._jwk: dict[str, Any] = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.trusted_kid,
            "x5t": self.trusted_kid,
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
            "endorsements": ["msteams"],
        }
        self._ca_key, self._ca_cert = self._make_ca()
        self.ca_pem: bytes = self._ca_cert.public_bytes(serialization.Encoding.PEM)
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LoginStandIn:
        """Write the CA file and start serving; returns self."""
        if self._server is not None:
            raise RuntimeError("login stand-in already started")
        self._stopping = False
        self._contexts.clear()
        self._dir = tempfile.mkdtemp(prefix="login-standin-")
        with open(os.path.join(self._dir, "ca.pem"), "wb") as file:
            file.write(self.ca_pem)
        with open(os.path.join(self._dir, "leaf-key.pem"), "wb") as file:
            file.write(
                self._leaf_key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        self._server = _ProxyServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="login-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections, join all threads, remove the temp dir."""
        server, thread = self._server, self._thread
        if server is None:
            return
        with self._lock:
            self._stopping = True
        server.shutdown()  # no new connections after this returns
        with self._lock:
            for handler in self._handlers:
                handler.shutdown_socket()
        server.server_close()  # joins the connection threads
        if thread is not None:
            thread.join()
        self._server = self._thread = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> LoginStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> LoginStandIn:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses and environment ---------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("login stand-in not started")
        return int(self._server.server_address[1])

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def identity_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{IDENTITY_PATH}"

    @property
    def ca_file(self) -> str:
        """Path of the CA certificate (PEM) while started."""
        if self._dir is None:
            raise RuntimeError("login stand-in not started")
        return os.path.join(self._dir, "ca.pem")

    def env(self, *, managed_identity: bool = True) -> dict[str, str]:
        """Variables that send a subprocess's login traffic here.

        HTTPS goes through the proxy (urllib, ``requests``); plain HTTP to non-loopback hosts
        too, so nothing leaks to the network; loopback is reached directly. The CA is the only
        trusted root (``SSL_CERT_FILE`` for urllib/ssl, ``REQUESTS_CA_BUNDLE`` for requests).
        With ``managed_identity``, MSAL's App Service managed identity uses this stand-in.
        """
        proxy, ca_file = self.proxy_url, self.ca_file
        no_proxy = "127.0.0.1,localhost,::1"
        variables = {
            "HTTPS_PROXY": proxy,
            "https_proxy": proxy,
            "HTTP_PROXY": proxy,
            "http_proxy": proxy,
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
            "SSL_CERT_FILE": ca_file,
            "REQUESTS_CA_BUNDLE": ca_file,
            "CURL_CA_BUNDLE": ca_file,
        }
        if managed_identity:
            variables["IDENTITY_ENDPOINT"] = self.identity_endpoint
            variables["IDENTITY_HEADER"] = self.identity_header
        return variables

    def subprocess_env(
        self, base: Mapping[str, str] | None = None, *, managed_identity: bool = True
    ) -> dict[str, str]:
        """``base`` (default ``os.environ``) without conflicting variables, plus ``env()``."""
        source = os.environ if base is None else base
        variables = {key: value for key, value in source.items() if key not in CONFLICTING_ENV}
        if not managed_identity:
            variables.pop("IDENTITY_ENDPOINT", None)
            variables.pop("IDENTITY_HEADER", None)
        variables.update(self.env(managed_identity=managed_identity))
        return variables

    # -- tokens ------------------------------------------------------------------------------

    @property
    def jwks(self) -> dict[str, Any]:
        """The published key set (the trusted key only)."""
        return {"keys": [dict(self._jwk)]}

    def mint(
        self,
        claims: Mapping[str, Any],
        *,
        key: Literal["trusted", "forger"] = "trusted",
        kid: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """An RS256 JWT over ``claims``, signed with the published key or a forger's key.

        ``kid`` defaults to the published key id for both keys.
        """
        if key not in ("trusted", "forger"):
            raise ValueError(f"unknown key {key!r}")
        signing_key = self._trusted_key if key == "trusted" else self._forger_key
        header: dict[str, Any] = {"kid": kid or self.trusted_kid, "x5t": kid or self.trusted_kid}
        header.update(headers or {})
        return jwt.encode(dict(claims), signing_key, algorithm="RS256", headers=header)

    def bot_framework_token(
        self,
        audience: str | None = None,
        *,
        key: Literal["trusted", "forger"] = "trusted",
        **claims: Any,
    ) -> str:
        """A Bot Framework channel token for ``audience`` (default ``client_id``)."""
        return self.mint(bot_framework_claims(audience or self.client_id, **claims), key=key)

    def entra_token(
        self,
        audience: str | None = None,
        *,
        key: Literal["trusted", "forger"] = "trusted",
        **claims: Any,
    ) -> str:
        """An Entra v2.0 token for ``audience`` (default ``client_id``) from ``tenant_id``."""
        claims.setdefault("tenant_id", self.tenant_id)
        return self.mint(entra_claims(audience or self.client_id, **claims), key=key)

    def verify(self, token: str, *, audience: str | None = None) -> dict[str, Any]:
        """Decode ``token`` if the trusted key signed it (and it is for ``audience``, if given)."""
        claims: dict[str, Any] = jwt.decode(
            token,
            self._trusted_key.public_key(),
            algorithms=["RS256"],
            audience=audience,
            options={"verify_aud": audience is not None},
        )
        return claims

    # -- records -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[LoginRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def issued(self) -> list[IssuedToken]:
        with self._lock:
            return list(self._issued)

    @property
    def tunnels(self) -> list[str]:
        """Hosts of the CONNECT requests, in order."""
        with self._lock:
            return list(self._tunnels)

    @property
    def errors(self) -> list[str]:
        with self._lock:
            return list(self._errors)

    def requests_for(self, route: str | None) -> list[LoginRequest]:
        with self._lock:
            return [request for request in self._requests if request.route == route]

    def clear(self) -> None:
        """Forget recorded requests, issued tokens, tunnels, errors and queued failures."""
        with self._lock:
            self._requests.clear()
            self._issued.clear()
            self._tunnels.clear()
            self._errors.clear()
            self._failures.clear()

    def summary(self) -> str:
        lines = [
            f"{r.status} {r.method} {r.scheme}://{r.host}{r.path} route={r.route}"
            for r in self.requests
        ]
        return "\n".join(lines) or "(no requests)"

    def fail(
        self,
        route: str,
        status: int,
        times: int = 1,
        *,
        body: Json = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``times`` requests for ``route`` with ``status`` (see module doc)."""
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; expected one of {sorted(ROUTES)}")
        if body is None:
            body = _default_failure_body(route, status)
        with self._lock:
            self._failures.append(_Failure(route, status, times, body, dict(headers or {})))

    # -- internals ---------------------------------------------------------------------------

    def _make_ca(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Samtaleguide tests"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Samtaleguide login stand-in CA"),
            ]
        )
        now = _utcnow()
        public_key = key.public_key()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .sign(key, hashes.SHA256())
        )
        return key, cert

    def _leaf_certificate(self, host: str) -> x509.Certificate:
        try:
            alt_name: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alt_name = x509.DNSName(host)
        now = _utcnow()
        public_key = self._leaf_key.public_key()
        ca_ski = self._ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self._ca_cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([alt_name]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=True,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
                critical=False,
            )
            .sign(self._ca_key, hashes.SHA256())
        )

    def _server_context(self, host: str) -> ssl.SSLContext:
        """The TLS server context for ``host`` (leaf certificate minted on first use)."""
        with self._lock:
            context = self._contexts.get(host)
            if context is not None:
                return context
            if self._dir is None:
                raise RuntimeError("login stand-in not started")
            cert_file = os.path.join(self._dir, f"leaf-{len(self._contexts)}.pem")
            with open(cert_file, "wb") as file:
                file.write(self._leaf_certificate(host).public_bytes(serialization.Encoding.PEM))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_file, os.path.join(self._dir, "leaf-key.pem"))
            context.set_alpn_protocols(["http/1.1"])
            self._contexts[host] = context
            return context

    def _register(self, handler: _Handler) -> None:
        with self._lock:
            self._handlers.add(handler)
            if self._stopping:
                handler.shutdown_socket()

    def _unregister(self, handler: _Handler) -> None:
        with self._lock:
            self._handlers.discard(handler)

    def _swap_connection(self, handler: _Handler, tls: ssl.SSLSocket) -> bool:
        """Make ``tls`` the socket stop() shuts down; False when already stopping."""
        with self._lock:
            handler.connection = tls
            if self._stopping:
                handler.shutdown_socket()
                return False
            return True

    def _is_stopping(self) -> bool:
        with self._lock:
            return self._stopping

    def _note_error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)

    def _note_tunnel(self, host: str) -> None:
        with self._lock:
            self._tunnels.append(host)

    def _answer(self, incoming: _Incoming) -> _Answer:
        with self._lock:
            route, tenant = self._route(incoming)
            answer = self._injected(route)
            if answer is None:
                answer = self._dispatch(route, tenant, incoming)
            answer.route, answer.tenant = route, tenant
            self._record(incoming, answer)
            return answer

    def _route(self, incoming: _Incoming) -> tuple[str | None, str | None]:
        method, path = incoming.method, incoming.path
        if incoming.direct:
            if method == "GET" and path == IDENTITY_PATH:
                return "managed_identity", None
            return None, None
        if incoming.scheme != "https":
            return None, None
        if incoming.host == BOT_FRAMEWORK_HOST and method == "GET":
            if path == "/v1/.well-known/keys":
                return "botframework_keys", None
            if path == "/v1/.well-known/openidconfiguration":
                return "botframework_openid", None
            return None, None
        if incoming.host != ENTRA_HOST:
            return None, None
        if method == "GET" and path == "/common/discovery/instance":
            return "instance_discovery", None
        patterns = (
            ("GET", r"/([^/]+)/discovery/(?:v2\.0/)?keys", "entra_keys"),
            ("GET", r"/([^/]+)/v2\.0/\.well-known/openid-configuration", "entra_openid"),
            ("POST", r"/([^/]+)/oauth2/v2\.0/token", "token"),
        )
        for wanted_method, pattern, route in patterns:
            match = re.fullmatch(pattern, path)
            if match and method == wanted_method:
                return route, match.group(1)
        return None, None

    def _injected(self, route: str | None) -> _Answer | None:
        for failure in self._failures:
            if failure.route == route and failure.remaining > 0:
                failure.remaining -= 1
                if failure.remaining == 0:
                    self._failures.remove(failure)
                return _Answer(failure.status, failure.body, dict(failure.headers), injected=True)
        return None

    def _dispatch(self, route: str | None, tenant: str | None, incoming: _Incoming) -> _Answer:
        if route in ("botframework_keys", "entra_keys") and (
            tenant is None or self._known_tenant(tenant)
        ):
            return _Answer(200, self.jwks)
        if route == "botframework_openid":
            return _Answer(200, self._botframework_openid())
        if route == "entra_openid" and tenant is not None and self._known_tenant(tenant):
            return _Answer(200, self._entra_openid(tenant))
        if route in ("entra_keys", "entra_openid"):
            return _entra_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        if route == "instance_discovery":
            return self._instance_discovery(incoming)
        if route == "token" and tenant is not None:
            return self._token(tenant, incoming)
        if route == "managed_identity":
            return self._managed_identity(incoming)
        return _not_found(incoming.method, incoming.scheme, incoming.host, incoming.path)

    def _known_tenant(self, tenant: str) -> bool:
        return tenant.lower() in {self.tenant_id.lower(), *_MULTI_TENANTS}

    @staticmethod
    def _botframework_openid() -> dict[str, Any]:
        return {
            "issuer": BOT_FRAMEWORK_ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": BOT_FRAMEWORK_JWKS_URL,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    @staticmethod
    def _entra_openid(tenant: str) -> dict[str, Any]:
        base = f"{ENTRA_AUTHORITY}/{tenant}"
        issuer_tenant = "{tenantid}" if tenant.lower() in _MULTI_TENANTS else tenant
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{ENTRA_AUTHORITY}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "nonce",
                "tid",
                "ver",
            ],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    @staticmethod
    def _instance_discovery(incoming: _Incoming) -> _Answer:
        endpoint = urlsplit(incoming.query.get("authorization_endpoint", ""))
        if endpoint.scheme != "https" or (endpoint.hostname or "").lower() not in _ENTRA_ALIASES:
            return _entra_error(400, "invalid_instance", 50049, "Unknown or invalid instance.")
        tenant = next((part for part in endpoint.path.split("/") if part), "common")
        body = {
            "tenant_discovery_endpoint": (
                f"{ENTRA_AUTHORITY}/{tenant}/v2.0/.well-known/openid-configuration"
            ),
            "api-version": "1.1",
            "metadata": [
                {
                    "preferred_network": ENTRA_HOST,
                    "preferred_cache": "login.windows.net",
                    "aliases": [*_ENTRA_ALIASES, "sts.windows.net"],
                }
            ],
        }
        return _Answer(200, body)

    def _token(self, tenant: str, incoming: _Incoming) -> _Answer:
        form = dict(parse_qsl(incoming.body.decode("utf-8", "replace"), keep_blank_values=True))
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        authorization = incoming.headers.get("authorization", "")
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            basic_id, _, basic_secret = decoded.partition(":")
            client_id, client_secret = unquote(basic_id) or client_id, unquote(basic_secret)
        if tenant.lower() != self.tenant_id.lower():
            return _entra_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return _entra_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type "
                f"'{form.get('grant_type')}' (the stand-in knows client_credentials only).",
            )
        if not client_id or client_id.lower() != self.client_id.lower():
            return _entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory.",
            )
        if "client_assertion" in form:
            answer = _entra_error(
                400, "invalid_client", 700027, "Client assertions are not supported here."
            )
            answer.credential_ok = False
            return answer
        secret_ok = client_secret is not None and secrets.compare_digest(
            client_secret.encode("utf-8"), self.client_secret.encode("utf-8")
        )
        if not secret_ok:
            answer = _entra_error(
                400,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request "
                f"is the client secret value, not the client secret ID, for a secret added to "
                f"app '{client_id}'.",
            )
            answer.credential_ok = False
            return answer
        reserved = ("openid", "profile", "offline_access")
        scopes = [s for s in form.get("scope", "").split() if s not in reserved]
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            answer = _entra_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {form.get('scope', '')} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to the "
                "resource identifier (application ID URI).",
            )
            answer.credential_ok = True
            return answer
        resource = scopes[0].removesuffix("/.default")
        token, expires_on = self._issue("token", client_id, resource)
        body = {
            "token_type": "Bearer",
            "expires_in": expires_on - int(time.time()),
            "ext_expires_in": expires_on - int(time.time()),
            "access_token": token,
        }
        return _Answer(200, body, credential_ok=True)

    def _managed_identity(self, incoming: _Incoming) -> _Answer:
        sent = incoming.headers.get("x-identity-header")
        header_ok = sent is not None and secrets.compare_digest(
            sent.encode("utf-8"), self.identity_header.encode("utf-8")
        )
        if not header_ok:
            answer = _identity_error(401, "The X-IDENTITY-HEADER is missing or invalid.")
            answer.credential_ok = False
            return answer
        answer = self._managed_identity_token(incoming.query)
        answer.credential_ok = True
        return answer

    def _managed_identity_token(self, query: Mapping[str, str]) -> _Answer:
        if query.get("api-version") != IDENTITY_API_VERSION:
            return _identity_error(400, f"api-version must be {IDENTITY_API_VERSION}.")
        resource = query.get("resource")
        if not resource:
            return _identity_error(400, "Required query parameter 'resource' is missing.")
        if "mi_res_id" in query or "object_id" in query:
            return _identity_error(400, "The stand-in knows managed identities by client_id only.")
        client_id = query.get("client_id")
        if self.managed_identity_client_id is not None and (
            client_id is None or client_id.lower() != self.managed_identity_client_id.lower()
        ):
            return _identity_error(400, "Unable to load the proper Managed Identity.")
        client_id = client_id or "system-assigned"
        token, expires_on = self._issue("managed_identity", client_id, resource)
        body = {
            "access_token": token,
            "expires_on": str(expires_on),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id,
        }
        return _Answer(200, body)

    def _issue(self, route: str, client_id: str, resource: str) -> tuple[str, int]:
        now = int(time.time())
        expires_on = now + self.token_lifetime
        claims = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": expires_on,
            "appid": client_id,
            "azp": client_id,
            "appidacr": "1",
            "idtyp": "app",
            "oid": str(uuid.uuid4()),
            "sub": client_id,
            "tid": self.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        token = self.mint(claims)
        self._issued.append(
            IssuedToken(route, client_id, resource, self.tenant_id, token, expires_on)
        )
        return token, expires_on

    def _record(self, incoming: _Incoming, answer: _Answer) -> None:
        form: dict[str, str] = {}
        content_type = incoming.headers.get("content-type", "")
        if incoming.body and content_type.startswith("application/x-www-form-urlencoded"):
            pairs = parse_qsl(incoming.body.decode("utf-8", "replace"), keep_blank_values=True)
            form = {k: ("***" if k in SECRET_FIELDS else v) for k, v in pairs}
        query = {k: ("***" if k in SECRET_FIELDS else v) for k, v in incoming.query.items()}
        headers = {k: v for k, v in incoming.headers.items() if k in RECORDED_HEADERS}
        self._requests.append(
            LoginRequest(
                scheme=incoming.scheme,
                host=incoming.host,
                method=incoming.method,
                path=incoming.path,
                query=query,
                headers=headers,
                form=form,
                route=answer.route,
                status=answer.status,
                credential_ok=answer.credential_ok,
                tenant=answer.tenant,
                injected=answer.injected,
            )
        )
