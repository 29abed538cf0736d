"""Repositories: queries in, domain dataclasses out. They never commit; the caller's
transaction does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import partial
from itertools import count, repeat
from operator import itemgetter

from sqlalchemy import delete, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.articles import Article
from bot.domain.commands import suggestion_patterns
from bot.domain.labels import Label, LabelKind, fold_label
from bot.domain.records import Chat, IngestOutcome, StoredArticle
from bot.domain.search import query_words
from storage.dialect import bulk_insert_sql, driver_datetime, insert_ignoring_conflicts
from storage.fulltext import FORGET_SQL, RANK_WINDOW, add_index_rows, index_row, matching_ids
from storage.ledger import LedgerRepository
from storage.models import (
    ArticleLabelRow,
    ArticleRow,
    ChatRow,
    LabelRow,
    SubscriptionRow,
)
from storage.plans import PlanRepository
from storage.rows import ArticleRows, article_rows, sort_key_of
from storage.schedules import ScheduleRepository
from storage.senders import SenderRepository

# Rows per INSERT statement: large enough to amortise round trips, small enough to stay under
# SQLite's and asyncpg's bound-parameter limits.
_CHUNK = 500

LabelKey = tuple[str, str]  # (kind, folded key)
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


class Repos:
    """The repositories of one transaction."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self.session = session
        self.articles = ArticleRepository(session, dialect)
        self.labels = LabelRepository(session, dialect)
        self.chats = ChatRepository(session, dialect)
        self.subscriptions = SubscriptionRepository(session, dialect)
        self.schedules = ScheduleRepository(session, dialect)
        self.ledger = LedgerRepository(session, dialect)
        self.plans = PlanRepository(session, dialect)
        self.senders = SenderRepository(session, dialect)


