"""/stats: the figures for ADMIN_IDS, the unknown-command answer for anyone else."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from telegram import Update
from telegram.ext import CommandHandler

from bot.app import BotApp
from bot.domain.labels import LabelKind
from bot.ingest import ingest
from bot.localapi import LocalBotApi
from storage.database import Database
from storage.models import ChatRow
from tests.conftest import FIXED_NOW
from tests.ops.conftest import ADMIN, PERSON, make_settings, running_app

ARTICLES = Path(__file__).parent.parent / "data" / "articles"
GROUP = -5001
GONE = 3003


async def seed(db: Database) -> None:
    await ingest(db, [str(ARTICLES)], lambda: FIXED_NOW)
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


async def send(api: LocalBotApi, app: BotApp, chat_id: int, text: str) -> list[str]:
    before = len(api.messages(chat_id))
    update = api.send_text(chat_id, text, deliver=False)
    await app.process_update(Update.de_json(update, app.bot))
    return [m.text for m in api.messages(chat_id)[before:] if m.from_bot]


async def test_stats_shows_an_admin_the_figures(
    db_url: str, db: Database, api: LocalBotApi
) -> None:
    await seed(db)
    async with running_app(make_settings(db_url, api)) as app:
        (reply,) = await send(api, app, ADMIN, "/stats")
    assert reply.splitlines() == [
        "Digestbot",
        "Chats: 4",
        "Active chats: 3",
        "Subscriptions: 3",
        "Articles: 2",  # the .txt file is also in the .jsonl file
        "Digests sent today: not recorded (no delivery ledger)",
    ]


async def test_stats_answers_anyone_else_like_an_unknown_command(
    db_url: str, db: Database, api: LocalBotApi
) -> None:
    await seed(db)
    async with running_app(make_settings(db_url, api)) as app:
        refused = await send(api, app, PERSON, "/stats")
        # The same bot without /stats at all: what it says is the unknown-command answer.
        for handlers in app.handlers.values():
            for handler in list(handlers):
                if isinstance(handler, CommandHandler) and "stats" in handler.commands:
                    app.remove_handler(handler)
        unknown = await send(api, app, PERSON, "/stats")
    assert refused == unknown
    assert len(refused) == 1
    assert "Chats:" not in refused[0]


async def test_nobody_gets_stats_when_admin_ids_is_empty(
    db_url: str, db: Database, api: LocalBotApi
) -> None:
    async with running_app(make_settings(db_url, api, admin_ids=frozenset())) as app:
        replies = await send(api, app, ADMIN, "/stats")
    assert not any("Chats:" in reply for reply in replies)
