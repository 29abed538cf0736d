"""/stats: the figures for ADMIN_IDS, the unknown-command answer for anyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from telegram.ext import CommandHandler

from bot.domain.labels import LabelKind
from ingest.pipeline import ingest
from sandbox.localapi import LocalBotApi
from storage.database import Database
from storage.models import ChatRow
from tests.conftest import FIXED_NOW
from tests.driver import bot_settings, driving
from tests.handlers.conftest import ADMIN, ALICE, TOKEN, Chat
from tests.seeding import add_deliveries

DATA = Path(__file__).parent.parent / "data" / "articles"
ARTICLES = [DATA / "danube-grain-barges.txt", DATA / "articles.jsonl"]
PERSON = ALICE
GROUP = -5001
GONE = 3003


async def seed(db: Database) -> None:
    await ingest(db, [str(path) for path in ARTICLES], lambda: FIXED_NOW)
    async with db.transaction() as repos:
        for chat_id, kind in ((ADMIN, "private"), (PERSON, "private"), (GROUP, "group")):
            await repos.chats.ensure(chat_id, kind, None, FIXED_NOW)
        await repos.chats.ensure(GONE, "private", None, FIXED_NOW)
        await repos.session.execute(update(ChatRow).where(ChatRow.id == GONE).values(active=False))
        labels = await repos.labels.ensure(
            {(LabelKind.TAG, "kyiv"): "Kyiv", (LabelKind.TAG, "power_grid"): "Power grid"}
        )
        await repos.subscriptions.add(PERSON, labels.values(), FIXED_NOW)
        await repos.subscriptions.add(GROUP, [labels[(LabelKind.TAG, "kyiv")]], FIXED_NOW)
        # Today (UTC) two digests went out; one failed, one was yesterday, one is an alert.
        today, yesterday = FIXED_NOW - timedelta(hours=1), FIXED_NOW - timedelta(hours=10)
        add_deliveries(
            repos,
            PERSON,
            [
                ("digest", "sent", today),
                ("digest", "sent", today),
                ("digest", "failed", today),
                ("digest", "sent", yesterday),
                ("alert", "sent", today),
            ],
        )


@asynccontextmanager
async def admin_bot(api: LocalBotApi, db_url: str, **overrides: Any) -> AsyncIterator[Chat]:
    """The bot with ADMIN in ADMIN_IDS, started as every mode starts it (menu set)."""
    settings = bot_settings(
        TOKEN, api.url, db_url, **{"admin_ids": frozenset({ADMIN}), **overrides}
    )
    async with driving(api, settings, lambda: FIXED_NOW, post_init=True) as chat:
        yield chat


async def send(chat: Chat, chat_id: int, text: str) -> list[str]:
    return [message.text for message in await chat.send(text, chat_id)]


async def test_stats_shows_an_admin_the_figures(
    db_url: str, db: Database, api: LocalBotApi
) -> None:
    await seed(db)
    async with admin_bot(api, db_url) as bot:
        (reply,) = await send(bot, ADMIN, "/stats")
    assert reply.splitlines() == [
        "Digestbot",
        "Chats: 4",
        "Active chats: 3",
        "Subscriptions: 3",
        "Articles: 2",  # the .txt file is also in the .jsonl file
        "Digests sent today (since 00:00 UTC): 2",
    ]


async def test_today_is_the_day_in_the_default_time_zone(
    db_url: str, db: Database, api: LocalBotApi
) -> None:
    await seed(db)
    # 09:30 UTC is 11:30 in Kyiv; "yesterday" (23:30 UTC) was already today there.
    async with admin_bot(api, db_url, default_timezone="Europe/Kyiv") as bot:
        (reply,) = await send(bot, ADMIN, "/stats")
    assert reply.splitlines()[-1] == "Digests sent today (since 00:00 Europe/Kyiv): 3"


async def test_stats_answers_anyone_else_like_an_unknown_command(
    db_url: str, db: Database, api: LocalBotApi
) -> None:
    await seed(db)
    async with admin_bot(api, db_url) as bot:
        refused = await send(bot, PERSON, "/stats")
        # The same bot without /stats at all: what it says is the unknown-command answer.
        for handlers in bot.app.handlers.values():
            for handler in list(handlers):
                if isinstance(handler, CommandHandler) and "stats" in handler.commands:
                    bot.app.remove_handler(handler)
        unknown = await send(bot, PERSON, "/stats")
    assert refused == unknown
    assert len(refused) == 1
    assert "Chats:" not in refused[0]


async def test_nobody_gets_stats_when_admin_ids_is_empty(
    db_url: str, db: Database, api: LocalBotApi
) -> None:
    async with admin_bot(api, db_url, admin_ids=frozenset()) as bot:
        replies = await send(bot, ADMIN, "/stats")
    assert not any("Chats:" in reply for reply in replies)
