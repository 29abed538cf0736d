"""The counts behind /stats, straight from the store."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.domain.articles import Article
from bot.domain.labels import LabelKind
from bot.domain.stats import BotStats
from storage.database import Database
from storage.models import ChatRow
from tests.conftest import FIXED_NOW
from tests.seeding import add_deliveries


async def test_an_empty_store_counts_nothing(db: Database) -> None:
    async with db.read() as repos:
        stats = await repos.stats.collect(FIXED_NOW)
    assert stats == BotStats(
        chats=0,
        active_chats=0,
        subscriptions=0,
        articles=0,
        digests_sent_today=0,
        day_start=FIXED_NOW,
    )


async def test_only_digests_sent_since_the_day_began_count(db: Database) -> None:
    day_start = FIXED_NOW - timedelta(hours=9)
    async with db.transaction() as repos:
        await repos.chats.ensure(1, "private", None, FIXED_NOW)
        await repos.chats.ensure(2, "private", None, FIXED_NOW)
        await repos.session.execute(update(ChatRow).where(ChatRow.id == 2).values(active=False))
        ids = await repos.labels.ensure({(LabelKind.TAG.value, "kyiv"): "Kyiv"})
        await repos.subscriptions.add(1, ids.values(), FIXED_NOW)
        await repos.articles.add_many(
            [Article(title="a", tags=("Kyiv",), takeaways=("t",), retelling=("r",))], FIXED_NOW
        )
        rows = [
            ("digest", "sent", day_start),  # the first moment of the day counts
            ("digest", "sent", day_start - timedelta(microseconds=1)),
            ("digest", "failed", FIXED_NOW),
            ("alert", "sent", FIXED_NOW),
        ]
        add_deliveries(repos, 1, rows)
    async with db.read() as repos:
        stats = await repos.stats.collect(day_start)
    assert stats == BotStats(
        chats=2,
        active_chats=1,
        subscriptions=1,
        articles=1,
        digests_sent_today=1,
        day_start=day_start,
    )
