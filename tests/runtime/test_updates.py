"""Updates side by side: the real bot long polling the local Bot API answers chats without
making them wait for each other, keeps each chat's updates in order, and reads while the
database is being written.

A handler that takes long is played by a gate the test opens: it holds the updates it is
told to hold before the bot's own handlers see them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from telegram import Update
from telegram.ext import ContextTypes, TypeHandler

from bot.app import build_application
from bot.domain.articles import Article
from bot.runtime.deps import Deps
from bot.runtime.lifecycle import running
from bot.runtime.types import BotApp
from bot.runtime.updates import ChatOrderedUpdateProcessor
from sandbox.localapi import LocalBotApi
from storage.database import Database
from tests.conftest import FIXED_NOW
from tests.runtime.conftest import make_settings

ANNA, BOHDAN, DANA = 3001, 3002, 3003
# A page: three cards and the "More" under them.
PAGE = 3  # three cards, the count and "More" riding on the last


def _articles() -> list[Article]:
    return [
        Article(
            title=f"{label}: story {number}",
            tags=(label,),
            takeaways=(f"What happened in {label}, part {number}.",),
            retelling=("One paragraph.",),
        )
        for label in ("Kyiv", "Lviv", "Odesa")
        for number in range(5)
    ]


class Gate:
    """Holds the updates `holds(update)` picks until the test opens it."""

    def __init__(self, holds: Callable[[Update], bool]) -> None:
        self.holds = holds
        self.opened = asyncio.Event()

    async def __call__(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        if self.holds(update):
            await self.opened.wait()


@asynccontextmanager
async def polling_bot(
    api: LocalBotApi, db_url: str, gate: Gate | None = None
) -> AsyncIterator[tuple[BotApp, Database]]:
    db = Database(db_url)
    async with db.transaction() as repos:
        await repos.articles.add_many(_articles(), FIXED_NOW)
    settings = make_settings(db_url, api)
    app = build_application(Deps(settings=settings, db=db, clock=lambda: FIXED_NOW))
    if gate is not None:
        # Before every handler of the bot (they are in groups from -2 on).
        app.add_handler(TypeHandler(Update, gate), group=-100)
    try:
        async with running(app, poll_timeout=1):
            try:
                yield app, db
            finally:
                if gate is not None:
                    gate.opened.set()  # a failed test must not leave an update held
    finally:
        await db.dispose()


def replies(api: LocalBotApi, chat_id: int) -> list[str]:
    return [m.text for m in api.messages(chat_id) if m.from_bot]


def processor_of(app: BotApp) -> ChatOrderedUpdateProcessor:
    processor = app.update_processor
    assert isinstance(processor, ChatOrderedUpdateProcessor)
    return processor


@pytest.fixture
async def people(api: LocalBotApi) -> LocalBotApi:
    for chat_id in (ANNA, BOHDAN, DANA):
        api.add_chat(chat_id)
    return api


async def test_a_chat_is_answered_while_another_chat_waits(
    people: LocalBotApi, db_url: str
) -> None:
    api = people
    gate = Gate(
        lambda update: update.effective_chat is not None and update.effective_chat.id == ANNA
    )
    async with polling_bot(api, db_url, gate) as (app, _):
        api.send_text(ANNA, "/topic Kyiv")
        api.send_text(BOHDAN, "/topic Lviv")
        # Bohdan's whole page comes while Anna's update is still being handled.
        await api.wait_for(lambda a: len(replies(a, BOHDAN)) >= PAGE, timeout=20)
        assert replies(api, ANNA) == []
        gate.opened.set()
        await api.wait_for(lambda a: len(replies(a, ANNA)) >= PAGE, timeout=20)
        processor = processor_of(app)
        # Nothing is remembered of chats with nothing pending.
        await api.wait_for(lambda _: processor.waiting_chats == 0, timeout=20)
    assert all("Kyiv" in text for text in replies(api, ANNA)[: PAGE - 1])
    assert all("Lviv" in text for text in replies(api, BOHDAN)[: PAGE - 1])


async def test_the_updates_of_one_chat_are_handled_in_order(
    people: LocalBotApi, db_url: str
) -> None:
    api = people
    gate = Gate(lambda update: update.message is not None and update.message.text == "/topic Kyiv")
    async with polling_bot(api, db_url, gate) as (app, _):
        processor = processor_of(app)
        api.send_text(ANNA, "/topic Kyiv")
        api.send_text(ANNA, "/topic Lviv")
        api.send_text(ANNA, "/topic Odesa")
        # All three reached the bot; the later two wait for the first, which is held.
        await api.wait_for(lambda _: processor.pending == 3, timeout=20)
        assert replies(api, ANNA) == []
        gate.opened.set()
        await api.wait_for(lambda a: len(replies(a, ANNA)) >= 3 * PAGE, timeout=20)
        await api.wait_for(lambda _: processor.waiting_chats == 0, timeout=20)
    texts = replies(api, ANNA)
    # Each reply whole, in the order the person asked: the pages do not interleave.
    for page, label in enumerate(("Kyiv", "Lviv", "Odesa")):
        cards = texts[page * PAGE : page * PAGE + PAGE - 1]
        assert all(f"{label}: story" in text for text in cards), texts


async def test_people_are_answered_while_an_ingest_transaction_is_open(
    people: LocalBotApi, db_url: str
) -> None:
    api = people
    async with polling_bot(api, db_url) as (_, db):
        for chat_id in (ANNA, BOHDAN, DANA):
            api.send_text(chat_id, "/topic Kyiv")  # the bot now knows the chat
        await api.wait_for(
            lambda a: all(len(replies(a, c)) >= PAGE for c in (ANNA, BOHDAN, DANA)), timeout=20
        )
        new = [
            Article(title="Kyiv: fresh", tags=("Kyiv",), takeaways=("New.",), retelling=("Told.",))
        ]
        async with db.transaction() as repos:
            # An ingest batch is being written (on SQLite: the write lock is held) ...
            await repos.articles.add_many(new, FIXED_NOW)
            for chat_id in (ANNA, BOHDAN, DANA):
                api.send_text(chat_id, "/topic Lviv")
            # ... and every person gets a whole page meanwhile.
            await api.wait_for(
                lambda a: all(len(replies(a, c)) >= 2 * PAGE for c in (ANNA, BOHDAN, DANA)),
                timeout=20,
            )
    for chat_id in (ANNA, BOHDAN, DANA):
        assert all("Lviv: story" in text for text in replies(api, chat_id)[PAGE : 2 * PAGE - 1])
