"""Articles written as an older schema stored them, for tests of migrations.

The repositories write today's schema; a database migrated only part of the way needs the
rows its own revision had."""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.articles import Article
from bot.domain.labels import fold_label
from storage.fulltext import index_row, index_sql
from storage.rows import sort_key_of, sqlite_datetime
from tests.conftest import FIXED_NOW


async def add_old_article(session: AsyncSession, article_id: int, article: Article) -> None:
    """Store an article as revisions 0104 and 0105 did (SQLite): row, labels, links, index."""
    stamped = sqlite_datetime(FIXED_NOW)
    await session.execute(
        text(
            "INSERT INTO articles (id, content_hash, title, takeaways, retelling, entity_graph,"
            " url, published_at, ingested_at, sort_at) VALUES (:id, :hash, :title, :takeaways,"
            " :retelling, :graph, :url, NULL, :now, :now)"
        ),
        {
            "id": article_id,
            "hash": article.content_hash,
            "title": article.title,
            "takeaways": json.dumps(article.takeaways),
            "retelling": "\n".join(article.retelling),
            "graph": article.entity_graph,
            "url": article.url,
            "now": stamped,
        },
    )
    labels = [("tag", tag) for tag in article.tags] + [("theme", t) for t in article.themes]
    for position, (kind, tag) in enumerate(labels):
        await session.execute(
            text(
                "INSERT INTO labels (kind, key, name) VALUES (:kind, :key, :name)"
                " ON CONFLICT (kind, key) DO NOTHING"
            ),
            {"kind": kind, "key": fold_label(tag), "name": tag},
        )
        await session.execute(
            text(
                "INSERT INTO article_labels (article_id, label_id, sort_key, position)"
                " SELECT :id, id, :sort_key, :position FROM labels"
                " WHERE kind = :kind AND key = :key"
            ),
            {
                "id": article_id,
                "sort_key": sort_key_of(FIXED_NOW),
                "position": position,
                "kind": kind,
                "key": fold_label(tag),
            },
        )
    connection = await session.connection()
    await connection.exec_driver_sql(
        index_sql("sqlite"),
        [index_row("sqlite", article_id, article.title, article.takeaways, article.retelling)],
    )
