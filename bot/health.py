"""``GET /healthz`` (liveness) and ``GET /readyz`` (readiness) for the host's probes.

- ``/healthz`` says the process serves HTTP: it does no I/O, so a storage outage never gets a
  healthy instance restarted (the bot answers presses with a calm "try again" card meanwhile).
- ``/readyz`` says the instance can do its work: it loads a key that is never stored
  (``PROBE_KEY``) through the record store, which reaches storage the way every press does
  (the container, the credential, the network). 200 ``{"status": "ready"}``, or 503
  ``{"status": "not ready", "reason": ...}`` with a short fixed reason, within ``TIMEOUT``
  seconds. Concurrent probes share one check, and a result is reused for ``REUSE`` seconds, so
  the route cannot be used to flood storage. A change between ready and not ready is logged
  (the error's type only).

Neither answer carries content; both are ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from storage.errors import StorageError
from storage.protocols import Store

log = logging.getLogger("samtaleguide.health")

PROBE_KEY = "readiness/probe"  # never written: its load costs one read that finds nothing
TIMEOUT = 2.0  # seconds a readiness check may take (the Bicep probe waits 3)
REUSE = 1.0  # seconds a finished check answers later probes
_NO_STORE = {"Cache-Control": "no-store"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def liveness(storage_kind: str, concept_id: str) -> Handler:
    async def healthz(_: web.Request) -> web.Response:
        body = {"status": "ok", "storage": storage_kind, "concept": concept_id}
        return web.json_response(body, headers=_NO_STORE)

    return healthz


class Readiness:
    """Whether storage answers: ``check()`` is ``None`` when ready, else a short reason."""

    def __init__(
        self,
        store: Store[Any],
        *,
        timeout: float = TIMEOUT,
        reuse: float = REUSE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._timeout = timeout
        self._reuse = reuse
        self._clock = clock
        self._running: asyncio.Task[str | None] | None = None
        self._last: tuple[float, str | None] | None = None
        self._ready: bool | None = None

    async def check(self) -> str | None:
        if self._last is not None and self._clock() - self._last[0] < self._reuse:
            return self._last[1]
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._probe())
        return await asyncio.shield(self._running)

    async def _probe(self) -> str | None:
        reason: str | None = None
        error = ""
        try:
            async with asyncio.timeout(self._timeout):
                await self._store.load(PROBE_KEY)
        except TimeoutError:
            reason, error = "storage did not answer in time", "TimeoutError"
        except StorageError as failure:
            reason, error = "storage unreachable", type(failure).__name__
        except Exception as failure:  # a readiness check answers; it never fails itself
            reason, error = "storage check failed", type(failure).__name__
        self._last = (self._clock(), reason)
        ready = reason is None
        if ready != self._ready:
            if ready:
                log.info("ready: storage answers")
            else:
                log.warning("not ready: %s (%s)", reason, error)
            self._ready = ready
        return reason

    async def handle(self, _: web.Request) -> web.Response:
        reason = await self.check()
        if reason is None:
            return web.json_response({"status": "ready"}, headers=_NO_STORE)
        body = {"status": "not ready", "reason": reason}
        return web.json_response(body, status=503, headers=_NO_STORE)
