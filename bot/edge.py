"""The Agents SDK's pieces the app is wired from, made from the settings in one place.

``sdk_edge(settings)`` gives the adapter that runs each turn (with our error boundary as its
``on_turn_error``), the ``Authenticator`` of incoming activities and the token source for
outgoing Bot Connector calls; the adapter's turns and the outgoing calls share one connection,
so one token cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from microsoft_agents.hosting.aiohttp import CloudAdapter

from bot.auth import Authenticator, auth_configuration, bot_connector_tokens, connections
from bot.boundary import turn_error_handler
from bot.teams import TokenSource
from settings import Settings


@dataclass(frozen=True)
class SdkEdge:
    adapter: CloudAdapter
    authenticator: Authenticator
    tokens: TokenSource


def sdk_edge(settings: Settings) -> SdkEdge:
    auth = auth_configuration(settings)
    sdk_connections = connections(auth)
    adapter = CloudAdapter(connection_manager=sdk_connections)
    adapter.on_turn_error = turn_error_handler(settings.locale_override)
    tokens = bot_connector_tokens(sdk_connections.get_default_connection())
    return SdkEdge(adapter, Authenticator(auth), tokens)