class LabelRepository:
    """Hashtags and themes, looked up by their folded key."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def ensure(
        self, wanted: dict[LabelKey, str], known: dict[LabelKey, int] | None = None
    ) -> dict[LabelKey, int]:
        """Return ids for (kind, key) -> display name, creating missing labels; `known` caches."""
        cache = known if known is not None else {}
        missing = {k: name for k, name in wanted.items() if k not in cache}
        if missing:
            stmt = insert_ignoring_conflicts(self._dialect, LabelRow, "kind", "key")
            rows = [
                {"kind": kind, "key": key, "name": name} for (kind, key), name in missing.items()
            ]
            for start in range(0, len(rows), _CHUNK):
                await self._session.execute(stmt, rows[start : start + _CHUNK])
            keys = list(missing)
            for start in range(0, len(keys), _CHUNK):
                part = keys[start : start + _CHUNK]
                result = await self._session.execute(
                    select(LabelRow.kind, LabelRow.key, LabelRow.id).where(
                        LabelRow.key.in_({key for _, key in part})
                    )
                )
                for kind, key, label_id in result:
                    cache[(kind, key)] = label_id
        return {k: cache[k] for k in wanted}

    async def find(self, text: str, kind: LabelKind | None = None) -> list[Label]:
        """Return the labels whose folded key equals that of `text` (tags before themes)."""
        key = fold_label(text)
        if not key:
            return []
        stmt = select(LabelRow).where(LabelRow.key == key)
        if kind is not None:
            stmt = stmt.where(LabelRow.kind == kind.value)
        rows = (await self._session.scalars(stmt.order_by(LabelRow.kind))).all()
        return [_label(row) for row in rows]

    async def get(self, label_id: int) -> Label | None:
        """Return one label by id."""
        row = await self._session.get(LabelRow, label_id)
        return None if row is None else _label(row)

    async def similar(self, key: str, *, limit: int = 2000) -> list[Label]:
        """Return up to `limit` labels that may be close to a folded key, for suggestions.

        The LIKE prefilter (see suggestion_patterns) keeps the candidates few however many
        labels there are; the caller ranks them."""
        patterns = suggestion_patterns(key)
        if not patterns:
            return []
        stmt = (
            select(LabelRow)
            .where(or_(*(LabelRow.key.like(pattern, escape="\\") for pattern in patterns)))
            .limit(limit)
        )
        return [_label(row) for row in (await self._session.scalars(stmt)).all()]

    async def active(self, since: datetime | None, *, limit: int) -> list[tuple[Label, int]]:
        """Return the labels with the most articles since `since` (all time if None)."""
        articles = func.count(ArticleLabelRow.article_id).label("articles")
        stmt = select(LabelRow, articles).join(
            ArticleLabelRow, ArticleLabelRow.label_id == LabelRow.id
        )
        if since is not None:
            # ingested_at is indexed and narrows the scan; sort_at is what "of the last days"
            # means for an article whose source gave its publication time.
            stmt = stmt.join(ArticleRow, ArticleRow.id == ArticleLabelRow.article_id).where(
                ArticleRow.ingested_at >= since, ArticleRow.sort_at >= since
            )
        stmt = stmt.group_by(LabelRow.id).order_by(articles.desc(), LabelRow.key, LabelRow.id)
        result = await self._session.execute(stmt.limit(limit))
        return [(_label(row), int(count)) for row, count in result]


class ArticleRepository:
    """Articles with their labels."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def add_many(
        self,
        articles: Sequence[Article],
        now: datetime,
        label_cache: dict[LabelKey, int] | None = None,
    ) -> IngestOutcome:
        """Store articles that are not known yet (by content hash); report what was new."""
        rows = [article_rows(self._dialect, article) for article in articles]
        return await self.add_rows(rows, now, label_cache)

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
        label_ids = await LabelRepository(self._session, self._dialect).ensure(wanted, label_cache)

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

    async def _existing(self, hashes: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(hashes), _CHUNK):
            part = hashes[start : start + _CHUNK]
            result = await self._session.scalars(
                select(ArticleRow.content_hash).where(ArticleRow.content_hash.in_(part))
            )
            found.update(result)
        return found

    async def _ids_of(self, hashes: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for start in range(0, len(hashes), _CHUNK):
            part = hashes[start : start + _CHUNK]
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
        labels = await LabelRepository(self._session, self._dialect).find(text)
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
        labels = await LabelRepository(self._session, self._dialect).find(query)
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


class ChatRepository:
    """Chats the bot has seen."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def ensure(self, chat_id: int, chat_type: str, title: str | None, now: datetime) -> Chat:
        """Return the chat, creating it on first contact."""
        await self._session.execute(
            insert_ignoring_conflicts(self._dialect, ChatRow, "id"),
            [
                {
                    "id": chat_id,
                    "type": chat_type,
                    "title": title,
                    "active": True,
                    "created_at": now,
                }
            ],
        )
        row = await self._session.get(ChatRow, chat_id)
        assert row is not None
        return _chat(row)

    async def get(self, chat_id: int) -> Chat | None:
        """Return one chat, or None if the bot has never seen it."""
        row = await self._session.get(ChatRow, chat_id)
        return None if row is None else _chat(row)


class SubscriptionRepository:
    """Which labels each chat follows."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def add(self, chat_id: int, label_ids: Iterable[int], now: datetime) -> list[int]:
        """Subscribe the chat to these labels; return the ids that were not subscribed before."""
        wanted = list(dict.fromkeys(label_ids))
        before = set(await self._label_ids(chat_id))
        new = [label_id for label_id in wanted if label_id not in before]
        if new:
            await self._session.execute(
                insert_ignoring_conflicts(self._dialect, SubscriptionRow, "chat_id", "label_id"),
                [
                    {"chat_id": chat_id, "label_id": label_id, "created_at": now}
                    for label_id in new
                ],
            )
        return new

    async def remove(self, chat_id: int, label_ids: Iterable[int]) -> list[int]:
        """Unsubscribe the chat from these labels; return the ids that were subscribed."""
        wanted = set(label_ids)
        present = [label_id for label_id in await self._label_ids(chat_id) if label_id in wanted]
        if present:
            await self._session.execute(
                delete(SubscriptionRow).where(
                    SubscriptionRow.chat_id == chat_id, SubscriptionRow.label_id.in_(present)
                )
            )
        return present

    async def for_chat(self, chat_id: int) -> list[Label]:
        """Return the chat's labels, in the order they were added."""
        rows = (
            await self._session.scalars(
                select(LabelRow)
                .join(SubscriptionRow, SubscriptionRow.label_id == LabelRow.id)
                .where(SubscriptionRow.chat_id == chat_id)
                .order_by(SubscriptionRow.created_at, LabelRow.id)
            )
        ).all()
        return [_label(row) for row in rows]

    async def _label_ids(self, chat_id: int) -> list[int]:
        return list(
            (
                await self._session.scalars(
                    select(SubscriptionRow.label_id).where(SubscriptionRow.chat_id == chat_id)
                )
            ).all()
        )


def _label(row: LabelRow) -> Label:
    return Label(id=row.id, kind=LabelKind(row.kind), key=row.key, name=row.name)


def _chat(row: ChatRow) -> Chat:
    return Chat(
        id=row.id, type=row.type, title=row.title, timezone=row.timezone, active=row.active
    )


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
