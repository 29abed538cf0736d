"""What planning writes into the delivery ledger: the rows of due digests with their articles,
and the alerts for newly ingested articles.

Planning is set-based: one statement per group of chats that share a time zone, a digest time
and a due slot, and one join from the articles of the span to the subscriptions, so its cost
grows with the number of (chat, article) matches, not with chats x articles. Which groups are
due and what each gets is decided by the planner (delivery.planner, bot.domain.deliveries).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deliveries import Delivery, DeliveryKind, DeliveryState, DueGroup, Priority
from storage.dialect import (
    bulk_insert_sql,
    driver_datetime,
    insert_ignoring_conflicts,
    prepare_bulk_join,
)
from storage.models import AlertQueueRow, ArticleRow, ChatRow, DeliveryRow, UTCDateTime
from storage.schedules import due_group_filter

# Every article of every digest planned in this pass, with how many of the chat's labels it
# carries. It starts from the articles that arrived in the pass's spans (an index range on
# ingested_at), then follows their labels to the subscriptions and the new digests, so its cost
# follows the number of matches. Rows go in in digest_items' key order, so each lands at the
# right edge of its index rather than on a random page. Each dialect has its own shape:
#
# PostgreSQL plans the join by itself (given fresh statistics: see prepare_bulk_join), with
# hash joins, so the rows are sorted by key at the end.
_ITEMS_SQL_POSTGRESQL = """
INSERT INTO digest_items (delivery_id, article_id, matched)
SELECT d.id, a.id, count(*)
FROM articles a
CROSS JOIN article_labels al
CROSS JOIN subscriptions s
CROSS JOIN deliveries d
WHERE a.ingested_at >= :lo AND a.ingested_at < :hi
  AND al.article_id = a.id
  AND s.label_id = al.label_id
  AND d.chat_id = s.chat_id
  AND d.span_end IN :dues
  AND d.id > :floor
  AND d.kind = 'digest'
  AND a.ingested_at >= d.span_start AND a.ingested_at < d.span_end
  AND NOT EXISTS (
      SELECT 1 FROM deliveries x
      WHERE x.chat_id = d.chat_id AND x.article_id = a.id AND x.article_id IS NOT NULL
  )
GROUP BY d.id, a.id
ORDER BY d.id, a.id
"""
# SQLite runs nested loops in the order the CROSS JOINs give. Each match finds its digest in
# the (chat_id, span_end) index alone, which holds the digest's id; the digest's own row (its
# span start) is read after grouping, once per (digest, article) and in the key order the
# grouping leaves the rows in, so no sort is needed. Reading that row for every match instead,
# in subscription order, is a random page access per match: with 100,000 new digests, more than
# the page cache holds, that took about twice as long.
_ITEMS_SQL_SQLITE = """
INSERT INTO digest_items (delivery_id, article_id, matched)
SELECT m.delivery_id, m.article_id, m.matched
FROM (
    SELECT d.id AS delivery_id, a.id AS article_id, a.ingested_at AS ingested_at,
           count(*) AS matched
    FROM articles a
    CROSS JOIN article_labels al
    CROSS JOIN subscriptions s
    CROSS JOIN deliveries d
    WHERE a.ingested_at >= :lo AND a.ingested_at < :hi
      AND al.article_id = a.id
      AND s.label_id = al.label_id
      AND d.chat_id = s.chat_id
      AND d.span_end IN :dues
      AND d.id > :floor
    GROUP BY d.id, a.id
) m
CROSS JOIN deliveries d
WHERE d.id = m.delivery_id
  AND d.kind = 'digest'
  AND m.ingested_at >= d.span_start AND m.ingested_at < d.span_end
  AND NOT EXISTS (
      SELECT 1 FROM deliveries x
      WHERE x.chat_id = d.chat_id AND x.article_id = m.article_id AND x.article_id IS NOT NULL
  )
"""
# A pass that plans at least this many digests refreshes PostgreSQL's statistics first.
_BULK = 1000

# The alerts for queued articles: every active chat with alerts on that follows one of the
# article's labels, unless a digest span already covers the article for that chat.
_ALERTS_SQL = """
INSERT INTO deliveries
    (chat_id, kind, article_id, state, priority, attempts, created_at, updated_at)
SELECT DISTINCT s.chat_id, 'alert', a.id, 'planned', {priority}, 0, :now, :now
FROM articles a
CROSS JOIN article_labels al
CROSS JOIN subscriptions s
CROSS JOIN chats c
WHERE a.id IN :ids
  AND al.article_id = a.id
  AND s.label_id = al.label_id
  AND c.id = s.chat_id
  AND c.alerts AND c.active
  AND (c.digest_through IS NULL OR a.ingested_at >= c.digest_through)
