"""Logging: one line per event, plain or JSON, and never a bot token."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

# A Telegram bot token: the bot's numeric id, a colon, 35 URL-safe characters.
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace anything that looks like a bot token, and each of `secrets`."""
    text = _TOKEN.sub("<token>", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<secret>")
    return text


class _Redacting(logging.Formatter):
    def __init__(self, fmt: str, secrets: tuple[str, ...]) -> None:
        super().__init__(fmt)
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


class _Json(logging.Formatter):
    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str), self._secrets)


def configure_logging(level: int, *, as_json: bool = False, secrets: Iterable[str] = ()) -> None:
    """Send logs to stderr at `level`; request URLs contain the token, so quiet httpx.

    `secrets` (the bot token, the webhook secret) are replaced wherever they appear, even
    where a library logs request parameters at DEBUG level."""
    hidden = tuple(sorted({secret for secret in secrets if secret}, key=len, reverse=True))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _Json(hidden)
        if as_json
        else _Redacting("%(asctime)s %(levelname)s %(name)s: %(message)s", hidden)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access", "alembic", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
