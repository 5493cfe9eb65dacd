"""Periodic background jobs (follow-up reminders, retention): run each job, then wait.

A failing job is logged by type and does not stop the others or later rounds. Every job is safe
to run on several instances at once (reminders are claimed with ETags; deletes are idempotent).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger("samtaleguide.scheduler")


async def every(interval: float, jobs: Sequence[Callable[[], Awaitable[object]]]) -> None:
    while True:
        for job in jobs:
            try:
                await job()
            except Exception as error:
                log.error("background job failed: %s", type(error).__name__)
        await asyncio.sleep(interval)
