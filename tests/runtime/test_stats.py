"""/stats: the figures for ADMIN_IDS, the unknown-command answer for anyone else."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from telegram import Update
from telegram.ext import CommandHandler

from bot.domain.labels import LabelKind
from bot.runtime.types import BotApp
from ingest.pipeline import ingest
from sandbox.localapi import LocalBotApi
from storage.database import Database
from storage.models import ChatRow, DeliveryRow
from tests.conftest import FIXED_NOW
from tests.runtime.conftest import ADMIN, PERSON, make_settings, running_app

DATA = Path(__file__).parent.parent / "data" / "articles"
ARTICLES = [DATA / "danube-grain-barges.txt", DATA / "articles.jsonl"]
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
        for n, (kind, state, at) in enumerate(
            (
                ("digest", "sent", today),
                ("digest", "sent", today),
                ("digest", "failed", today),
                ("digest", "sent", yesterday),
                ("alert", "sent", today),
            )
        ):
            repos.session.add(
                DeliveryRow(
                    chat_id=PERSON,
                    kind=kind,
                    span_end=at - timedelta(minutes=n) if kind == "digest" else None,
                    state=state,
                    priority=1,
                    attempts=1,
                    created_at=at,
                    updated_at=at,
                )
            )


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
        "Digests sent today (since 00:00 UTC): 2",
    ]


async def test_today_is_the_day_in_the_default_time_zone(
    db_url: str, db: Database, api: LocalBotApi
) -> None:
    await seed(db)
    # 09:30 UTC is 11:30 in Kyiv; "yesterday" (23:30 UTC) was already today there.
    settings = make_settings(db_url, api, default_timezone="Europe/Kyiv")
    async with running_app(settings) as app:
        (reply,) = await send(api, app, ADMIN, "/stats")
    assert reply.splitlines()[-1] == "Digests sent today (since 00:00 Europe/Kyiv): 3"


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
