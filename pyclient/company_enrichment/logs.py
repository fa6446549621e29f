"""How the command line logs: plain text (the default) or, with ``--log-format json`` / ``WDH_LOG_FORMAT=json``,
one JSON object per line for log collectors: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``worker``,
``message``, and ``request_id`` and ``outcome`` where a line is about one request (``extra={...}``).

``worker`` is the name the queue worker's thread claims under (``host:pid:thread``), set with :func:`set_worker`;
other threads give their thread name. Secrets (the EQC token) are replaced by ``***`` in every line, whatever
format, as a last line of defence: the package never logs the token on purpose.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

__all__ = ["JsonFormatter", "LogFormat", "configure_logging", "set_worker"]

_local = threading.local()
REDACTED = "***"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def set_worker(name: str | None) -> None:
    """Name the worker the current thread works for (the ``worker`` field of its log lines)."""
    _local.worker = name


def _worker() -> str:
    name = getattr(_local, "worker", None)
    return name if name else threading.current_thread().name


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module's docstring)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "worker": _worker(),
            "message": record.getMessage(),
        }
        for key in ("request_id", "outcome"):
            if (value := getattr(record, key, None)) is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _redact(json.dumps(entry, ensure_ascii=False, default=str), self._secrets)


class _TextFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return _redact(super().format(record), self._secrets)


def configure_logging(level: str, log_format: LogFormat, *, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at ``level`` in ``log_format``; replaces any handlers set before (one call per process)."""
    handler = logging.StreamHandler()
    secret_list = list(secrets)
    handler.setFormatter(JsonFormatter(secret_list) if log_format is LogFormat.JSON else _TextFormatter(secret_list))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_company_enrichment", False):
            root.removeHandler(old)
    handler._company_enrichment = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
