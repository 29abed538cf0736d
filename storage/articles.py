"""Articles with their labels and search index entries. Repositories never commit; the
caller's transaction does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import partial
from itertools import count, repeat
from operator import itemgetter

from sqlalchemy import delete, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.articles import Article
from bot.domain.labels import LabelKind
from bot.domain.records import IngestOutcome, StoredArticle
from bot.domain.search import query_words
from storage.dialect import ROWS_PER_STATEMENT, bulk_insert_sql, driver_datetime
from storage.fulltext import FORGET_SQL, RANK_WINDOW, add_index_rows, index_row, matching_ids
from storage.labels import LabelKey, LabelRepository
from storage.models import ArticleLabelRow, ArticleRow, LabelRow
from storage.rows import ArticleRows, article_rows, sort_key_of
from storage.staging import Staged, load_stage

_LINK_COLUMNS = ("article_id", "label_id", "sort_key", "position")
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
)


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
        """Store articles that are not known yet (by content hash); report what was new."""
        rows = [article_rows(self._dialect, article) for article in articles]
        return await self.add_rows(rows, now, label_cache)

    # Long for a reason: the new ids (which SQLite is told, PostgreSQL tells) feed the label
    # links and the search rows of the same bulk write; in order it reads as one insert.
    async def add_rows(
        self,
        articles: Sequence[ArticleRows],
        now: datetime,
        label_cache: dict[LabelKey, int] | None = None,
    ) -> IngestOutcome:
        """add_many for articles already turned into rows (see storage.rows), made for this
        database's dialect."""
        unique: dict[str, ArticleRows] = {}
        for article in articles:
            unique.setdefault(article.content_hash, article)
        if not unique:
            return IngestOutcome(new_ids=(), known=len(articles))
        wanted: dict[LabelKey, str] = {}
        for article in unique.values():
            for kind, key, name in article.labels:
                wanted.setdefault((kind, key), name)
        label_ids = await self._labels.ensure(wanted, label_cache)

        known = await self._existing(list(unique))
        fresh = [article for content, article in unique.items() if content not in known]
        if not fresh:
            return IngestOutcome(new_ids=(), known=len(articles))
        stamp = partial(driver_datetime, self._dialect)
        stamped_now = stamp(now)
        rows = []
        for article in fresh:
            published = None if article.published_at is None else stamp(article.published_at)
            # content_hash .. url, as _ARTICLE_COLUMNS begins; then published, ingested, sort.
            rows.append((*article[:6], published, stamped_now, published or stamped_now))
        connection = await self._session.connection()
        if self._dialect == "sqlite":
            # The transaction holds SQLite's write lock (BEGIN IMMEDIATE) and `fresh` holds no
            # known article, so the next ids are these, as SQLite itself would give them.
            last = await self._session.scalar(select(func.max(ArticleRow.id)))
            first = (last or 0) + 1
            new = {article.content_hash: first + n for n, article in enumerate(fresh)}
            await connection.exec_driver_sql(
                bulk_insert_sql(self._dialect, "articles", ("id", *_ARTICLE_COLUMNS)),
                [(first + n, *row) for n, row in enumerate(rows)],
            )
        else:
            await connection.exec_driver_sql(
                bulk_insert_sql(self._dialect, "articles", _ARTICLE_COLUMNS, "content_hash"),
                rows,
            )
            new = await self._ids_of([article.content_hash for article in fresh])

        links: list[tuple[int, int, int, int]] = []
        index_rows: list[tuple[int, str, str, str]] = []
        now_key = sort_key_of(now)
        for content, article_id in sorted(new.items(), key=itemgetter(1)):
            article = unique[content]
            sort_key = (
                now_key if article.published_at is None else sort_key_of(article.published_at)
            )
            # Positions follow the file's order; each label is linked once.
            ids = [label_ids[kind, key] for kind, key, _ in article.labels]
            links.extend(zip(repeat(article_id), ids, repeat(sort_key), count()))
            index_rows.append((article_id, *article.search))
        if links:
            await connection.exec_driver_sql(
                bulk_insert_sql(
                    self._dialect, "article_labels", _LINK_COLUMNS, "article_id, label_id"
                ),
                links,
            )
        await add_index_rows(connection, self._dialect, index_rows)
        new_ids = tuple(sorted(new.values()))
        return IngestOutcome(new_ids=new_ids, known=len(articles) - len(new_ids))

    async def add_staged(self, staged: Staged, now: datetime) -> IngestOutcome:
        """add_rows for a parser's staging file (SQLite), attached to this transaction as
        storage.staging.STAGE (see Database.transaction)."""
        return await load_stage(self._session, staged, now)

    async def _existing(self, hashes: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(hashes), ROWS_PER_STATEMENT):
            part = hashes[start : start + ROWS_PER_STATEMENT]
            result = await self._session.scalars(
                select(ArticleRow.content_hash).where(ArticleRow.content_hash.in_(part))
            )
            found.update(result)
        return found

    async def _ids_of(self, hashes: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for start in range(0, len(hashes), ROWS_PER_STATEMENT):
            part = hashes[start : start + ROWS_PER_STATEMENT]
            result = await self._session.execute(
                select(ArticleRow.content_hash, ArticleRow.id).where(
                    ArticleRow.content_hash.in_(part)
                )
            )
            ids.update((content, article_id) for content, article_id in result)
        return ids

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
        by_id = {row.id: _stored(row, labels[row.id]) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

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
        """Return articles holding every word of `query`, best match first, newest among equals.

        Any text is a valid query: only its words count, so quotes, operators and stray
        punctuation mean nothing. Only the newest RANK_WINDOW matches are ranked."""
        words = query_words(query)
        if not words or limit < 1 or offset >= RANK_WINDOW:
            return []
        ids = await matching_ids(
            self._session, self._dialect, words, limit=limit, offset=max(offset, 0)
        )
        return await self.get_many(ids)

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


def _stored(row: ArticleRow, labels: list[tuple[str, str]]) -> StoredArticle:
    article = Article(
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
