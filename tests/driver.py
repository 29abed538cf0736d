"""The bot end to end: the real bot (build_bot) talking HTTP to the local Bot API, on a test's
database, with a clock the test moves.

Updates are fed with `process_update`, so each step has finished when it returns: no sleeps,
no polling races. What a person sees is read back from the local Bot API's chats, as copies:
the server edits its own message objects in place, and a test compares before with after.
The conftests of tests/handlers, tests/delivery and tests/runtime declare their fixtures on
this module."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update

from bot.app import Digestbot, build_bot
from bot.domain.articles import Article
from bot.domain.deliveries import PlanReport
from bot.domain.labels import LabelKind, fold_label
from bot.domain.schedule import UNSCHEDULED
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from bot.runtime.lifecycle import running
from bot.runtime.types import BotApp
from delivery.pipeline import DeliveryPipeline
from delivery.recorder import DrainReport
from sandbox.localapi import LocalBotApi, StoredMessage
from storage.database import Database

# Replies go out at once: the flood budget has tests of its own, the rest send a handful.
NO_FLOOD: Mapping[str, float] = {"rate": 0, "per_chat_interval": 0, "group_per_minute": 0}
DIGEST_HEADING = "📰 Your digest"
# Shaped like a real token, so the log redaction that looks for tokens is put to the test.
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
# The people the end-to-end tests speak as, unless a test names another chat.
ALICE = 1001
BOB = 1002
KYIV = "Europe/Kyiv"
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


def bot_settings(token: str, api_url: str, db_url: str, **overrides: Any) -> Settings:
    """Settings for a bot on the local Bot API, with no pacing; a dict override (flood,
    digest, ...) is merged into the default one rather than replacing it."""
    values = {
        "bot_token": token,
        "telegram_api_url": api_url,
        "database_url": db_url,
        "flood": dict(NO_FLOOD),
    }
    return Settings(_env_file=None, **merged(values, overrides))


def digest_settings(api_url: str, db_url: str, **overrides: Any) -> Settings:
    """Settings for the tests of digests and their commands: Kyiv time unless a chat sets
    its own, and no settle time, so spans end exactly at the slot the clock reaches."""
    defaults = {"default_timezone": KYIV, "digest": {"settle_seconds": 0}}
    return bot_settings(TOKEN, api_url, db_url, **merged(defaults, overrides))


def merged(values: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`values` with `overrides` on top, a dict merged into a dict one level deep."""
    result = dict(values)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = {**result[key], **value}
        else:
            result[key] = value
    return result


@asynccontextmanager
async def built_bot(
    settings: Settings,
    clock: Callable[[], datetime],
    *,
    post_init: bool = False,
    started: bool = False,
) -> AsyncIterator[tuple[Digestbot, Deps]]:
    """The bot built on `settings`, its database closed after the block. By default it is
    initialised and takes only the updates fed to it; with `post_init` its start-up hook has
    run too (schema upgraded, menu set); `started` runs it as every mode does (the tick job
    included), through bot.runtime.lifecycle.running."""
    deps = Deps(settings=settings, db=Database(settings.database_url), clock=clock)
    built = build_bot(deps)
    try:
        if started:
            async with running(built.app):
                yield built, deps
        else:
            async with built.app:
                if post_init and built.app.post_init is not None:
                    await built.app.post_init(built.app)
                yield built, deps
    finally:
        await deps.db.dispose()


async def feed(app: BotApp, update: dict[str, Any]) -> None:
    """Hand one update to the bot and return once it is handled."""
    await app.process_update(Update.de_json(update, app.bot))


def _new_from_bot(api: LocalBotApi, chat_id: int, before: set[int]) -> list[StoredMessage]:
    return [
        copy.deepcopy(m)
        for m in api.messages(chat_id)
        if m.from_bot and m.message_id not in before
    ]


def _shown(api: LocalBotApi, chat_id: int) -> set[int]:
    return {m.message_id for m in api.messages(chat_id)}


async def send_as_person(
    api: LocalBotApi, app: BotApp, chat_id: int, text: str, **kwargs: Any
) -> list[StoredMessage]:
    """A person sends `text` (keywords as LocalBotApi.send_text takes them); return the bot
    messages that appeared in the chat."""
    before = _shown(api, chat_id)
    await feed(app, api.send_text(chat_id, text, deliver=False, **kwargs))
    return _new_from_bot(api, chat_id, before)


