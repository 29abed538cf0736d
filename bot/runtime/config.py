"""Settings: read once from the environment and an optional `.env` file."""

from __future__ import annotations

import logging
import os
import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.schedule import parse_digest_time

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/bot.db"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What Telegram accepts as a webhook's secret_token.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LISTEN_HELP = "must be host:port, e.g. 0.0.0.0:8080 or [::1]:9090"


def database_url(value: str) -> str:
    """Check a database URL and pick the async driver for the URLs operators usually have at
    hand (`postgres://`, `postgresql://`, `sqlite:///`); ValueError says what is accepted."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("sqlite:///", "sqlite+aiosqlite:///"),
    ):
        if value.startswith(plain):
            value = driver + value.removeprefix(plain)
    if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError(
            "must start with sqlite+aiosqlite:/// or postgresql+asyncpg://, "
            f"e.g. {DEFAULT_DATABASE_URL}"
        )
    return value


class DigestSettings(BaseModel):
    """DIGEST__*: when digests come and what they cover."""

    model_config = ConfigDict(frozen=True)

    # The local time of a new chat's daily digest (HH:MM); /digest changes it per chat.
    default_time: str = "08:00"
    # How far a chat's first digest reaches back.
    first_lookback_hours: float = Field(24.0, gt=0, le=24 * 14)
    # A digest missed while the bot was down is sent late if at most this old; an older one is
    # folded into the next digest, whose span then covers both.
    missed_window_hours: float = Field(6.0, ge=0, le=24)
    # A digest's span ends this long before the moment it is planned, so an ingest batch
    # stamped just before the digest time but committed just after is not missed.
    settle_seconds: float = Field(10.0, ge=0, le=600)
    # How often the scheduler's tick looks for due digests and new articles to alert.
    tick_seconds: float = Field(30.0, ge=0.05, le=3600)
    # Articles listed in one digest message at most (each gets a button; "More" shows the rest).
    max_items: int = Field(10, ge=1, le=30)
    # Send "nothing new" instead of staying silent when a digest would be empty.
    send_empty: bool = False

    @field_validator("default_time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        try:
            minute = parse_digest_time(value)
        except ValueError:
            raise ValueError("must be a time of day as HH:MM, e.g. 08:00") from None
        return f"{minute // 60:02d}:{minute % 60:02d}"

    @property
    def default_minute(self) -> int:
        """The default digest time as a minute of the day."""
        return parse_digest_time(self.default_time)


class FloodSettings(BaseModel):
    """FLOOD__*: the proactive budget every message the bot sends goes through."""

    model_config = ConfigDict(frozen=True)

    # Messages per second overall (Telegram allows about 30); 0 switches the overall limit off.
    rate: float = Field(25.0, ge=0, le=10_000)
    # Seconds between two messages to one chat (Telegram: about one per second); 0 = off.
    per_chat_interval: float = Field(1.0, ge=0, le=60)
    # Messages a reply to a person may send to one chat at once (a /topic page) before the
    # interval applies; digests and alerts keep one per interval.
    per_chat_burst: int = Field(4, ge=1, le=100)
    # Messages per minute to one group (Telegram: 20); 0 = off.
    group_per_minute: int = Field(20, ge=0, le=10_000)
    # How often one message is retried after 429 answers before it is handed back to the
    # ledger (a digest is then sent on a later pass; an interactive reply gives up).
    max_retries: int = Field(5, ge=0, le=100)


class DeliverySettings(BaseModel):
    """DELIVERY__*: how the sender works through the ledger."""

    model_config = ConfigDict(frozen=True)

    # Sends in flight at once (each still waits for the flood budget): enough to keep the
    # budget busy while Telegram takes its time to answer (rate x answer time: 25/s at 0.2 s
    # is 5); more costs CPU time for nothing.
    concurrency: int = Field(8, ge=1, le=1000)
    # Ledger rows claimed at a time. Two batches are in flight at most, so at most twice this
    # many rows are "sending" when the process dies: that bounds the duplicates a crash causes.
    batch: int = Field(64, ge=1, le=10_000)
    # A send with no answer (timeout, dropped connection) may have been delivered; it is sent
    # again up to this many attempts in all, then recorded as failed.
    max_attempts: int = Field(3, ge=1, le=20)
    # How long to wait for Telegram's answer to a pushed message before calling it ambiguous.
    timeout_seconds: float = Field(10.0, gt=0, le=300)
    # How long a claim on a ledger row holds. Several processes share the ledger on
    # PostgreSQL: a row a process left "sending" (it died) is taken over by another once its
    # lease has run out; a live sender renews its leases with each heartbeat (a third of this,
    # at most every 5 s), so a slow batch never loses its claim.
    lease_seconds: float = Field(60.0, ge=0.5, le=3600)
    # Finished ledger rows (sent, failed, empty) and the articles of their digests are deleted
    # this many days after their last change; "More" under an older digest then has no more.
    keep_days: int = Field(30, ge=1, le=3650)


class UpdatesSettings(BaseModel):
    """UPDATES__*: how updates from Telegram are handled."""

    model_config = ConfigDict(frozen=True)

    # Updates handled at once, in order within each chat (different chats never wait for
    # each other); a handler takes a database connection only while it reads or writes.
    concurrency: int = Field(64, ge=1, le=10_000)


class Settings(BaseSettings):
    """Every setting an operator can change; see the README's settings table."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        # DIGEST__DEFAULT_TIME=07:30 sets digest.default_time.
        env_nested_delimiter="__",
    )

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_url: str = "https://api.telegram.org"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    log_json: bool = False
    # `digestbot run --webhook`: the public URL Telegram posts updates to, the secret it sends
    # back in a header with each one, and where this process listens behind the proxy.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1:8080"
    # Where /healthz and /metrics are served, in every mode; empty means off.
    metrics_listen: str | None = None
    digest: DigestSettings = DigestSettings()
    flood: FloodSettings = FloodSettings()
    delivery: DeliverySettings = DeliverySettings()
    updates: UpdatesSettings = UpdatesSettings()

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        return database_url(value)

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL, e.g. https://api.telegram.org")
        return value.rstrip("/")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in value.replace(",", " ").split() if part]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError:
                raise ValueError(
                    "must be Telegram user ids separated by commas, e.g. 12345,67890"
                ) from None
        return value

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone name, e.g. Europe/Kyiv or UTC") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _check_log_level(cls, value: object) -> object:
        if isinstance(value, str) and value.upper() in LOG_LEVELS:
            return value.upper()
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")

    @property
    def log_level_number(self) -> int:
        """Return the `logging` level number of LOG_LEVEL."""
        return logging.getLevelNamesMapping()[self.log_level]

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")) or len(value) > 2048:
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1 to 256 characters, each A-Z, a-z, 0-9, _ or -")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _check_webhook_listen(cls, value: str) -> str:
        parse_listen(value)
        return value.strip()

    @field_validator("metrics_listen")
    @classmethod
    def _check_metrics_listen(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in ("", "off"):
            return None
        parse_listen(value)
        return value.strip()


def describe_error(error: ValidationError) -> str:
    """Return one line per bad setting, naming the environment variable and what it accepts."""
    lines = []
    for item in error.errors():
        name = "__".join(str(part) for part in item["loc"]).upper() if item["loc"] else "settings"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"setting {name}: {message}")
    return "\n".join(lines)


class CannotListen(Exception):
    """A `host:port` setting names an address this process cannot listen on."""

    def __init__(self, setting: str, host: str, port: int, error: OSError) -> None:
        reason = os.strerror(error.errno) if error.errno else str(error)
        super().__init__(
            f"cannot listen on {host}:{port} ({setting}): {reason}. Free that port or set "
            f"{setting} to another host:port."
        )


def parse_listen(value: str) -> tuple[str, int]:
    """Split a `host:port` setting (`[::1]:9090` for IPv6); raise ValueError if malformed."""
    host, sep, port = value.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or int(port) > 65535 or " " in host:
        raise ValueError(_LISTEN_HELP)
    return host, int(port)