ON CONFLICT (chat_id, article_id) WHERE article_id IS NOT NULL DO NOTHING
"""

_DIGEST_KEY = ("chat_id", "span_end")
_DIGEST_WHERE = "span_end IS NOT NULL"


def _stamp(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime)


class PlanRepository:
    """Ledger rows for due digests and alerts, and the articles of each planned digest."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def last_id(self) -> int:
        """Return the highest ledger row id so far (0 for none): rows planned later are above."""
        return int(await self._session.scalar(select(func.max(DeliveryRow.id))) or 0)

    async def newest_ingested(self) -> datetime | None:
        """Return when the newest committed article was stored (None: no article yet)."""
        return await self._session.scalar(select(func.max(ArticleRow.ingested_at)))

    async def hold_ingests(self) -> None:
        """Wait for the ingest batches in flight to commit, and hold new ones back until this
        transaction ends (PostgreSQL; SQLite's single writer already does so).

        With `lock_for_ingest` this makes the newest committed article a safe end for a digest
        asked for now: no article stamped before it can commit after (see delivery.planner)."""
        if self._dialect == "postgresql":
            await self._session.execute(text("LOCK TABLE articles IN SHARE MODE"))

    async def lock_for_ingest(self) -> None:
        """Take, before an ingest batch stamps its articles, the lock its inserts take anyway
        (PostgreSQL), so the stamp and the commit both fall outside a `hold_ingests`."""
        if self._dialect == "postgresql":
            await self._session.execute(text("LOCK TABLE articles IN ROW EXCLUSIVE MODE"))

    async def add_digests(self, group: DueGroup, first_start: datetime, now: datetime) -> None:
        """Add a planned digest for each chat of a due group, spanning from the chat's previous
        digest (or `first_start`) to the group's slot; one a chat has already is kept."""
        start = func.coalesce(ChatRow.digest_through, _stamp("first_start"))
        rows = select(
            ChatRow.id,
            literal_column(f"'{DeliveryKind.DIGEST.value}'"),
            start,
            _stamp("slot"),
            literal_column(f"'{DeliveryState.PLANNED.value}'"),
            literal_column(str(int(Priority.DIGEST))),
            literal_column("0"),
            _stamp("now"),
            _stamp("now"),
        ).where(due_group_filter(group))
        stmt = insert_ignoring_conflicts(
            self._dialect, DeliveryRow, *_DIGEST_KEY, where=_DIGEST_WHERE
        )
        await self._session.execute(
            stmt.from_select(
                [
                    "chat_id",
                    "kind",
                    "span_start",
                    "span_end",
                    "state",
                    "priority",
                    "attempts",
                    "created_at",
                    "updated_at",
                ],
                rows,
            ),
            {"first_start": first_start, "slot": group.due, "now": now},
        )

    async def span_floor(self, floor: int, dues: list[datetime], first: datetime) -> datetime:
        """Return the earliest span start among the digests planned in this pass (ids above
        `floor`, ending at one of `dues`); `first` when there is none."""
        earliest = await self._session.scalar(
            select(func.min(DeliveryRow.span_start)).where(
                DeliveryRow.id > floor,
                DeliveryRow.kind == DeliveryKind.DIGEST.value,
                DeliveryRow.span_end.in_(dues),
            )
        )
        return earliest if earliest is not None else first

    async def add_items(
        self, *, floor: int, dues: list[datetime], lo: datetime, hi: datetime, digests: int
    ) -> None:
        """Store the articles of every digest planned in this pass (see _ITEMS_SQL_*); the
        articles come from [lo, hi), and `digests` says how many digests the pass planned."""
        if digests >= _BULK:
            await prepare_bulk_join(self._session, self._dialect, "deliveries")
        sql = _ITEMS_SQL_POSTGRESQL if self._dialect == "postgresql" else _ITEMS_SQL_SQLITE
        stmt = text(sql).bindparams(
            _stamp("lo"),
            _stamp("hi"),
            bindparam("dues", expanding=True, type_=UTCDateTime),
        )
        await self._session.execute(stmt, {"lo": lo, "hi": hi, "dues": dues, "floor": floor})

    async def add_claimed_digest(
        self,
        chat_id: int,
        span: tuple[datetime, datetime],
        now: datetime,
        *,
        claimed_by: str,
        lease: timedelta,
    ) -> Delivery | None:
        """Add a digest of `span` for one chat, already claimed by `claimed_by` (/digest now).

        None when the chat has a digest ending at that very moment already."""
        start, end = span
        result = await self._session.execute(
            insert_ignoring_conflicts(
                self._dialect, DeliveryRow, *_DIGEST_KEY, where=_DIGEST_WHERE
            )
            .values(
                chat_id=chat_id,
                kind=DeliveryKind.DIGEST.value,
                span_start=start,
                span_end=end,
                state=DeliveryState.SENDING.value,
                priority=int(Priority.INTERACTIVE),
                attempts=1,
                claimed_by=claimed_by,
                claimed_until=now + lease,
                created_at=now,
                updated_at=now,
            )
            .returning(DeliveryRow.id)
        )
        delivery_id = result.scalar()
        if delivery_id is None:
            return None
        return Delivery(
            id=delivery_id,
            chat_id=chat_id,
            kind=DeliveryKind.DIGEST,
            priority=Priority.INTERACTIVE,
            article_id=None,
            span_start=start,
            span_end=end,
            attempts=1,
            retried_ambiguous=False,
        )

    async def queue_alerts(self, article_ids: Iterable[int], now: datetime) -> None:
        """Queue newly stored articles for the alert planner."""
        queued_at = driver_datetime(self._dialect, now)
        rows = [(article_id, queued_at) for article_id in article_ids]
        if rows:
            connection = await self._session.connection()
            await connection.exec_driver_sql(
                bulk_insert_sql(
                    self._dialect, "alert_queue", ("article_id", "queued_at"), "article_id"
                ),
                rows,
            )

    async def plan_alerts(self, now: datetime, limit: int = 5000) -> int:
        """Turn queued articles into alerts for the chats that want them; return how many."""
        ids = list(
            (
                await self._session.scalars(
                    select(AlertQueueRow.article_id)
                    .order_by(AlertQueueRow.article_id)
                    .limit(limit)
                )
            ).all()
        )
        if not ids:
            return 0
        result = await self._session.execute(
            text(_ALERTS_SQL.format(priority=int(Priority.ALERT))).bindparams(
                bindparam("ids", expanding=True), _stamp("now")
            ),
            {"ids": ids, "now": now},
        )
        await self._session.execute(delete(AlertQueueRow).where(AlertQueueRow.article_id.in_(ids)))
        return int(getattr(result, "rowcount", 0))
