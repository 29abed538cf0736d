"""WEBHOOK_* and METRICS_LISTEN: what is accepted, and the one line a bad value gets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.runtime.config import Settings, describe_error, parse_listen


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.0.0.0:8080", ("0.0.0.0", 8080)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        ("[::]:9090", ("::", 9090)),
        ("webhook.internal:8443", ("webhook.internal", 8443)),
        (" localhost:9090 ", ("localhost", 9090)),
    ],
)
def test_listen_addresses_are_host_and_port(value: str, expected: tuple[str, int]) -> None:
    assert parse_listen(value) == expected


@pytest.mark.parametrize("value", ["9090", ":9090", "host:", "host:http", "host:70000", "a b:1"])
def test_a_malformed_listen_address_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_listen(value)


@pytest.mark.parametrize("secret", ["a", "A-z_0-9", "x" * 256])
def test_webhook_secrets_telegram_accepts_are_accepted(secret: str) -> None:
    setting = Settings(webhook_secret=secret).webhook_secret
    assert setting is not None
    assert setting.get_secret_value() == secret


@pytest.mark.parametrize("secret", ["x" * 257, "with space", "slash/", "ümlaut", "a:b"])
def test_other_webhook_secrets_are_refused_without_echoing_them(secret: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(webhook_secret=secret)
    line = describe_error(refused.value)
    assert (
        line == "setting WEBHOOK_SECRET: must be 1 to 256 characters, each A-Z, a-z, 0-9, _ or -"
    )
    assert secret not in line


def test_empty_means_unset() -> None:
    settings = Settings(webhook_secret="", webhook_url="", metrics_listen="")
    assert settings.webhook_secret is None
    assert settings.webhook_url is None
    assert settings.metrics_listen is None
    assert Settings(metrics_listen="off").metrics_listen is None


def test_defaults_listen_on_loopback_for_webhooks_and_serve_no_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("WEBHOOK_LISTEN", "METRICS_LISTEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.webhook_listen == "127.0.0.1:8080"
    assert settings.metrics_listen is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEBHOOK_URL", "ftp://example.org/hook"),
        ("WEBHOOK_LISTEN", "8080"),
        ("METRICS_LISTEN", "x"),
    ],
)
def test_bad_values_name_their_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert describe_error(refused.value).startswith(f"setting {name}: must be")
