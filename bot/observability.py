"""Structured logs: one JSON object per line, with a correlation id, and no conversation content.

``configure_logging`` installs ``JsonFormatter`` on the root logger. ``correlation`` holds the id
of the request being handled (the activity id, or a fresh one) so every line of one request can
be found together. Exceptions are logged by type and stack frames only: their messages can carry
data, so they are left out. Log calls in this project pass ids, verbs, counts and status codes,
never names or texts typed by people.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

correlation: ContextVar[str] = ContextVar("correlation", default="-")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "correlation"}


def new_correlation(activity_id: str | None = None) -> str:
    value = (activity_id or uuid.uuid4().hex)[:64]
    correlation.set(value)
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation": getattr(record, "correlation", "-"),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _, tb = record.exc_info
            entry["exception"] = exc_type.__name__
            entry["stack"] = traceback.format_tb(tb)[-8:]
        return json.dumps(entry, ensure_ascii=False, default=str)


_base_factory = logging.getLogRecordFactory()


def _record_with_correlation(*args: object, **kwargs: object) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.correlation = correlation.get()
    return record


def configure_logging(level: str) -> None:
    logging.setLogRecordFactory(_record_with_correlation)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party loggers may print request and response bodies (conversation content) when
    # chatty: keep them at WARNING whatever our own level is.
    for name in ("aiohttp.access", "msal", "azure", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # The Agents SDK warns on every unauthenticated turn ("App ID is not provided"); its
    # failures reach our own log lines anyway.
    logging.getLogger("microsoft_agents").setLevel(logging.ERROR)
