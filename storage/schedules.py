"""Chats' digest schedules: each chat's digest settings and its place in the schedule.

Planning finds the due chats in groups (one per time zone, digest minute and due slot) and moves
each group on to its next slot in one statement, so its cost does not grow with the chats of a
group; which slot comes next is the domain's decision (bot.domain.deliveries.plan_group).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deliveries import ChatSchedule, DueGroup, InactiveReason
from bot.domain.schedule import UNSCHEDULED
from storage.dialect import insert_ignoring_conflicts
from storage.models import ChatRow, SubscriptionRow


def due_group_filter(group: DueGroup) -> ColumnElement[bool]:
    """Return the condition that picks the active chats of a due group."""
    return and_(
        ChatRow.timezone.is_not_distinct_from(group.zone_name),
        ChatRow.digest_minute.is_not_distinct_from(group.minute),
        ChatRow.digest_due_at == group.due,
        ChatRow.active.is_(True),
        ChatRow.digest_enabled,
    )


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

    # --- planning ---------------------------------------------------------------------------

    async def due_groups(self, cutoff: datetime) -> list[DueGroup]:
        """Return the groups of active chats whose digest slot is at or before `cutoff`."""
        due = ChatRow.digest_due_at
        rows = await self._session.execute(
            select(ChatRow.timezone, ChatRow.digest_minute, due)
            .where(due <= cutoff, ChatRow.active.is_(True), ChatRow.digest_enabled)
            .group_by(ChatRow.timezone, ChatRow.digest_minute, due)
        )
        groups = []
        for zone_name, minute, slot in rows:
            assert slot is not None
            groups.append(DueGroup(zone_name, minute, slot))
        return groups

    async def advance(
        self, group: DueGroup, next_due: datetime, *, through: datetime | None = None
    ) -> int:
        """Move a due group on to its next slot; `through` is where the digest just planned
        for it ends (none when nothing was planned). Return how many chats moved."""
        values: dict[str, datetime] = {"digest_due_at": next_due}
        if through is not None:
            values["digest_through"] = through
        # This leaves the session's identity map alone (no chat is loaded in a planning
        # transaction): keeping it in step would fetch back the id of every updated chat
        # (RETURNING), which costs more than the update itself.
        changed = await self._session.execute(
            update(ChatRow)
            .where(due_group_filter(group))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(changed, "rowcount", 0))

    async def digest_planned(self, chat_id: int, through: datetime, next_due: datetime) -> None:
        """Record a digest planned on demand up to `through`: it counts as the day's digest,
        so an enabled digest's next slot becomes `next_due`."""
        row = await self._row(chat_id)
        row.digest_through = through
        if row.digest_enabled and row.active:
            row.digest_due_at = next_due

    async def zones(self, chat_ids: Sequence[int]) -> dict[int, str | None]:
        """Return each chat's stored time zone name (None: the default)."""
        if not chat_ids:
            return {}
        result = await self._session.execute(
            select(ChatRow.id, ChatRow.timezone).where(ChatRow.id.in_(list(set(chat_ids))))
        )
        return {chat_id: zone for chat_id, zone in result}

    async def _row(self, chat_id: int) -> ChatRow:
        row = await self._session.get(ChatRow, chat_id)
        if row is None:
            raise LookupError(f"unknown chat {chat_id}")
        return row
