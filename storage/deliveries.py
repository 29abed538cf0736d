"""Digest schedules and the delivery ledger.

Planning is set-based: one statement per group of chats that share a time zone, a digest time
and a due slot, and one join from the articles of the span to the subscriptions, so its cost
grows with the number of (chat, article) matches, not with chats x articles.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.deliveries import (
    ChatSchedule,
    Delivery,
    DeliveryKind,
    DeliveryState,
    InactiveReason,
    Outcome,
    PlanReport,
    PlanRules,
    Priority,
)
from bot.domain.schedule import UNSCHEDULED, StepKind, due_step, zone_for
from storage.dialect import (
    bulk_insert_sql,
    driver_datetime,
    insert_ignoring_conflicts,
    prepare_bulk_join,
)
from storage.models import (
    AlertQueueRow,
    ChatRow,
    DeliveryRow,
    DigestItemRow,
    LabelRow,
    SubscriptionRow,
    UTCDateTime,
    table_of,
)

_CHUNK = 1000
# Planning passes per tick: a folded or newly scheduled chat can fall due again at once.
_MAX_PASSES = 4
# A claim's lease when the caller names none (see DELIVERY__LEASE_SECONDS).
_DEFAULT_LEASE = timedelta(seconds=60)
# The advisory lock key planning holds on PostgreSQL ("digestbot plan").
_PLAN_LOCK = 0x64696765737450
# The advisory lock key a claim holds on PostgreSQL ("digestbot claim").
_CLAIM_LOCK = 0x6469676573743C
_PENDING = (DeliveryState.PLANNED.value, DeliveryState.AMBIGUOUS.value)
_FINISHED = (DeliveryState.SENT.value, DeliveryState.FAILED.value, DeliveryState.EMPTY.value)

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

# One page of a digest's articles, ranked as the digest ranks them.
_PAGE_SQL = """
SELECT i.article_id, i.matched
FROM digest_items i
JOIN articles a ON a.id = i.article_id
WHERE i.delivery_id = :delivery_id
ORDER BY i.matched DESC, a.sort_at DESC, i.article_id DESC
LIMIT :limit OFFSET :offset
"""

_COUNT_SQL = """
SELECT count(*)
FROM digest_items i
JOIN articles a ON a.id = i.article_id
WHERE i.delivery_id = :delivery_id
"""
_DIGEST_KEY = ("chat_id", "span_end")
_DIGEST_WHERE = "span_end IS NOT NULL"


def _stamp(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime)


class ScheduleRepository:
    """Each chat's digest settings and its place in the schedule."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def get(
        self, chat_id: int, default_zone: str, default_minute: int
    ) -> ChatSchedule | None:
        """Return a chat's digest settings with the defaults filled in, or None if unknown."""
        row = await self._session.get(ChatRow, chat_id)
        if row is None:
            return None
        return ChatSchedule(
            chat_id=row.id,
            chat_type=row.type,
            timezone=row.timezone or default_zone,
            digest_enabled=row.digest_enabled,
            digest_minute=default_minute if row.digest_minute is None else row.digest_minute,
            due_at=row.digest_due_at,
            through=row.digest_through,
            alerts=row.alerts,
            active=row.active,
            inactive_reason=row.inactive_reason,
        )

    async def set_digest(
        self, chat_id: int, minute: int, due: datetime, *, earliest_start: datetime
    ) -> None:
        """Turn the daily digest on at a local minute; `due` is its next slot.

        A digest that was off starts again from `earliest_start` at the earliest, like a first
        digest, rather than covering all the time it was off."""
        row = await self._row(chat_id)
        if not row.digest_enabled and row.digest_through is not None:
            row.digest_through = max(row.digest_through, earliest_start)
        row.digest_enabled = True
        row.digest_minute = minute
        row.digest_due_at = due if row.active else None

    async def disable_digest(self, chat_id: int) -> None:
        """Turn the daily digest off."""
        row = await self._row(chat_id)
        row.digest_enabled = False
        row.digest_due_at = None

    async def set_timezone(self, chat_id: int, name: str, due: datetime | None) -> None:
        """Store a chat's time zone; `due` is its digest's next slot in the new zone."""
        row = await self._row(chat_id)
        row.timezone = name
        if row.digest_enabled and row.active:
            row.digest_due_at = due

    async def set_alerts(self, chat_id: int, on: bool) -> None:
        """Turn alerts on or off."""
        row = await self._row(chat_id)
        row.alerts = on

    async def mark_inactive(self, chat_id: int, reason: InactiveReason) -> bool:
        """Stop sending to a chat; return whether it was active."""
        result = await self._session.execute(
            update(ChatRow)
            .where(ChatRow.id == chat_id, ChatRow.active.is_(True))
            .values(active=False, inactive_reason=reason.value, digest_due_at=None)
        )
        return bool(getattr(result, "rowcount", 0))

    async def reactivate(self, chat_id: int) -> bool:
        """Send to an inactive chat again (it wrote to the bot); return whether it was inactive.

        Its digest is rescheduled by the next tick; its span goes on from its last digest."""
        row = await self._session.get(ChatRow, chat_id)
        if row is None or row.active or row.inactive_reason == InactiveReason.MIGRATED.value:
            return False
        row.active = True
        row.inactive_reason = None
        row.digest_due_at = UNSCHEDULED if row.digest_enabled else None
        return True

    async def migrate(self, old_id: int, new_id: int, now: datetime) -> bool:
        """Move a group that became a supergroup: settings, subscriptions and pending sends.

        Return whether anything moved (False when the old chat is unknown or moved already)."""
        old = await self._session.get(ChatRow, old_id)
        if old is None or old.migrated_to == new_id:
            return False
        settings = {
            "timezone": old.timezone,
            "digest_enabled": old.digest_enabled,
            "digest_minute": old.digest_minute,
            "digest_due_at": old.digest_due_at if old.active else UNSCHEDULED,
            "digest_through": old.digest_through,
            "alerts": old.alerts,
            "active": True,
            "inactive_reason": None,
        }
        await self._session.execute(
            insert_ignoring_conflicts(self._dialect, ChatRow, "id"),
            [{"id": new_id, "type": "supergroup", "title": old.title, "created_at": now}],
        )
        await self._session.execute(update(ChatRow).where(ChatRow.id == new_id).values(**settings))
        await self._session.execute(
            insert_ignoring_conflicts(
                self._dialect, SubscriptionRow, "chat_id", "label_id"
            ).from_select(
                ["chat_id", "label_id", "created_at"],
                select(
                    bindparam("new_id", new_id, type_=ChatRow.id.type),
                    SubscriptionRow.label_id,
                    SubscriptionRow.created_at,
                ).where(SubscriptionRow.chat_id == old_id),
            )
        )
        await self._session.execute(
            delete(SubscriptionRow).where(SubscriptionRow.chat_id == old_id)
        )
        # Pending and past deliveries follow the chat, unless the new chat has the same one.
        await self._session.execute(
            text(
                "UPDATE deliveries SET chat_id = :new_id WHERE chat_id = :old_id AND NOT EXISTS ("
                "SELECT 1 FROM deliveries n WHERE n.chat_id = :new_id AND "
                "(n.span_end = deliveries.span_end OR n.article_id = deliveries.article_id))"
            ),
            {"new_id": new_id, "old_id": old_id},
        )
        old.active = False
        old.inactive_reason = InactiveReason.MIGRATED.value
        old.migrated_to = new_id
        old.digest_due_at = None
        return True

    async def _row(self, chat_id: int) -> ChatRow:
        row = await self._session.get(ChatRow, chat_id)
        if row is None:
            raise LookupError(f"unknown chat {chat_id}")
        return row


