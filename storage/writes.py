"""Storing ingested articles: new ones get rows, a later file of a stored one updates it.

An article is known by its identity (bot.domain.articles.identity_key). A file whose content
the store already holds is "already known"; one whose identity it holds updates that article
in place: its sections are replaced, its id, publication and ingest times stay, so it is
neither alerted nor put in a digest again (both go by new ids and ingest times).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import partial
from itertools import count, repeat
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.domain.records import IngestOutcome
from storage.dialect import ROWS_PER_STATEMENT, bulk_insert_sql, driver_datetime
from storage.fulltext import FORGET_SQL, add_index_rows, index_row
from storage.labels import LabelKey, LabelRepository
from storage.models import ArticleRow
from storage.rows import ArticleRows, sort_key_of
from storage.sections import connection_values, entity_values

LINK_COLUMNS = ("article_id", "label_id", "sort_key", "position")
ENTITY_COLUMNS = ("article_id", "role", "position", "name", "description")
CONNECTION_COLUMNS = ("article_id", "position", "main", "name", "kind", "shared")
_ARTICLE_COLUMNS = (
    "content_hash",
    "title",
    "takeaways",
    "retelling",
    "entity_graph",
    "url",
    "published_at",
    "ingested_at",
    "sort_at",
    "identity_key",
    "source",
    "analysis",
    "sections",
)
# What an update replaces; the id, times and identity stay.
_UPDATE_SQL = {
    "sqlite": "UPDATE articles SET content_hash = ?, title = ?, takeaways = ?, retelling = ?,"
    " entity_graph = ?, url = coalesce(?, url), source = ?, analysis = ?, sections = ?"
    " WHERE id = ?",
    "postgresql": "UPDATE articles SET content_hash = $1, title = $2, takeaways = $3,"
    " retelling = $4, entity_graph = $5, url = coalesce($6, url), source = $7, analysis = $8,"
    " sections = $9 WHERE id = $10",
}
# Rows hanging off an article that an update writes again.
DEPENDENT_TABLES = ("article_labels", "article_entities", "article_connections")


class ArticleWrites:
    """The ingest side of the articles repository."""

    def __init__(self, session: AsyncSession, dialect: str, labels: LabelRepository) -> None:
        self._session = session
        self._dialect = dialect
        self._labels = labels

    async def add_rows(
        self,
        articles: Sequence[ArticleRows],
        now: datetime,
        label_cache: dict[LabelKey, int] | None = None,
    ) -> IngestOutcome:
        """Store new articles, update stored ones a later file changed; report which."""
        unique: dict[str, ArticleRows] = {}
        for article in articles:
            unique.setdefault(article.content_hash, article)
        known = await self._existing(list(unique))
        # Of several files of one article in the batch the last wins, where the first was.
        latest: dict[str, ArticleRows] = {}
        for content, article in unique.items():
            if content not in known:
                latest[article.identity_key] = article
        superseded = len(unique) - len(known) - len(latest)
        if not latest:
            return IngestOutcome(new_ids=(), known=len(articles))
        wanted: dict[LabelKey, str] = {}
        for article in latest.values():
            for kind, key, name in article.labels:
                wanted.setdefault((kind, key), name)
        label_ids = await self._labels.ensure(wanted, label_cache)
        stored = await self._identities(list(latest))
        fresh = [row for identity, row in latest.items() if identity not in stored]
        changed = [
            (stored[identity], row) for identity, row in latest.items() if identity in stored
        ]

        connection = await self._session.connection()
        new = await self._insert(connection, fresh, now)
        sort_keys = await self._replace(connection, changed)
        now_key = sort_key_of(now)
        written: list[tuple[int, ArticleRows, int]] = [
            (
                article_id,
                row,
                now_key if row.published_at is None else sort_key_of(row.published_at),
            )
            for article_id, row in zip(new, fresh, strict=True)
        ]
        written += [(article_id, row, sort_keys[article_id]) for article_id, row in changed]
        await self._dependents(connection, written, label_ids)
        return IngestOutcome(
            new_ids=tuple(new),
            known=len(articles) - len(new) - len(changed) - superseded,
            updated=len(changed) + superseded,
        )

    async def _insert(
        self, connection: AsyncConnection, fresh: list[ArticleRows], now: datetime
    ) -> list[int]:
        """Insert new articles; return their ids, in the order given."""
        if not fresh:
            return []
        stamp = partial(driver_datetime, self._dialect)
        stamped_now = stamp(now)
        rows = []
        for article in fresh:
            published = None if article.published_at is None else stamp(article.published_at)
            # content_hash .. url, as _ARTICLE_COLUMNS begins; published, ingested, sort; then
            # the identity and the other sections.
            rows.append(
                (
                    *article[:6],
                    published,
                    stamped_now,
                    published or stamped_now,
                    article.identity_key,
                    article.source,
                    article.analysis,
                    article.sections,
                )
            )
        if self._dialect == "sqlite":
            # The transaction holds SQLite's write lock (BEGIN IMMEDIATE) and `fresh` holds no
            # known article, so the next ids are these, as SQLite itself would give them.
            last = await self._session.scalar(select(func.max(ArticleRow.id)))
            first = (last or 0) + 1
            await connection.exec_driver_sql(
                bulk_insert_sql(self._dialect, "articles", ("id", *_ARTICLE_COLUMNS)),
                [(first + n, *row) for n, row in enumerate(rows)],
            )
            return [first + n for n in range(len(rows))]
        await connection.exec_driver_sql(
            bulk_insert_sql(self._dialect, "articles", _ARTICLE_COLUMNS, "content_hash"), rows
        )
        ids = await self._ids_of([article.content_hash for article in fresh])
        return [ids[article.content_hash] for article in fresh]

    async def _replace(
        self, connection: AsyncConnection, changed: list[tuple[int, ArticleRows]]
    ) -> dict[int, int]:
        """Update stored articles from later files, dropping what hangs off them (written again
        by _dependents); return each one's sort key, which stays."""
        if not changed:
            return {}
        ids = [article_id for article_id, _ in changed]
        sort_keys = await forget_articles(connection, self._dialect, ids)
        await connection.exec_driver_sql(
            _UPDATE_SQL[self._dialect],
            [
                (*row[:6], row.source, row.analysis, row.sections, article_id)
                for article_id, row in changed
            ],
        )
        return sort_keys

    async def _dependents(
        self,
        connection: AsyncConnection,
        written: list[tuple[int, ArticleRows, int]],
        label_ids: dict[LabelKey, int],
    ) -> None:
        """Write the label links, entities, graph rows and index entries of articles."""
        links: list[tuple[int, int, int, int]] = []
        entities: list[tuple[object, ...]] = []
        connections: list[tuple[object, ...]] = []
        index_rows: list[tuple[int, str, str, str]] = []
        for article_id, article, sort_key in sorted(written, key=lambda item: item[0]):
            # Positions follow the file's order; each label is linked once.
            ids = [label_ids[kind, key] for kind, key, _ in article.labels]
            links.extend(zip(repeat(article_id), ids, repeat(sort_key), count()))
            entities.extend((article_id, *values) for values in entity_values(article.entities))
            connections.extend(
                (article_id, *values) for values in connection_values(article.connections)
            )
            index_rows.append((article_id, *article.search))
        for table, columns, rows, key in (
            ("article_labels", LINK_COLUMNS, links, "article_id, label_id"),
            ("article_entities", ENTITY_COLUMNS, entities, "article_id, role, position"),
            ("article_connections", CONNECTION_COLUMNS, connections, "article_id, position"),
        ):
            if rows:
                await connection.exec_driver_sql(
                    bulk_insert_sql(self._dialect, table, columns, key), rows
                )
        await add_index_rows(connection, self._dialect, index_rows)

    async def _existing(self, hashes: list[str]) -> set[str]:
        found: set[str] = set()
        for part in _parts(hashes):
            result = await self._session.scalars(
                select(ArticleRow.content_hash).where(ArticleRow.content_hash.in_(part))
            )
            found.update(result)
        return found

    async def _identities(self, keys: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for part in _parts(keys):
            result = await self._session.execute(
                select(ArticleRow.identity_key, ArticleRow.id).where(
                    ArticleRow.identity_key.in_(part)
                )
            )
            ids.update((key, article_id) for key, article_id in result if key is not None)
        return ids

    async def _ids_of(self, hashes: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for part in _parts(hashes):
            result = await self._session.execute(
                select(ArticleRow.content_hash, ArticleRow.id).where(
                    ArticleRow.content_hash.in_(part)
                )
            )
            ids.update((content, article_id) for content, article_id in result)
        return ids


async def forget_articles(
    connection: AsyncConnection, dialect: str, ids: Sequence[int]
) -> dict[int, int]:
    """Take stored articles out of the search index and drop their links, entities and graph
    rows, before they are written again; return each one's sort key."""
    sort_keys: dict[int, int] = {}
    for part in _parts(list(ids)):
        marks = ", ".join(str(int(article_id)) for article_id in part)
        rows: Sequence[Sequence[Any]] = (
            await connection.exec_driver_sql(
                "SELECT id, sort_at, title, takeaways, retelling FROM articles"
                f" WHERE id IN ({marks})"
            )
        ).all()
        forget = []
        for row in rows:
            article_id, title, retelling = int(row[0]), str(row[2]), str(row[4])
            sort_keys[article_id] = sort_key_of(_aware(row[1]))
            forget.append(
                index_row(dialect, article_id, title, _listed(row[3]), retelling.split("\n"))
            )
        if dialect == "sqlite":
            # The contentless index forgets a row only when told the text it indexed.
            if forget:
                await connection.exec_driver_sql(FORGET_SQL, forget)
        else:
            await connection.exec_driver_sql(
                f"DELETE FROM article_search WHERE article_id IN ({marks})"
            )
        for table in DEPENDENT_TABLES:
            await connection.exec_driver_sql(f"DELETE FROM {table} WHERE article_id IN ({marks})")
    return sort_keys


def _aware(value: datetime | str) -> datetime:
    # The driver gives SQLite's stored text (UTC) and PostgreSQL's aware datetime.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _listed(takeaways: str | list[str]) -> list[str]:
    return list(json.loads(takeaways)) if isinstance(takeaways, str) else list(takeaways)


def _parts(items: list[str] | list[int]) -> Iterable[list[str] | list[int]]:
    for start in range(0, len(items), ROWS_PER_STATEMENT):
        yield items[start : start + ROWS_PER_STATEMENT]
