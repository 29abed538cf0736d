"""A real Application talking HTTP to the local Bot API, on a clean database.

Updates are fed with `process_update`, so each step has finished when it returns: no sleeps,
no polling races. What a person sees is read back from the local Bot API's chats, as copies:
the server edits its own message objects in place."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
from telegram import Update

from bot.app import build_application
from bot.domain.articles import Article
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from bot.runtime.types import BotApp
from ingest.pipeline import ingest
from sandbox.localapi import LocalBotApi, StoredMessage
from storage.database import Database
from tests.conftest import FIXED_NOW

TOKEN = "123456789:TEST-token-for-the-end-to-end-tests-00"
BOT_USERNAME = "digestbot_test_bot"
ALICE = 1001
GROUP = -5001
ADMIN = 2001
MEMBER = 2002
APOLOGY = "Sorry, something went wrong"


# For tests about rendering rather than storage: SQLite only, to keep the suite quick.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def samples_dir() -> str:
    """The sample articles shipped inside the `bot` package."""
    return str(resources.files("sandbox") / "samples")


@dataclass
class Chat:
    """Drives the local Bot API as the people in the chats, and the app as the bot."""

    api: LocalBotApi
    app: BotApp
    db: Database

    async def _process(self, update: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def send(
        self, text: str, chat_id: int = ALICE, *, user_id: int | None = None
    ) -> list[StoredMessage]:
        """A person sends `text`; return the bot messages that appeared in the chat."""
        before = {m.message_id for m in self.api.messages(chat_id)}
        update = self.api.send_text(chat_id, text, user_id=user_id, deliver=False)
        await self._process(update)
        return [
            copy.deepcopy(m)
            for m in self.api.messages(chat_id)
            if m.from_bot and m.message_id not in before
        ]

    async def press(
        self,
        message: StoredMessage,
        *,
        text: str | None = None,
        data: str | None = None,
        user_id: int | None = None,
    ) -> tuple[dict[str, Any] | None, list[StoredMessage]]:
        """A person presses a button; return the callback answer and the new bot messages."""
        before = {m.message_id for m in self.api.messages(message.chat_id)}
        update = self.api.press_button(
            message.chat_id,
            message.message_id,
            text=text,
            data=data,
            user_id=user_id,
            deliver=False,
        )
        await self._process(update)
        answer = self.api.callback_answer(update["callback_query"]["id"])
        new = [
            copy.deepcopy(m)
            for m in self.api.messages(message.chat_id)
            if m.from_bot and m.message_id not in before
        ]
        return answer, new

    async def double_tap(
        self, message: StoredMessage, *, text: str
    ) -> tuple[list[dict[str, Any] | None], list[StoredMessage]]:
        """A person presses a button twice before the first press shows any effect; return
        both callback answers and the new bot messages."""
        before = {m.message_id for m in self.api.messages(message.chat_id)}
        taps = [
            self.api.press_button(message.chat_id, message.message_id, text=text, deliver=False)
            for _ in range(2)
        ]
        for update in taps:
            await self._process(update)
        answers = [self.api.callback_answer(tap["callback_query"]["id"]) for tap in taps]
        new = [
            copy.deepcopy(m)
            for m in self.api.messages(message.chat_id)
            if m.from_bot and m.message_id not in before
        ]
        return answers, new

    def current(self, message: StoredMessage) -> StoredMessage:
        """A copy of the message as the chat shows it now (edits applied)."""
        found = {m.message_id: m for m in self.api.messages(message.chat_id)}
        return copy.deepcopy(found[message.message_id])

    async def add_articles(self, articles: Iterable[Article]) -> list[int]:
        async with self.db.transaction() as repos:
            outcome = await repos.articles.add_many(list(articles), FIXED_NOW)
        return list(outcome.new_ids)


def buttons(message: StoredMessage) -> list[str]:
    return [button["text"] for button in message.buttons()]


def footer(message: StoredMessage) -> str:
    """The last paragraph of a message: the line a page of cards ends with."""
    return message.text.rsplit("\n\n", 1)[-1]


def callback_data(message: StoredMessage) -> list[str]:
    return [button["callback_data"] for button in message.buttons()]


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(TOKEN, bot_username=BOT_USERNAME) as server:
        server.add_chat(ALICE, first_name="Alice")
        yield server


@pytest.fixture
async def chat(
    api: LocalBotApi, db_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Chat]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        telegram_api_url=api.url,
        database_url=db_url,
        # Replies go out at once: these tests are about what is sent, not how fast.
        flood={"rate": 0, "per_chat_interval": 0, "group_per_minute": 0},
    )
    db = Database(db_url)
    app = build_application(Deps(settings=settings, db=db, clock=lambda: FIXED_NOW))
    async with app:
        yield Chat(api, app, db)
    await db.dispose()
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
