"""One start-up adjustment to the Bot Framework SDK's HTTP layer, for speed only.

msrest 0.7.1's ``ClientRetryPolicy.__init__`` builds its status list with
``[i for i in range(999) if i not in self.safe_codes]`` where ``safe_codes`` is a 500-item list:
3–5 ms of CPU each time, and botbuilder builds two per incoming activity and two per proactive
turn (measured in ``bench/live_press_latency.py``: a fifth of the app's CPU per press). Making
``safe_codes`` a frozenset of the same codes gives the identical list in microseconds; it is only
ever used with ``in``. ``tune_sdk()`` is idempotent and called by ``app.create_app``.
"""

from __future__ import annotations


def tune_sdk() -> None:
    from msrest.universal_http.requests import ClientRetryPolicy

    codes = ClientRetryPolicy.safe_codes
    if not isinstance(codes, frozenset):
        ClientRetryPolicy.safe_codes = frozenset(codes)  # type: ignore[assignment]