@dataclass
class Driver:
    """The bot (a real Application and its delivery pipeline), the people (the local Bot
    API) and the clock."""

    api: LocalBotApi
    app: BotApp
    pipeline: DeliveryPipeline
    db: Database
    clock: Callable[[], datetime]
    settings: Settings
    reports: list[DrainReport] = field(default_factory=list)

    # --- what people do ---------------------------------------------------------------------

    async def send(self, text: str, chat_id: int = ALICE, **kwargs: Any) -> list[StoredMessage]:
        """A person sends `text`; return the bot messages that appeared in the chat."""
        return await send_as_person(self.api, self.app, chat_id, text, **kwargs)

    async def press(
        self,
        message: StoredMessage,
        *,
        text: str | None = None,
        data: str | None = None,
        user_id: int | None = None,
    ) -> tuple[dict[str, Any] | None, list[StoredMessage]]:
        """A person presses a button; return the callback answer and the new bot messages."""
        before = _shown(self.api, message.chat_id)
        update = self.api.press_button(
            message.chat_id,
            message.message_id,
            text=text,
            data=data,
            user_id=user_id,
            deliver=False,
        )
        await feed(self.app, update)
        answer = self.api.callback_answer(update["callback_query"]["id"])
        return answer, _new_from_bot(self.api, message.chat_id, before)

    async def double_tap(
        self, message: StoredMessage, *, text: str
    ) -> tuple[list[dict[str, Any] | None], list[StoredMessage]]:
        """A person presses a button twice before the first press shows any effect; return
        both callback answers and the new bot messages."""
        before = _shown(self.api, message.chat_id)
        taps = [
            self.api.press_button(message.chat_id, message.message_id, text=text, deliver=False)
            for _ in range(2)
        ]
        for update in taps:
            await feed(self.app, update)
        answers = [self.api.callback_answer(tap["callback_query"]["id"]) for tap in taps]
        return answers, _new_from_bot(self.api, message.chat_id, before)

    async def deliver_update(self, update: dict[str, Any]) -> None:
        await feed(self.app, update)

    # --- what people see --------------------------------------------------------------------

    def current(self, message: StoredMessage) -> StoredMessage:
        """A copy of the message as the chat shows it now (edits applied)."""
        found = {m.message_id: m for m in self.api.messages(message.chat_id)}
        return copy.deepcopy(found[message.message_id])

    def pushed(self, chat_id: int) -> list[StoredMessage]:
        """The bot's messages in a chat."""
        return [copy.deepcopy(m) for m in self.api.messages(chat_id) if m.from_bot]

    def digests(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.pushed(chat_id) if m.text.startswith(DIGEST_HEADING)]

    # --- the scheduler ----------------------------------------------------------------------

    async def plan(self) -> PlanReport:
        """Plan what is due at the clock's time, sending nothing."""
        return await self.pipeline.plan()

    async def drain(self) -> DrainReport:
        """Send what is planned; return once every send has ended."""
        report = await self.pipeline.drain(self.app.bot)
        self.reports.append(report)
        return report

    async def tick(self) -> PlanReport:
        """One tick at the clock's time, and every send it leads to."""
        report = await self.plan()
        await self.drain()
        return report

    # --- what is stored ---------------------------------------------------------------------

    async def add_articles(self, articles: Iterable[Article]) -> list[int]:
        """Store articles arriving now, queued for nobody."""
        async with self.db.transaction() as repos:
            outcome = await repos.articles.add_many(list(articles), self.clock())
        return list(outcome.new_ids)

    async def ingest(self, *articles: Article, at: datetime | None = None) -> list[int]:
        """Store articles as `digestbot ingest` does (queued for alerts), arriving `at`."""
        moment = at or self.clock()
        async with self.db.transaction() as repos:
            outcome = await repos.articles.add_many(list(articles), moment)
            await repos.plans.queue_alerts(outcome.new_ids, moment)
        return list(outcome.new_ids)

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


@asynccontextmanager
async def driving(
    api: LocalBotApi,
    settings: Settings,
    clock: Callable[[], datetime],
    *,
    post_init: bool = False,
) -> AsyncIterator[Driver]:
    """A Driver for a bot built on `settings`, talking to `api` (`post_init`: as built_bot)."""
    async with built_bot(settings, clock, post_init=post_init) as (built, deps):
        yield Driver(api, built.app, built.pipeline, deps.db, clock, settings)


@asynccontextmanager
async def running_bot(
    api: LocalBotApi, db_url: str, clock: Clock, **overrides: Any
) -> AsyncIterator[Driver]:
    """A bot on digest_settings and the test's database: a second one is the bot after a
    restart."""
    async with driving(api, digest_settings(api.url, db_url, **overrides), clock) as bot:
        yield bot


def article(title: str, *tags: str, themes: Sequence[str] = (), takeaway: str = "") -> Article:
    """A short article with two takeaways, told in one paragraph."""
    return Article(
        title=title,
        tags=tuple(tags),
        takeaways=(takeaway or f"{title}: the first takeaway.", "A second takeaway."),
        retelling=(f"{title}, told in full.",),
        themes=tuple(themes),
    )


def titles_in(message: StoredMessage) -> list[str]:
    """The numbered titles a digest lists, in order."""
    found = []
    for block in message.text.split("\n\n")[1:]:
        first = block.split("\n", 1)[0]
        number, _, title = first.partition(". ")
        if number.isdigit():
            found.append(title)
    return found


def buttons(message: StoredMessage) -> list[str]:
    return [button["text"] for button in message.buttons()]


def footer(message: StoredMessage) -> str:
    """The last paragraph of a message: the line a page of cards ends with."""
    return message.text.rsplit("\n\n", 1)[-1]


def callback_data(message: StoredMessage) -> list[str]:
    """The callback data of the message's buttons (URL buttons have none)."""
    return [button["callback_data"] for button in message.buttons() if "callback_data" in button]