class DeliveryRepository:
    """The delivery ledger: planning digests and alerts, claiming and recording sends."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    # --- planning -------------------------------------------------------------------------

    async def plan_digests(self, now: datetime, rules: PlanRules) -> PlanReport:
        """Plan the digest of every active chat whose slot has come, with its articles.

        Each planned digest gets a ledger row spanning from the chat's previous digest to the
        slot, and the chat moves on to its next slot, in this one transaction: a digest is
        planned exactly once however often this runs."""
        report = PlanReport()
        cutoff = now - rules.settle
        for _ in range(_MAX_PASSES):
            due = ChatRow.digest_due_at
            groups = (
                await self._session.execute(
                    select(ChatRow.timezone, ChatRow.digest_minute, due)
                    .where(due <= cutoff, ChatRow.active.is_(True), ChatRow.digest_enabled)
                    .group_by(ChatRow.timezone, ChatRow.digest_minute, due)
                )
            ).all()
            if not groups:
                break
            floor = int(await self._session.scalar(select(func.max(DeliveryRow.id))) or 0)
            dues: list[datetime] = []
            starts: list[datetime] = []
            # The chats' updates below leave the session's identity map alone (no chat is
            # loaded in a planning transaction): keeping it in step would fetch back the id of
            # every updated chat (RETURNING), which costs more than the update itself.
            for zone_name, minute, slot in groups:
                assert slot is not None
                zone = zone_for(zone_name or rules.default_zone)
                local_minute = rules.default_minute if minute is None else minute
                step = due_step(slot, now, zone, local_minute, rules.missed_window)
                group = and_(
                    ChatRow.timezone.is_not_distinct_from(zone_name),
                    ChatRow.digest_minute.is_not_distinct_from(minute),
                    due == slot,
                    ChatRow.active.is_(True),
                    ChatRow.digest_enabled,
                )
                if step.kind is StepKind.SEND:
                    first_start = slot - rules.first_lookback
                    started = time.perf_counter()
                    await self._plan_group(group, slot, first_start, now)
                    report.recording_seconds += time.perf_counter() - started
                    started = time.perf_counter()
                    changed = await self._session.execute(
                        update(ChatRow)
                        .where(group)
                        .values(digest_through=slot, digest_due_at=step.next_due)
                        .execution_options(synchronize_session=False)
                    )
                    report.scheduling_seconds += time.perf_counter() - started
                    report.digests += int(getattr(changed, "rowcount", 0))
                    dues.append(slot)
                    starts.append(first_start)
                    continue
                started = time.perf_counter()
                changed = await self._session.execute(
                    update(ChatRow)
                    .where(group)
                    .values(digest_due_at=step.next_due)
                    .execution_options(synchronize_session=False)
                )
                report.scheduling_seconds += time.perf_counter() - started
                count = int(getattr(changed, "rowcount", 0))
                if step.kind is StepKind.FOLD:
                    report.folded += count
                else:
                    report.scheduled += count
            if dues:
                started = time.perf_counter()
                lo = await self._span_floor(floor, dues, min(starts))
                await self._plan_items(
                    floor=floor, dues=dues, lo=lo, hi=max(dues), bulk=report.digests >= _BULK
                )
                report.matching_seconds += time.perf_counter() - started
                report.dues += dues
        return report

    async def _plan_group(
        self, group: ColumnElement[bool], slot: datetime, first_start: datetime, now: datetime
    ) -> None:
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
        ).where(group)
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
            {"first_start": first_start, "slot": slot, "now": now},
        )

    async def _span_floor(self, floor: int, dues: list[datetime], first: datetime) -> datetime:
        """Return the earliest span start among the digests planned in this pass."""
        earliest = await self._session.scalar(
            select(func.min(DeliveryRow.span_start)).where(
                DeliveryRow.id > floor,
                DeliveryRow.kind == DeliveryKind.DIGEST.value,
                DeliveryRow.span_end.in_(dues),
            )
        )
        return earliest if earliest is not None else first

    async def _plan_items(
        self, *, floor: int, dues: list[datetime], lo: datetime, hi: datetime, bulk: bool
    ) -> None:
        """Store the articles of every digest planned in this pass (see _ITEMS_SQL_*)."""
        if bulk:
            await prepare_bulk_join(self._session, self._dialect, "deliveries")
        sql = _ITEMS_SQL_POSTGRESQL if self._dialect == "postgresql" else _ITEMS_SQL_SQLITE
        stmt = text(sql).bindparams(
            _stamp("lo"),
            _stamp("hi"),
            bindparam("dues", expanding=True, type_=UTCDateTime),
        )
        await self._session.execute(stmt, {"lo": lo, "hi": hi, "dues": dues, "floor": floor})

    async def plan_digest_now(
        self,
        chat_id: int,
        now: datetime,
        rules: PlanRules,
        next_due: datetime | None,
        *,
        claimed_by: str,
        lease: timedelta = _DEFAULT_LEASE,
    ) -> Delivery | None:
        """Plan a digest for one chat right now, already claimed by `claimed_by`.

        It spans from the chat's previous digest to now (less the settle time) and counts as
        the day's digest: the chat's next slot becomes `next_due`. None when the chat has no
        span to cover (a digest ended this very moment)."""
        row = await self._session.get(ChatRow, chat_id)
        if row is None:
            return None
        end = now - rules.settle
        start = (
            row.digest_through if row.digest_through is not None else end - rules.first_lookback
        )
        if start >= end:
            return None
        floor = int(await self._session.scalar(select(func.max(DeliveryRow.id))) or 0)
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
        row.digest_through = end
        if row.digest_enabled and row.active:
            row.digest_due_at = next_due
        await self._plan_items(floor=floor, dues=[end], lo=start, hi=end, bulk=False)
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

    # --- sending --------------------------------------------------------------------------

    async def lock_planning(self) -> None:
        """Plan in one process at a time (PostgreSQL): held until the transaction ends.

        Planning twice at once would plan nothing twice (the ledger's unique keys), but two
        planners updating the same chats could deadlock; the second simply waits."""
        if self._dialect == "postgresql":
            await self._hold_lock(_PLAN_LOCK)

    async def _hold_lock(self, key: int) -> None:
        """Take a PostgreSQL advisory lock held until the transaction ends (waiting for it)."""
        await self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    async def recover(self, claimed_by: str, now: datetime, *, expired_only: bool = True) -> int:
        """Take over the rows another sender left "sending": it may have died mid-send, so
        they become ambiguous (see delivery.service for what that means).

        Several live senders may share the ledger (PostgreSQL), so only rows whose lease has
        run out are taken over (a live sender renews its leases with its heartbeat).
        `expired_only=False` takes over every other run's rows: for SQLite, where this process
        holds the database alone (see storage.locks), so any other run is gone.

        The interrupted attempt is not counted: DELIVERY__MAX_ATTEMPTS limits sends Telegram
        left unanswered, and a row must not run out of attempts because the bot kept dying."""
        stale: list[ColumnElement[bool]] = [
            DeliveryRow.state == DeliveryState.SENDING.value,
            DeliveryRow.claimed_by.is_distinct_from(claimed_by),
        ]
        if expired_only:
            stale.append(DeliveryRow.claimed_until.is_(None) | (DeliveryRow.claimed_until <= now))
        result = await self._session.execute(
            update(DeliveryRow)
            .where(*stale)
            .values(
                state=DeliveryState.AMBIGUOUS.value,
                attempts=DeliveryRow.attempts - 1,
                claimed_until=None,
                updated_at=now,
            )
        )
        return int(getattr(result, "rowcount", 0))

    async def claim(
        self,
        *,
        limit: int,
        claimed_by: str,
        now: datetime,
        max_attempts: int,
        lease: timedelta = _DEFAULT_LEASE,
    ) -> list[Delivery]:
        """Claim up to `limit` pending deliveries, best priority first, marking them sending
        with a lease until `now + lease`.

        On PostgreSQL several senders share the ledger: the rows of a chat another sender has
        "sending" are skipped, so a chat is sent to by one process at a time and its flood
        limits hold. Claims take turns (an advisory lock held until the claim commits), so
        each sees what the one before it marked "sending": a claim running beside another
        would look at the ledger as it was before that one committed, and could take a
        second row of a chat the other had just taken. A claim is a short transaction.

        Deliveries to inactive chats, and ambiguous ones out of attempts, fail here unsent."""
        stmt = (
            select(
                DeliveryRow.id,
                DeliveryRow.chat_id,
                DeliveryRow.kind,
                DeliveryRow.priority,
                DeliveryRow.article_id,
                DeliveryRow.span_start,
                DeliveryRow.span_end,
                DeliveryRow.attempts,
                DeliveryRow.state,
                ChatRow.active,
            )
            .join(ChatRow, ChatRow.id == DeliveryRow.chat_id)
            .where(DeliveryRow.state.in_(_PENDING))
            .order_by(DeliveryRow.priority, DeliveryRow.id)
            .limit(limit)
        )
        if self._dialect == "postgresql":
            await self._hold_lock(_CLAIM_LOCK)
            other = aliased(DeliveryRow)
            stmt = stmt.where(
                ~select(other.id)
                .where(
                    other.chat_id == DeliveryRow.chat_id,
                    other.state == DeliveryState.SENDING.value,
                    other.claimed_by.is_distinct_from(claimed_by),
                )
                .exists()
            ).with_for_update(of=(DeliveryRow, ChatRow), skip_locked=True, key_share=True)
        rows = (await self._session.execute(stmt)).all()
        claimed: list[Delivery] = []
        inactive: list[int] = []
        exhausted: list[int] = []
        for row in rows:
            if not row.active:
                inactive.append(row.id)
            elif row.state == DeliveryState.AMBIGUOUS.value and row.attempts >= max_attempts:
                exhausted.append(row.id)
            else:
                claimed.append(
                    Delivery(
                        id=row.id,
                        chat_id=row.chat_id,
                        kind=DeliveryKind(row.kind),
                        priority=Priority(row.priority),
                        article_id=row.article_id,
                        span_start=row.span_start,
                        span_end=row.span_end,
                        attempts=row.attempts + 1,
                        retried_ambiguous=row.state == DeliveryState.AMBIGUOUS.value,
                    )
                )
        for ids, error in (
            (inactive, "the chat is inactive"),
            (exhausted, f"no answer after {max_attempts} attempts"),
        ):
            if ids:
                await self._session.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id.in_(ids))
                    .values(state=DeliveryState.FAILED.value, error=error, updated_at=now)
                )
        if claimed:
            await self._session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_([d.id for d in claimed]))
                .values(
                    state=DeliveryState.SENDING.value,
                    attempts=DeliveryRow.attempts + 1,
                    claimed_by=claimed_by,
                    claimed_until=now + lease,
                    updated_at=now,
                )
            )
        return claimed

    async def record(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Record how sends ended."""
        done = [o for o in outcomes if not o.requeue]
        again = [o.delivery_id for o in outcomes if o.requeue]
        if done:
            table = table_of(DeliveryRow)
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    state=bindparam("b_state"),
                    message_id=bindparam("b_message_id"),
                    error=bindparam("b_error"),
                    updated_at=bindparam("b_now", type_=UTCDateTime),
                )
            )
            await self._session.execute(
                stmt,
                [
                    {
                        "b_id": o.delivery_id,
                        "b_state": o.state.value,
                        "b_message_id": o.message_id,
                        "b_error": o.error,
                        "b_now": now,
                    }
                    for o in done
                ],
            )
        if again:
            await self._session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(again))
                .values(
                    state=DeliveryState.PLANNED.value,
                    attempts=DeliveryRow.attempts - 1,
                    updated_at=now,
                )
            )

    async def digest_items(self, delivery_ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        """Return each digest's (article id, matched labels) rows, unranked."""
        items: dict[int, list[tuple[int, int]]] = defaultdict(list)
        if not delivery_ids:
            return items
        result = await self._session.execute(
            select(
                DigestItemRow.delivery_id, DigestItemRow.article_id, DigestItemRow.matched
            ).where(DigestItemRow.delivery_id.in_(delivery_ids))
        )
        for delivery_id, article_id, matched in result:
            items[delivery_id].append((article_id, matched))
        return items

    async def followed_keys(self, chat_ids: Sequence[int]) -> dict[int, set[str]]:
        """Return the folded keys of the labels each chat follows."""
        keys: dict[int, set[str]] = defaultdict(set)
        if not chat_ids:
            return keys
        result = await self._session.execute(
            select(SubscriptionRow.chat_id, LabelRow.key)
            .join(LabelRow, LabelRow.id == SubscriptionRow.label_id)
            .where(SubscriptionRow.chat_id.in_(list(set(chat_ids))))
        )
        for chat_id, key in result:
            keys[chat_id].add(key)
        return keys

    async def chat_zones(self, chat_ids: Sequence[int]) -> dict[int, str | None]:
        """Return each chat's stored time zone name (None: the default)."""
        if not chat_ids:
            return {}
        result = await self._session.execute(
            select(ChatRow.id, ChatRow.timezone).where(ChatRow.id.in_(list(set(chat_ids))))
        )
        return {chat_id: zone for chat_id, zone in result}

    async def get(self, delivery_id: int) -> tuple[int, datetime, datetime] | None:
        """Return a digest's chat and span: (chat id, start, end)."""
        row = await self._session.get(DeliveryRow, delivery_id)
        if row is None or row.span_start is None or row.span_end is None:
            return None
        return row.chat_id, row.span_start, row.span_end

    async def page(
        self, delivery_id: int, *, offset: int, limit: int
    ) -> tuple[list[tuple[int, int]], int]:
        """Return one page of a digest's (article id, matched labels), ranked, and the total."""
        params = {"delivery_id": delivery_id}
        total = int(await self._session.scalar(text(_COUNT_SQL), params) or 0)
        rows = await self._session.execute(
            text(_PAGE_SQL), {**params, "offset": offset, "limit": limit}
        )
        return [(article_id, matched) for article_id, matched in rows], total

    async def finished_before(self, before: datetime, limit: int) -> list[int]:
        """Return up to `limit` ids of ledger rows that are done with (sent, failed or empty)
        and were last changed before `before`, oldest first."""
        return list(
            (
                await self._session.scalars(
                    select(DeliveryRow.id)
                    .where(
                        DeliveryRow.state.in_(_FINISHED),
                        DeliveryRow.updated_at < before,
                    )
                    .order_by(DeliveryRow.id)
                    .limit(limit)
                )
            ).all()
        )

    async def forget(self, ids: Sequence[int]) -> int:
        """Delete finished ledger rows and their digest items (see finished_before); rows
        that changed state since are kept. Return how many rows went."""
        gone = 0
        for start in range(0, len(ids), _CHUNK):
            part = list(ids[start : start + _CHUNK])
            removed = await self._session.execute(
                delete(DeliveryRow)
                .where(DeliveryRow.id.in_(part), DeliveryRow.state.in_(_FINISHED))
                .returning(DeliveryRow.id)
            )
            deleted = list(removed.scalars())
            if deleted:
                await self._session.execute(
                    delete(DigestItemRow).where(DigestItemRow.delivery_id.in_(deleted))
                )
            gone += len(deleted)
        return gone

    async def states(self, chat_id: int | None = None) -> dict[str, int]:
        """Return how many ledger rows are in each state (of one chat, or all)."""
        stmt = select(DeliveryRow.state, func.count()).group_by(DeliveryRow.state)
        if chat_id is not None:
            stmt = stmt.where(DeliveryRow.chat_id == chat_id)
        return {state: int(count) for state, count in await self._session.execute(stmt)}

    async def pending(self) -> int:
        """Return how many deliveries wait to be sent (planned, ambiguous or sending)."""
        return int(
            await self._session.scalar(
                select(func.count())
                .select_from(DeliveryRow)
                .where(DeliveryRow.state.in_([*_PENDING, DeliveryState.SENDING.value]))
            )
            or 0
        )
