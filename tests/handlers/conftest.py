"""Handlers end to end: the shared driver (tests/driver.py) as `Chat` at a fixed time, and
as `Bot` with a clock the test moves.

What a person sees is read back from the local Bot API's chats, as copies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import resources

import pytest

from ingest.pipeline import ingest
from sandbox.localapi import LocalBotApi
from tests.conftest import FIXED_NOW
from tests.driver import (
    ALICE,
    MONDAY,
    TOKEN,
    Clock,
    Driver,
    bot_settings,
    buttons,
    callback_data,
    driving,
    footer,
    running_bot,
)

__all__ = [
    "ALICE",
    "TOKEN",
    "Bot",
    "Chat",
    "buttons",
    "callback_data",
    "footer",
    "samples_dir",
    "sqlite_only",
]

BOT_USERNAME = "digestbot_test_bot"
GROUP = -5001
ADMIN = 2001
MEMBER = 2002
APOLOGY = "Sorry, something went wrong"

# The handlers' tests drive the same bot as every end-to-end test: `chat` at a fixed time,
# `bot` with a clock that moves.
Chat = Bot = Driver

# For tests about rendering rather than storage: SQLite only, to keep the suite quick.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def samples_dir() -> str:
    """The sample articles shipped with the sandbox."""
    return str(resources.files("sandbox") / "samples")


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(TOKEN, bot_username=BOT_USERNAME) as server:
        server.add_chat(ALICE, first_name="Alice")
        yield server


@pytest.fixture
async def chat(
    api: LocalBotApi, db_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Chat]:
    settings = bot_settings(TOKEN, api.url, db_url)
    async with driving(api, settings, lambda: FIXED_NOW) as driver:
        yield driver
    if request.node.get_closest_marker("bot_errors_expected") is None:
        # Telegram refused nothing (bad HTML, long texts, unchanged edits) and nothing crashed.
        failed = [f"{c.method}: {c.description}" for c in api.calls if not c.ok]
        assert not failed, failed
        apologies = [
            m.text
            for chat_id in (ALICE, GROUP)
            for m in api.messages(chat_id)
            if APOLOGY in m.text
        ]
        assert not apologies
    # Every button press was answered, so no button kept spinning.
    assert not api.unanswered_callbacks()


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
async def bot(api: LocalBotApi, db_url: str, clock: Clock) -> AsyncIterator[Bot]:
    """The bot with a clock the test moves, for the commands about digests' times."""
    async with running_bot(api, db_url, clock) as driver:
        yield driver


@pytest.fixture
async def samples(chat: Chat) -> Chat:
    """The chat, with the project's sample articles stored."""
    report = await ingest(chat.db, [samples_dir()], lambda: FIXED_NOW)
    assert not report.refused, report.refused
    assert report.new >= 9
    return chat


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bot_errors_expected: the test provokes Bot API errors or handler failures"
    )
