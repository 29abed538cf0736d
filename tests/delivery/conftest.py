"""Digests and alerts end to end: a real Application, the local Bot API, a clock we move.

Time only moves when a test moves the clock; each `tick()` plans what is due at the clock's
time and sends it, and returns once every send has ended (no sleeps, no polling races)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram import Update

from bot.app import build_bot
from bot.domain.articles import Article
from bot.domain.deliveries import PlanReport
from bot.domain.labels import LabelKind, fold_label
from bot.domain.schedule import UNSCHEDULED
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from bot.runtime.types import BotApp
from delivery.pipeline import DeliveryPipeline
from delivery.recorder import DrainReport
from sandbox.localapi import FloodLimits, LocalBotApi, StoredMessage
from storage.database import Database

TOKEN = "123456789:TEST-token-for-the-digest-tests-000000"
KYIV = "Europe/Kyiv"
ALICE = 1001
BOB = 1002
# Winter: Kyiv is UTC+2, so 08:00 there is 06:00 UTC.
MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def article(title: str, *tags: str, themes: Sequence[str] = (), takeaway: str = "") -> Article:
    return Article(
        title=title,
        tags=tuple(tags),
        takeaways=(takeaway or f"{title}: the first takeaway.", "A second takeaway."),
        retelling=(f"{title}, told in full.",),
        themes=tuple(themes),
    )


def settings_for(api_url: str, db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_url": api_url,
        "database_url": db_url,
        "default_timezone": KYIV,
        # No settle time: spans end exactly at the slot the clock reaches.
        "digest": {"settle_seconds": 0},
        # The per-chat spacing is real time; most tests send a few messages to one chat.
        "flood": {"rate": 0, "per_chat_interval": 0, "group_per_minute": 0},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return Settings(_env_file=None, **values)


@dataclass
class Bot:
    """The bot (a real Application), the people (the local Bot API) and the clock."""

    api: LocalBotApi
    app: BotApp
    pipeline: DeliveryPipeline
    db: Database
    clock: Clock
    settings: Settings
    reports: list[DrainReport] = field(default_factory=list)

    async def tick(self) -> PlanReport:
        """One tick at the clock's time, and every send it leads to."""
        report = await self.pipeline.plan()
        self.reports.append(await self.pipeline.drain(self.app.bot))
        return report

    async def send(self, text: str, chat_id: int = ALICE, **kwargs: Any) -> list[StoredMessage]:
        """A person sends `text`; return the bot messages that appeared in the chat."""
        before = {m.message_id for m in self.api.messages(chat_id)}
        update = self.api.send_text(chat_id, text, deliver=False, **kwargs)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return [m for m in self.api.messages(chat_id) if m.from_bot and m.message_id not in before]

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
        await self.app.process_update(Update.de_json(update, self.app.bot))
        answer = self.api.callback_answer(update["callback_query"]["id"])
        new = [
            m
            for m in self.api.messages(message.chat_id)
            if m.from_bot and m.message_id not in before
        ]
        return answer, new

    def current(self, message: StoredMessage) -> StoredMessage:
        """A copy of the message as the chat shows it now (edits applied)."""
        found = {m.message_id: m for m in self.api.messages(message.chat_id)}
        return copy.deepcopy(found[message.message_id])

    async def deliver_update(self, update: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def chat(
        self,
        chat_id: int,
        labels: Iterable[str],
        *,
        timezone: str | None = None,
        minute: int | None = None,
        alerts: bool = False,
        chat_type: str | None = None,
    ) -> None:
        """A chat the bot knows, following `labels` (hashtags), scheduled by the next tick."""
        kind = chat_type or ("private" if chat_id > 0 else "group")
        try:
            self.api.chat(chat_id)
        except LookupError:
            self.api.add_chat(chat_id, kind, title=None if kind == "private" else "A group")
        now = self.clock()
        async with self.db.transaction() as repos:
            await repos.chats.ensure(chat_id, kind, None, now)
            wanted = {(LabelKind.TAG.value, fold_label(name)): name for name in labels}
            ids = await repos.labels.ensure(wanted)
            await repos.subscriptions.add(chat_id, ids.values(), now)
            if timezone is not None:
                await repos.schedules.set_timezone(chat_id, timezone, UNSCHEDULED)
            if minute is not None:
                await repos.schedules.set_digest(chat_id, minute, UNSCHEDULED, earliest_start=now)
            if alerts:
                await repos.schedules.set_alerts(chat_id, True)

    async def ingest(self, *articles: Article, at: datetime | None = None) -> list[int]:
        """Store articles as `digestbot ingest` does (queued for alerts), arriving `at`."""
        moment = at or self.clock()
        async with self.db.transaction() as repos:
            outcome = await repos.articles.add_many(list(articles), moment)
            await repos.plans.queue_alerts(outcome.new_ids, moment)
        return list(outcome.new_ids)

    def pushed(self, chat_id: int) -> list[StoredMessage]:
        """The bot's messages in a chat."""
        return [m for m in self.api.messages(chat_id) if m.from_bot]

    def digests(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.pushed(chat_id) if m.text.startswith("📰 Your digest")]


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
    settings = settings_for(api.url, db_url, **overrides)
    db = Database(db_url)
    built = build_bot(Deps(settings=settings, db=db, clock=clock))
    async with built.app:
        yield Bot(api, built.app, built.pipeline, db, clock, settings)
    await db.dispose()


def telegram_flood() -> FloodLimits:
    return FloodLimits.telegram()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**values): settings a digest test runs with")
