"""Stores filled with many chats with digests due: for the benchmarks and the tests that
run the bot in processes of its own (kill -9, several workers).

Chats and their subscriptions go in with bulk inserts: the repositories take one chat at a
time, and a benchmark wants tens of thousands."""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from bot.domain.articles import Article
from bot.domain.labels import LabelKind, fold_label
from storage.database import Database
from storage.models import ChatRow, SubscriptionRow, table_of

FIRST_CHAT = 10_000_000
_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Population:
    """How many chats follow how many labels, and how many new articles there are."""

    chats: int
    labels_per_chat: int
    articles: int
    labels_per_article: int
    vocabulary: int
    seed: int = 7


def _articles(population: Population, rng: random.Random) -> list[Article]:
    return [
        Article(
            title=f"Article {number}: what happened",
            tags=tuple(
                f"Topic {n}"
                for n in rng.sample(range(population.vocabulary), population.labels_per_article)
            ),
            takeaways=(f"The first takeaway of article {number}.",),
            retelling=("One paragraph.",),
        )
        for number in range(population.articles)
    ]


async def add_due_chats(
    db: Database,
    follows: Mapping[int, Iterable[int]],
    now: datetime,
    *,
    due_at: datetime,
    timezone: str = "UTC",
    minute: int = 0,
) -> None:
    """Private chats (id -> the label ids it follows), each with its digest due at `due_at`
    and its last one a day before `now`."""
    chats = [
        {
            "id": chat_id,
            "type": "private",
            "active": True,
            "created_at": now - timedelta(days=7),
            "timezone": timezone,
            "digest_minute": minute,
            "digest_due_at": due_at,
            "digest_through": now - timedelta(days=1),
        }
        for chat_id in follows
    ]
    subscriptions = [
        {"chat_id": chat_id, "label_id": label_id, "created_at": now}
        for chat_id, label_ids in follows.items()
        for label_id in label_ids
    ]
    tables: tuple[tuple[type[Any], list[dict[str, Any]]], ...] = (
        (ChatRow, chats),
        (SubscriptionRow, subscriptions),
    )
    for table, rows in tables:
        for start in range(0, len(rows), _CHUNK):
            async with db.transaction() as repos:
                await repos.session.execute(insert(table_of(table)), rows[start : start + _CHUNK])


async def populate(db: Database, population: Population, now: datetime) -> None:
    """Store the articles (arrived in the last day) and the chats, all due at `now`."""
    rng = random.Random(population.seed)
    names = {
        (LabelKind.TAG.value, fold_label(f"Topic {n}")): f"Topic {n}"
        for n in range(population.vocabulary)
    }
    async with db.transaction() as repos:
        ids = await repos.labels.ensure(names)
    label_ids = [
        ids[(LabelKind.TAG.value, fold_label(f"Topic {n}"))] for n in range(population.vocabulary)
    ]
    articles = _articles(population, rng)
    for start in range(0, len(articles), 1000):
        async with db.transaction() as repos:
            arrived = now - timedelta(hours=20) + timedelta(seconds=start)
            await repos.articles.add_many(articles[start : start + 1000], arrived)
    follows = {
        FIRST_CHAT + number: [
            label_ids[n]
            for n in rng.sample(range(population.vocabulary), population.labels_per_chat)
        ]
        for number in range(population.chats)
    }
    await add_due_chats(db, follows, now, due_at=now, timezone="Europe/Kyiv", minute=8 * 60)
    if db.dialect == "postgresql":
        async with db.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))


async def one_article_for_all(db: Database, chat_ids: Iterable[int], now: datetime) -> None:
    """Chats following "Kyiv", each with its digest due a minute ago and one short article
    (an hour old) to get."""
    async with db.transaction() as repos:
        ids = await repos.labels.ensure({(LabelKind.TAG.value, "kyiv"): "Kyiv"})
        outcome = await repos.articles.add_many(
            [
                Article(
                    title="Short news",
                    tags=("Kyiv",),
                    takeaways=("One line.",),
                    retelling=("One paragraph.",),
                )
            ],
            now - timedelta(hours=1),
        )
    assert outcome.new_ids
    kyiv = ids[(LabelKind.TAG.value, "kyiv")]
    follows = {chat_id: [kyiv] for chat_id in chat_ids}
    await add_due_chats(db, follows, now, due_at=now - timedelta(minutes=1))


@asynccontextmanager
async def scratch_database(kind: str, postgres_url: str | None) -> AsyncIterator[Database]:
    """A fresh, migrated database that is thrown away afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="digestbot-bench-") as folder:
            db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
            await db.upgrade()
            try:
                yield db
            finally:
                await db.dispose()
        return
    assert postgres_url is not None
    import asyncpg  # type: ignore[import-untyped]  # noqa: PLC0415 - PostgreSQL runs only

    name = f"digestbot_bench_{uuid.uuid4().hex[:10]}"
    admin_dsn = make_url(postgres_url).set(drivername="postgresql")
    admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))
    await admin.execute(f'CREATE DATABASE "{name}"')
    db = Database(make_url(postgres_url).set(database=name).render_as_string(hide_password=False))
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
