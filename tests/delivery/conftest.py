"""Digests and alerts end to end: the shared driver (tests/driver.py) as `Bot`, with a clock
we move.

Time only moves when a test moves the clock; each `tick()` plans what is due at the clock's
time and sends it, and returns once every send has ended (no sleeps, no polling races)."""

from __future__ import annotations

import multiprocessing
from collections.abc import AsyncIterator
from typing import Any

import pytest

from sandbox.localapi import FloodLimits, LocalBotApi
from tests.driver import (
    ALICE,
    BOB,
    KYIV,
    MONDAY,
    TOKEN,
    Clock,
    Driver,
    article,
    running_bot,
    titles_in,
)
from tests.driver import digest_settings as settings_for
from tests.processes import fork_server

__all__ = [
    "ALICE",
    "BOB",
    "KYIV",
    "MONDAY",
    "TOKEN",
    "Bot",
    "Clock",
    "article",
    "running_bot",
    "settings_for",
    "titles_in",
]

# The delivery tests drive the same bot as every end-to-end test.
Bot = Driver


@pytest.fixture(autouse=True)
def _timedelta_retry_after(ptb_timedelta: None) -> None:
    """Digest runs meet 429s: retry_after as PTB 22 wants it."""


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


@pytest.fixture(scope="module")
def forks() -> multiprocessing.context.ForkServerContext:
    """For the tests that run the bot in processes of its own."""
    return fork_server()


def telegram_flood() -> FloodLimits:
    return FloodLimits.telegram()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**values): settings a digest test runs with")
