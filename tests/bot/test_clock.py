"""The organisation's time, whatever the server's ``TZ``: summer and winter time in Copenhagen."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.tasks import clock_in

REPO = Path(__file__).resolve().parents[2]
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def test_summer_and_winter_time_in_copenhagen() -> None:
    summer = clock_in(COPENHAGEN, lambda: datetime(2026, 7, 1, 8, 0, 30, 999, tzinfo=UTC))
    winter = clock_in(COPENHAGEN, lambda: datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert summer() == datetime(2026, 7, 1, 10, 0, 30)  # CEST, to the second
    assert winter() == datetime(2026, 12, 1, 9, 0)  # CET


def test_the_servers_own_time_zone_does_not_matter() -> None:
    script = (
        "from datetime import UTC, datetime\n"
        "from zoneinfo import ZoneInfo\n"
        "from bot.tasks import clock_in\n"
        "print(clock_in(ZoneInfo('Europe/Copenhagen'))().isoformat())\n"
        "print(datetime.now(UTC).astimezone(ZoneInfo('Europe/Copenhagen')).hour)\n"
    )
    outputs = []
    for tz in ("UTC", "Pacific/Auckland", "America/Los_Angeles"):
        env = {**os.environ, "TZ": tz, "PYTHONPATH": str(REPO)}
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        stamp, hour = result.stdout.split()
        outputs.append(int(stamp[11:13]) == int(hour))
    assert outputs == [True, True, True]
