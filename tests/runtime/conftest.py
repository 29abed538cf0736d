"""The bot as operators run it: the shared driver's bot (tests/driver.py) on the local Bot
API and a clean database, run whole (webhook) or initialised only."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.runtime import metrics
from bot.runtime.config import Settings
from bot.runtime.types import BotApp
from bot.runtime.webhook import SECRET_HEADER, WebhookServer, serving_webhook
from sandbox.localapi import LocalBotApi
from storage.database import Database
from tests.conftest import FIXED_NOW
from tests.driver import NO_FLOOD, TOKEN, bot_settings, built_bot

__all__ = ["NO_FLOOD", "TOKEN"]

SECRET = "hook-Secret_0123456789abcdef"
ADMIN = 1001
PERSON = 2002


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
    return bot_settings(TOKEN, api.url, db_url, **{"admin_ids": frozenset({ADMIN}), **overrides})


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(TOKEN) as server:
        server.add_chat(ADMIN, first_name="Olena")
        server.add_chat(PERSON, first_name="Taras")
        yield server


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[BotApp]:
    """The application initialised (schema upgraded, menu set) but taking no updates."""
    async with built_bot(settings, lambda: FIXED_NOW, post_init=True) as (built, _):
        yield built.app


@dataclass
class Hook:
    """The bot running on a webhook, and an HTTP client to post to it as Telegram does."""

    api: LocalBotApi
    server: WebhookServer
    url: str
    db: Database
    http: aiohttp.ClientSession

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {} if secret is None else {SECRET_HEADER: secret}
        async with self.http.post(self.url, json=update, headers=headers) as response:
            return response.status

    def replies(self, chat_id: int) -> list[str]:
        return [call.params["text"] for call in self.api.calls_to("sendMessage", chat_id)]


@asynccontextmanager
async def webhook_bot(db_url: str, api: LocalBotApi, path: str) -> AsyncIterator[Hook]:
    """`digestbot run --webhook` in this process, with SECRET, on a free port at `path`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}{path}"
    settings = make_settings(
        db_url, api, webhook_url=url, webhook_secret=SECRET, webhook_listen=f"127.0.0.1:{port}"
    )
    async with (
        aiohttp.ClientSession() as http,
        built_bot(settings, lambda: FIXED_NOW, started=True) as (built, deps),
        serving_webhook(built.app, deps) as server,
    ):
        yield Hook(api, server, url, deps.db, http)


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
