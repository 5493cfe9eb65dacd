"""How the HTTP server runs: the bounds on slow and idle clients, in one place.

``ServerLimits`` holds them; ``create_app`` keeps them on the application (``LIMITS_KEY``) and
``serve`` starts aiohttp with them (``python app.py``, and so ``deploy/start.sh``, the Docker image
and ``scripts/run-local.sh``); the tests' ``BotServer`` passes the same ``runner_options``.

What is bounded, and by what (aiohttp has no header-read timeout of its own):

- **An idle connection, and one whose request headers do not arrive**: aiohttp's keep-alive
  timer (``keepalive_timeout``). It runs from the moment the connection is made and again from
  each answer, and closes the connection when it fires while the server is still waiting for a
  request's headers (aiohttp 3.14.5, the version ``pyproject.toml`` asks for at least, starts
  it at the connection; older versions could leave a connection that never sent a request
  open for good). So a client has ``idle`` seconds from connecting (or from the last answer)
  to deliver a whole request head.
- **A request body that does not arrive**: ``read_body`` reads it within ``body`` seconds; the
  endpoint answers 408 and closes the connection otherwise.
- **A body nobody reads** (a GET with a body, or a refused POST): after the answer aiohttp drains
  it for at most ``linger`` seconds, then closes the connection.
- **Oversized request lines and headers**: 400 from aiohttp's parser (``max_line_size``,
  ``max_field_size``, ``max_headers``); bodies over ``app.MAX_BODY`` are 413. A malformed request
  is logged as one WARNING line with the error's type (``ServerLog``), never with aiohttp's
  traceback and the bytes the client sent.
- **Shutdown**: requests under way get ``shutdown`` seconds before the app's own cleanup (which
  lets background work finish within ``app.SHUTDOWN_GRACE``); hosts allow about 30 s in all.

A handler is not cancelled when its client goes away (``handler_cancellation=False``): a card
press that has begun saving finishes, so a conversation is never left half-changed.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError


@dataclass(frozen=True)
class ServerLimits:
    idle: float = 15.0  # seconds: keep-alive, and the time to deliver a request's headers
    body: float = 10.0  # seconds to read a request body (256 KB at most)
    linger: float = 2.0  # seconds to drain an unread body after the answer
    shutdown: float = 5.0  # seconds requests under way get on shutdown
    max_line_size: int = 8190  # bytes of the request line
    max_field_size: int = 8190  # bytes of one header (a Bot Framework token is about 2 KB)
    max_headers: int = 100


LIMITS_KEY = web.AppKey("server_limits", ServerLimits)


class SlowBody(Exception):
    """The request body did not arrive within ``ServerLimits.body`` seconds."""


class ServerLog(logging.LoggerAdapter):
    """aiohttp's server log. A request the HTTP parser refuses is the client's doing: one
    WARNING line with the error's type, where aiohttp would log an ERROR with its traceback and
    the offending bytes. Anything else is logged as aiohttp logs it."""

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        error = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1]
        if isinstance(error, HttpProcessingError):
            self.logger.warning("malformed request refused: %s", type(error).__name__)
            return
        self.logger.error(msg, *args, exc_info=exc_info, **kwargs)


SERVER_LOG = ServerLog(logging.getLogger("aiohttp.server"), {})


def runner_options(limits: ServerLimits) -> dict[str, Any]:
    """Keyword arguments for ``web.AppRunner`` (and ``web.run_app``) that apply ``limits``."""
    return {
        "keepalive_timeout": limits.idle,
        "lingering_time": limits.linger,
        "shutdown_timeout": limits.shutdown,
        "max_line_size": limits.max_line_size,
        "max_field_size": limits.max_field_size,
        "max_headers": limits.max_headers,
        "handler_cancellation": False,
        "logger": SERVER_LOG,
    }


def serve(app: web.Application, host: str, port: int) -> None:
    """Serve ``app`` on ``host:port`` until SIGINT or SIGTERM, with the app's limits."""
    options = runner_options(app[LIMITS_KEY])
    web.run_app(app, host=host, port=port, print=None, **options)


async def read_body(request: web.Request) -> bytes:
    """The request's body, read within the app's ``body`` limit (``SlowBody`` otherwise;
    ``web.HTTPRequestEntityTooLarge`` over the size limit, as aiohttp raises it)."""
    limits = request.app.get(LIMITS_KEY) or ServerLimits()
    try:
        async with asyncio.timeout(limits.body):
            return await request.read()
    except TimeoutError:
        raise SlowBody from None
