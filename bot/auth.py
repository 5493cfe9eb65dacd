"""Authentication with the Agents SDK, and the one place where our settings become its terms.

``auth_configuration(settings)`` maps the Azure Bot settings (``MicrosoftAppId``,
``MicrosoftAppPassword``, ``MicrosoftAppType``, ``MicrosoftAppTenantId``) to the SDK's
``AgentAuthConfiguration``; ``token_provider`` gives outgoing Bot Connector tokens (MSAL: a client
secret, or a user-assigned managed identity; none without an app id); ``Authenticator`` checks
every incoming activity.

Incoming: the SDK's ``JwtTokenValidator`` checks the token's signature against the issuer's
published keys (Bot Framework, or Entra ID for the app's tenant), its audience (our app id), its
lifetime, and with ``VALIDATE_ISSUER`` its issuer. On top of that, an activity must name the
service URL the token was issued for (the ``serviceurl`` claim, compared whenever the token
carries one; an activity without a service URL is refused), and the token's lifetime is checked
again with a clock skew of ``CLOCK_SKEW`` seconds instead of the SDK's five minutes. The key fetch
runs in a thread the SDK starts; our wait for it is bounded by ``AUTH_TIMEOUT`` (the thread may
run on until the key client's own timeout). Without an app id every
activity is accepted (local use only: the app refuses to listen beyond loopback then, unless told).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import jwt
from microsoft_agents.activity import Activity
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import ConnectionManager
from microsoft_agents.hosting.core.authorization import (
    AccessTokenProviderBase,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    AuthTypes,
    ClaimsIdentity,
    JwtTokenValidator,
)

from bot.teams import TokenSource, TokenUnavailable
from settings import Settings

log = logging.getLogger("samtaleguide.auth")

BOT_FRAMEWORK = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = f"{BOT_FRAMEWORK}/.default"
MULTI_TENANT_AUTHORITY_TENANT = "botframework.com"
CLOCK_SKEW = 60  # seconds a token's lifetime may be off by (the SDK itself allows 300)
AUTH_TIMEOUT = 5.0  # seconds to validate a token, fetching the issuer's keys included


class Unauthorized(Exception):
    """The activity's token is missing or does not validate; answered with 401."""


class _MsalTokens(MsalAuth):
    """The SDK's MSAL token provider, failing with ``TokenUnavailable`` (never with MSAL's own
    error text, which can carry the request) when Entra ID gives no token."""

    async def get_access_token(
        self, resource_url: str, scopes: list[str], force_refresh: bool = False
    ) -> str:
        try:
            return await super().get_access_token(resource_url, scopes, force_refresh)
        except Exception as error:
            raise TokenUnavailable(type(error).__name__) from None


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """Our settings in the SDK's terms (names mapped here and nowhere else)."""
    if not settings.app_id:
        return AgentAuthConfiguration(anonymous_allowed=True)
    if settings.app_type == "UserAssignedMSI":
        auth_type = AuthTypes.user_managed_identity
    else:
        auth_type = AuthTypes.client_secret
    tenant = settings.app_tenant_id
    if settings.app_type == "MultiTenant":
        tenant = MULTI_TENANT_AUTHORITY_TENANT
    return AgentAuthConfiguration(
        auth_type=auth_type,
        client_id=settings.app_id,
        tenant_id=tenant,
        client_secret=settings.app_password or None,
        anonymous_allowed=False,
        validate_issuer=True,
    )


def token_provider(config: AgentAuthConfiguration) -> AccessTokenProviderBase:
    """Outgoing tokens: MSAL for a configured app, none (``""``) for unauthenticated local use."""
    if not config.CLIENT_ID:
        return AnonymousTokenProvider()
    return _MsalTokens(config)


def connections(config: AgentAuthConfiguration) -> ConnectionManager:
    """The SDK's connection manager with our one connection (its token cache is shared by the
    adapter's turns and the outbound Teams client)."""
    return ConnectionManager(
        provider_factory=token_provider,
        connections_configurations={"SERVICE_CONNECTION": config},
    )


def bot_connector_tokens(provider: AccessTokenProviderBase) -> TokenSource:
    async def token() -> str:
        return await provider.get_access_token(BOT_FRAMEWORK, [BOT_FRAMEWORK_SCOPE])

    return token


class Authenticator:
    def __init__(
        self, config: AgentAuthConfiguration, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self._validator = JwtTokenValidator(config)
        self._clock = clock

    @property
    def required(self) -> bool:
        return not self.config.ANONYMOUS_ALLOWED

    async def claims(self, header: str | None, activity: Activity) -> ClaimsIdentity:
        """The validated claims of the request's token, or ``Unauthorized``."""
        if not self.required:
            return ClaimsIdentity()
        parts = (header or "").split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            raise Unauthorized("no bearer token")
        if not activity.service_url:
            raise Unauthorized("activity without a service url")
        try:
            async with asyncio.timeout(AUTH_TIMEOUT):
                identity = await self._validator.validate_token(parts[1])
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
            raise Unauthorized(type(error).__name__) from None
        except TimeoutError:
            raise Unauthorized("key fetch timed out") from None
        claims = identity.claims
        service_url = claims.get("serviceurl")
        if service_url is not None and service_url != activity.service_url:
            raise Unauthorized("token issued for another service url")
        now = self._clock()
        expires, not_before = claims.get("exp"), claims.get("nbf")
        if not isinstance(expires, int | float) or now > expires + CLOCK_SKEW:
            raise Unauthorized("expired")
        if isinstance(not_before, int | float) and now < not_before - CLOCK_SKEW:
            raise Unauthorized("not yet valid")
        return identity
