"""The delivery ledger: what is sent to whom, claims with leases, how each send ended.

Planning adds rows (storage.plans); senders claim them in batches, record how each send ended,
and take over the claims of senders that died; finished rows are pruned after a while. The
delivery guarantees these statements keep are stated in the delivery package (delivery/).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.deliveries import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    Outcome,
    Priority,
    Triage,
    triage,
)
from storage.models import (
    ChatRow,
    DeliveryRow,
    DigestItemRow,
    LabelRow,
    SubscriptionRow,
    UTCDateTime,
    table_of,
)

_CHUNK = 1000
# A claim's lease when the caller names none (see DELIVERY__LEASE_SECONDS).
_DEFAULT_LEASE = timedelta(seconds=60)
# The advisory lock key planning holds on PostgreSQL ("digestbot plan").
_PLAN_LOCK = 0x64696765737450
# The advisory lock key a claim holds on PostgreSQL ("digestbot claim").
_CLAIM_LOCK = 0x6469676573743C
_PENDING = (DeliveryState.PLANNED.value, DeliveryState.AMBIGUOUS.value)
_FINISHED = (DeliveryState.SENT.value, DeliveryState.FAILED.value, DeliveryState.EMPTY.value)

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


async def hold_advisory_lock(session: AsyncSession, key: int) -> None:
    """Take a PostgreSQL advisory lock held until the transaction ends (waiting for it)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class LedgerRepository:
    """The delivery ledger: claiming and recording sends, reading digests, pruning."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def lock_planning(self) -> None:
        """Plan in one process at a time (PostgreSQL): held until the transaction ends.

        Planning twice at once would plan nothing twice (the ledger's unique keys), but two
        planners updating the same chats could deadlock; the second simply waits."""
        if self._dialect == "postgresql":
            await hold_advisory_lock(self._session, _PLAN_LOCK)

    async def recover(self, claimed_by: str, now: datetime, *, expired_only: bool = True) -> int:
        """Take over the rows another sender left "sending": it may have died mid-send, so
        they become ambiguous (see the delivery package for what that means).

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

    # Long for a reason: the statement, its PostgreSQL variant (the claim lock, SKIP LOCKED)
    # and what is done with each row it returns are one guarantee, read best in one place.
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
            await hold_advisory_lock(self._session, _CLAIM_LOCK)
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
            verdict = triage(
                active=row.active,
                ambiguous=row.state == DeliveryState.AMBIGUOUS.value,
                attempts=row.attempts,
                max_attempts=max_attempts,
            )
            if verdict is Triage.INACTIVE:
                inactive.append(row.id)
            elif verdict is Triage.EXHAUSTED:
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
        await self._fail_unsent(inactive, "the chat is inactive", now)
        await self._fail_unsent(exhausted, f"no answer after {max_attempts} attempts", now)
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

    async def _fail_unsent(self, ids: list[int], error: str, now: datetime) -> None:
        if ids:
            await self._session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids))
                .values(state=DeliveryState.FAILED.value, error=error, updated_at=now)
            )

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

    async def renew(self, claimed_by: str, until: datetime) -> int:
        """Extend the leases of the rows a sender has "sending"; return how many."""
        changed = await self._session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.state == DeliveryState.SENDING.value,
                DeliveryRow.claimed_by == claimed_by,
            )
            .values(claimed_until=until)
        )
        return int(getattr(changed, "rowcount", 0))

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
