"""Digests and alerts end to end: the shared driver (tests/driver.py) as `Bot`, with a clock
we move.

Time only moves when a test moves the clock; each `tick()` plans what is due at the clock's
time and sends it, and returns once every send has ended (no sleeps, no polling races)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.articles import Article
from bot.runtime.config import Settings
from sandbox.localapi import FloodLimits, LocalBotApi, StoredMessage
from tests.driver import ALICE, BOB, TOKEN, Clock, Driver, bot_settings, driving, merged

__all__ = ["ALICE", "BOB", "TOKEN", "Bot", "Clock"]


KYIV = "Europe/Kyiv"
# Winter: Kyiv is UTC+2, so 08:00 there is 06:00 UTC.
MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)

# The delivery tests drive the same bot as every end-to-end test.
Bot = Driver


def article(title: str, *tags: str, themes: Sequence[str] = (), takeaway: str = "") -> Article:
    return Article(
        title=title,
        tags=tuple(tags),
        takeaways=(takeaway or f"{title}: the first takeaway.", "A second takeaway."),
        retelling=(f"{title}, told in full.",),
        themes=tuple(themes),
    )


def settings_for(api_url: str, db_url: str, **overrides: Any) -> Settings:
    # No settle time: spans end exactly at the slot the clock reaches.
    defaults = {"default_timezone": KYIV, "digest": {"settle_seconds": 0}}
    return bot_settings(TOKEN, api_url, db_url, **merged(defaults, overrides))


@asynccontextmanager
async def running_bot(
    api: LocalBotApi, db_url: str, clock: Clock, **overrides: Any
) -> AsyncIterator[Bot]:
    """A bot on the test's database: a second one is the bot after a restart."""
    async with driving(api, settings_for(api.url, db_url, **overrides), clock) as bot:
        yield bot


def titles_in(message: StoredMessage) -> list[str]:
    """The numbered titles a digest lists, in order."""
    found = []
    for block in message.text.split("\n\n")[1:]:
        first = block.split("\n", 1)[0]
        number, _, title = first.partition(". ")
        if number.isdigit():
            found.append(title)
    return found


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns about int retry_after unless the timedelta behaviour is switched on.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(TOKEN) as server:
        yield server


@pytest.fixture
def overrides() -> dict[str, Any]:
    """Settings a test module changes (override the fixture)."""
    return {}


@pytest.fixture
async def bot(
    api: LocalBotApi, db_url: str, clock: Clock, overrides: dict[str, Any]
) -> AsyncIterator[Bot]:
    async with running_bot(api, db_url, clock, **overrides) as driver:
        yield driver


def telegram_flood() -> FloodLimits:
    return FloodLimits.telegram()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**values): settings a digest test runs with")
