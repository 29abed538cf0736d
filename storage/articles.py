"""Articles with their labels and search index entries. Repositories never commit; the
caller's transaction does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.articles import Article
from bot.domain.labels import LabelKind
from bot.domain.records import IngestOutcome, StoredArticle
from bot.domain.search import query_stems
from storage.fulltext import FORGET_SQL, index_row, ranked_ids
from storage.labels import LabelKey, LabelRepository
from storage.models import (
    ArticleConnectionRow,
    ArticleEntityRow,
    ArticleLabelRow,
    ArticleRow,
    LabelRow,
)
from storage.rows import ArticleRows, article_rows
from storage.sections import ConnectionValues, EntityValues, read_analysis, read_sections
from storage.staging import Staged, load_stage
from storage.writes import ArticleWrites


class ArticleRepository:
    """Articles with their labels."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect
        self._labels = LabelRepository(session, dialect)

    async def add_many(
        self,
        articles: Sequence[Article],
        now: datetime,
        label_cache: dict[LabelKey, int] | None = None,
    ) -> IngestOutcome:
        """Store articles that are not known yet (by content hash), update those a later file
        changed (by identity); report what was new and what updated."""
        rows = [article_rows(self._dialect, article) for article in articles]
        return await self.add_rows(rows, now, label_cache)

    async def add_rows(
        self,
        articles: Sequence[ArticleRows],
        now: datetime,
        label_cache: dict[LabelKey, int] | None = None,
    ) -> IngestOutcome:
        """add_many for articles already turned into rows (see storage.rows), made for this
        database's dialect; a later file of a stored article updates it (storage.writes)."""
        return await ArticleWrites(self._session, self._dialect, self._labels).add_rows(
            articles, now, label_cache
        )

    async def add_staged(self, staged: Staged, now: datetime) -> IngestOutcome:
        """add_rows for a parser's staging file (SQLite), attached to this transaction as
        storage.staging.STAGE (see Database.transaction)."""
        return await load_stage(self._session, staged, now)

    async def get(self, article_id: int) -> StoredArticle | None:
        """Return one article by id, or None if there is no such article."""
        found = await self.get_many([article_id])
        return found[0] if found else None

    async def get_many(self, article_ids: Iterable[int]) -> list[StoredArticle]:
        """Return the articles with these ids, in the order given (missing ones left out)."""
        ids = list(dict.fromkeys(article_ids))
        if not ids:
            return []
        rows = (
            await self._session.scalars(select(ArticleRow).where(ArticleRow.id.in_(ids)))
        ).all()
        labels: dict[int, list[tuple[str, str]]] = defaultdict(list)
        result = await self._session.execute(
            select(ArticleLabelRow.article_id, LabelRow.kind, LabelRow.name)
            .join(LabelRow, LabelRow.id == ArticleLabelRow.label_id)
            .where(ArticleLabelRow.article_id.in_(ids))
            .order_by(ArticleLabelRow.article_id, ArticleLabelRow.position)
        )
        for article_id, kind, name in result:
            labels[article_id].append((kind, name))
        entities, connections = await self._entities_of(ids)
        by_id = {
            row.id: _stored(row, labels[row.id], entities[row.id], connections[row.id])
            for row in rows
        }
        return [by_id[i] for i in ids if i in by_id]

    async def _entities_of(
        self, ids: list[int]
    ) -> tuple[dict[int, list[EntityValues]], dict[int, list[ConnectionValues]]]:
        """Return the entity and graph rows of these articles (see storage.sections)."""
        entities: dict[int, list[EntityValues]] = defaultdict(list)
        connections: dict[int, list[ConnectionValues]] = defaultdict(list)
        found = await self._session.execute(
            select(
                ArticleEntityRow.article_id,
                ArticleEntityRow.role,
                ArticleEntityRow.position,
                ArticleEntityRow.name,
                ArticleEntityRow.description,
            ).where(ArticleEntityRow.article_id.in_(ids))
        )
        for article_id, role, position, name, description in found:
            entities[article_id].append((role, position, name, description))
        rows = await self._session.execute(
            select(
                ArticleConnectionRow.article_id,
                ArticleConnectionRow.position,
                ArticleConnectionRow.main,
                ArticleConnectionRow.name,
                ArticleConnectionRow.kind,
                ArticleConnectionRow.shared,
            ).where(ArticleConnectionRow.article_id.in_(ids))
        )
        for article_id, position, main, name, kind, shared in rows:
            connections[article_id].append((position, main, name, kind, shared))
        return entities, connections

    async def latest_for_labels(
        self, label_ids: Sequence[int], *, limit: int, offset: int = 0
    ) -> list[StoredArticle]:
        """Return the newest articles carrying any of these labels, newest first."""
        if not label_ids:
            return []
        newest = func.max(ArticleLabelRow.sort_key)
        stmt = (
            select(ArticleLabelRow.article_id)
            .where(ArticleLabelRow.label_id.in_(label_ids))
            .group_by(ArticleLabelRow.article_id)
            .order_by(newest.desc(), ArticleLabelRow.article_id.desc())
            .limit(limit)
            .offset(offset)
        )
        if len(label_ids) == 1:
            # One label: the index (label_id, published_at, article_id) already gives the order.
            stmt = (
                select(ArticleLabelRow.article_id)
                .where(ArticleLabelRow.label_id == label_ids[0])
                .order_by(ArticleLabelRow.sort_key.desc(), ArticleLabelRow.article_id.desc())
                .limit(limit)
                .offset(offset)
            )
        ids = (await self._session.scalars(stmt)).all()
        return await self.get_many(ids)

    async def search(self, text: str, *, limit: int, offset: int = 0) -> list[StoredArticle]:
        """Return the newest articles carrying the hashtag or theme `text` (folded)."""
        labels = await self._labels.find(text)
        return await self.latest_for_labels(
            [label.id for label in labels], limit=limit, offset=offset
        )

    async def search_text(self, query: str, *, limit: int, offset: int = 0) -> list[StoredArticle]:
        """Return articles holding the stems of `query`'s words, those holding more of them
        first, newest among equals."""
        return (await self.search_page(query, limit=limit, offset=offset))[0]

    async def search_page(
        self, query: str, *, limit: int, offset: int = 0
    ) -> tuple[list[StoredArticle], int]:
        """Return a page of search_text's results and how many results there are in all.

        Any text is a valid query: only its words count, so quotes, operators and stray
        punctuation mean nothing. There are at most RANK_WINDOW results (see ranked_ids)."""
        ids = await ranked_ids(self._session, self._dialect, query_stems(query))
        if limit < 1:
            return [], len(ids)
        return await self.get_many(ids[max(offset, 0) : max(offset, 0) + limit]), len(ids)

    async def find(self, query: str, *, limit: int, offset: int = 0) -> list[StoredArticle]:
        """Return what /topic shows for `query`: a known hashtag or theme's newest articles,
        else the free-text results."""
        labels = await self._labels.find(query)
        if labels:
            return await self.latest_for_labels(
                [label.id for label in labels], limit=limit, offset=offset
            )
        return await self.search_text(query, limit=limit, offset=offset)

    async def count(self) -> int:
        """Return how many articles are stored."""
        return int(await self._session.scalar(select(func.count()).select_from(ArticleRow)) or 0)

    async def count_for_labels(self, label_ids: Sequence[int]) -> int:
        """Return how many articles carry any of these labels."""
        if not label_ids:
            return 0
        stmt = select(func.count(distinct(ArticleLabelRow.article_id))).where(
            ArticleLabelRow.label_id.in_(label_ids)
        )
        return int(await self._session.scalar(stmt) or 0)

    async def delete(self, article_id: int) -> bool:
        """Delete one article (its label links and index entry go with it); return whether it
        existed."""
        row = await self._session.get(ArticleRow, article_id)
        if row is None:
            return False
        if self._dialect == "sqlite":
            # The contentless index forgets a row only when told the text it indexed.
            connection = await self._session.connection()
            await connection.exec_driver_sql(
                FORGET_SQL,
                index_row(
                    self._dialect, row.id, row.title, row.takeaways, row.retelling.split("\n")
                ),
            )
        await self._session.execute(delete(ArticleRow).where(ArticleRow.id == article_id))
        self._session.expunge(row)
        return True


def _stored(
    row: ArticleRow,
    labels: list[tuple[str, str]],
    entities: list[EntityValues],
    connections: list[ConnectionValues],
) -> StoredArticle:
    article = Article(
        **read_sections(row.sections, entities, connections),
        analysis=read_analysis(row.analysis),
        source=row.source,
        title=row.title,
        tags=tuple(name for kind, name in labels if kind == LabelKind.TAG.value),
        takeaways=tuple(row.takeaways),
        retelling=tuple(row.retelling.split("\n")),
        themes=tuple(name for kind, name in labels if kind == LabelKind.THEME.value),
        entity_graph=row.entity_graph,
        url=row.url,
        published_at=row.published_at,
        content_hash=row.content_hash,
    )
    return StoredArticle(
        id=row.id, article=article, published_at=row.sort_at, ingested_at=row.ingested_at
    )
