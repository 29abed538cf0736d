"""The bot as operators run it: a real Application, the local Bot API, a clean database."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.app import build_application
from bot.runtime import metrics
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from bot.runtime.types import BotApp
from sandbox.localapi import LocalBotApi
from storage.database import Database
from tests.conftest import FIXED_NOW

# Shaped like a real token, so the log redaction that looks for tokens is put to the test.
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
SECRET = "hook-Secret_0123456789abcdef"
ADMIN = 1001
PERSON = 2002
# No pacing in tests: each one sends a handful of messages.
NO_FLOOD = {"rate": 0, "per_chat_interval": 0, "group_per_minute": 0}


@pytest.fixture(scope="session")
def child_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment for `digestbot` child processes: compiled modules are cached in a
    temporary directory, so only the first child compiles what it imports."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path_factory.mktemp("pycache"))
    return env


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_settings(db_url: str, api: LocalBotApi, **overrides: Any) -> Settings:
    """Settings for a bot talking to the local Bot API, ADMIN in ADMIN_IDS."""
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "database_url": db_url,
        "telegram_api_url": api.url,
        "admin_ids": frozenset({ADMIN}),
        "flood": NO_FLOOD,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(TOKEN) as server:
        server.add_chat(ADMIN, first_name="Olena")
        server.add_chat(PERSON, first_name="Taras")
        yield server


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[BotApp]:
    """The application initialised (schema upgraded, menu set) but taking no updates."""
    db = Database(settings.database_url)
    app = build_application(Deps(settings=settings, db=db, clock=lambda: FIXED_NOW))
    try:
        async with app:
            if app.post_init is not None:
                await app.post_init(app)
            yield app
    finally:
        await db.dispose()


@pytest.fixture(autouse=True)
def _fresh_scheduler_state() -> Iterator[None]:
    metrics.reset_ticks()
    yield
    metrics.reset_ticks()


@pytest.fixture
def restore_logging(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """Undo configure_logging, which replaces the root handlers (pytest's among them).

    It asks for capsys so that the captured stderr closes only after the handlers that
    write to it are gone."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)
