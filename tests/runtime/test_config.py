"""Settings: defaults, the environment (nested with `__`), `.env`, the one line a bad value
gets, and secrets that never show."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.runtime.config import (
    DEFAULT_DATABASE_URL,
    CannotListen,
    DeliverySettings,
    DigestSettings,
    FloodSettings,
    Settings,
    database_url,
    describe_error,
)

GROUPS = ("DIGEST__", "FLOOD__", "DELIVERY__")
TOKEN = "123456:secret-token-value"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting from the machine running the tests, and no `.env` beside them."""
    fields = {name.upper() for name in Settings.model_fields}
    for name in list(os.environ):
        if name.upper() in fields or name.upper().startswith(GROUPS):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def refusal() -> str:
    """The lines describe_error gives for the settings the environment holds."""
    with pytest.raises(ValidationError) as refused:
        Settings()
    return describe_error(refused.value)


def test_defaults_run_a_local_bot_on_sqlite() -> None:
    settings = Settings()
    assert settings.bot_token is None
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///data/bot.db"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.admin_ids == frozenset()
    assert settings.default_timezone == "UTC"
    assert (settings.log_level, settings.log_level_number) == ("INFO", logging.INFO)
    assert settings.log_json is False
    assert settings.digest == DigestSettings()
    assert settings.flood == FloodSettings()
    assert settings.delivery == DeliverySettings()


def test_group_defaults() -> None:
    digest = DigestSettings()
    assert (digest.default_time, digest.default_minute) == ("08:00", 8 * 60)
    assert (digest.max_items, digest.send_empty, digest.tick_seconds) == (10, False, 30.0)
    flood = FloodSettings()
    assert (flood.rate, flood.per_chat_interval, flood.group_per_minute) == (25.0, 1.0, 20)
    delivery = DeliverySettings()
    assert (delivery.concurrency, delivery.batch, delivery.max_attempts) == (8, 64, 3)
    assert delivery.keep_days == 30


def test_the_environment_sets_flat_and_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "BOT_TOKEN": TOKEN,
        "ADMIN_IDS": "12345, 67890 42",
        "DEFAULT_TIMEZONE": "Europe/Kyiv",
        "LOG_LEVEL": "debug",
        "LOG_JSON": "true",
        "DIGEST__DEFAULT_TIME": "7:05",
        "DIGEST__SEND_EMPTY": "1",
        "FLOOD__RATE": "12.5",
        "DELIVERY__MAX_ATTEMPTS": "5",
        "SOMETHING_ELSE": "ignored",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.admin_ids == frozenset({12345, 67890, 42})
    assert settings.default_timezone == "Europe/Kyiv"
    assert (settings.log_level, settings.log_level_number) == ("DEBUG", logging.DEBUG)
    assert settings.log_json is True
    assert settings.digest.default_time == "07:05"  # written the one way
    assert settings.digest.default_minute == 7 * 60 + 5
    assert settings.digest.send_empty is True
    assert settings.digest.max_items == DigestSettings().max_items  # the rest keep defaults
    assert settings.flood.rate == 12.5
    assert settings.delivery.max_attempts == 5


def test_the_environment_wins_over_the_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "DIGEST__MAX_ITEMS=5\nDEFAULT_TIMEZONE=Europe/Kyiv\n", encoding="utf-8"
    )
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Asia/Tokyo")
    settings = Settings()
    assert settings.digest.max_items == 5
    assert settings.default_timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db"),
        ("sqlite+aiosqlite:////var/lib/bot.db", "sqlite+aiosqlite:////var/lib/bot.db"),
        ("postgres://u:p@db/bot", "postgresql+asyncpg://u:p@db/bot"),
        ("postgresql://u@db:5432/bot", "postgresql+asyncpg://u@db:5432/bot"),
        ("postgresql+asyncpg://db/bot", "postgresql+asyncpg://db/bot"),
    ],
)
def test_database_urls_get_the_async_driver(given: str, used: str) -> None:
    assert database_url(given) == used
    assert Settings(database_url=given).database_url == used


def test_the_api_url_loses_its_trailing_slash() -> None:
    settings = Settings(telegram_api_url="http://127.0.0.1:8081/")
    assert settings.telegram_api_url == "http://127.0.0.1:8081"


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        (
            "DATABASE_URL",
            "mysql://db/bot",
            "setting DATABASE_URL: must start with sqlite+aiosqlite:/// or "
            "postgresql+asyncpg://, e.g. sqlite+aiosqlite:///data/bot.db",
        ),
        (
            "TELEGRAM_API_URL",
            "api.telegram.org",
            "setting TELEGRAM_API_URL: must be an http:// or https:// URL, "
            "e.g. https://api.telegram.org",
        ),
        (
            "ADMIN_IDS",
            "12345,alice",
            "setting ADMIN_IDS: must be Telegram user ids separated by commas, e.g. 12345,67890",
        ),
        (
            "DEFAULT_TIMEZONE",
            "Mars/Olympus",
            "setting DEFAULT_TIMEZONE: must be an IANA time zone name, e.g. Europe/Kyiv or UTC",
        ),
        (
            "LOG_LEVEL",
            "loud",
            "setting LOG_LEVEL: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        ),
        (
            "DIGEST__DEFAULT_TIME",
            "25:00",
            "setting DIGEST__DEFAULT_TIME: must be a time of day as HH:MM, e.g. 08:00",
        ),
        (
            "DIGEST__MAX_ITEMS",
            "31",
            "setting DIGEST__MAX_ITEMS: Input should be less than or equal to 30",
        ),
        (
            "FLOOD__RATE",
            "-1",
            "setting FLOOD__RATE: Input should be greater than or equal to 0",
        ),
        (
            "DELIVERY__CONCURRENCY",
            "many",
            "setting DELIVERY__CONCURRENCY: Input should be a valid integer, "
            "unable to parse string as an integer",
        ),
    ],
)
def test_a_bad_value_gets_one_line_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, line: str
) -> None:
    monkeypatch.setenv(name, value)
    assert refusal() == line


def test_every_bad_setting_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "loud")
    monkeypatch.setenv("FLOOD__RATE", "-1")
    lines = refusal().splitlines()
    assert [line.split(":")[0] for line in lines] == ["setting LOG_LEVEL", "setting FLOOD__RATE"]


def test_settings_cannot_change_once_read() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.log_level = "DEBUG"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        settings.digest.max_items = 3  # type: ignore[misc]


def test_secrets_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_SECRET", "hook-secret")
    settings = Settings()
    shown = [repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())]
    for text in shown:
        assert TOKEN not in text
        assert "hook-secret" not in text
    assert isinstance(settings.bot_token, SecretStr)
    assert str(settings.bot_token) == "**********"
    # Another setting's refusal does not show them either.
    monkeypatch.setenv("LOG_LEVEL", "loud")
    line = refusal()
    assert TOKEN not in line
    assert "hook-secret" not in line


def test_cannot_listen_says_which_setting_and_what_to_do() -> None:
    error = CannotListen("METRICS_LISTEN", "0.0.0.0", 9090, OSError(98, "Address in use"))
    assert str(error) == (
        f"cannot listen on 0.0.0.0:9090 (METRICS_LISTEN): {os.strerror(98)}. "
        "Free that port or set METRICS_LISTEN to another host:port."
    )
