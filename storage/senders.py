"""The `senders` table: the processes that send, each with its heartbeat (see
delivery.heartbeat for how they share the bot's flood budget)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_ignoring_conflicts
from storage.models import SenderRow


class SenderRepository:
    """The `senders` table: who sends, and since when."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def beat(self, sender_id: str, role: str, now: datetime) -> None:
        """Record that a sender is alive (registering it the first time)."""
        changed = await self._session.execute(
            update(SenderRow).where(SenderRow.id == sender_id).values(heartbeat_at=now)
        )
        if not getattr(changed, "rowcount", 0):
            await self._session.execute(
                insert_ignoring_conflicts(self._dialect, SenderRow, "id"),
                [{"id": sender_id, "role": role, "started_at": now, "heartbeat_at": now}],
            )

    async def live(self, since: datetime) -> int:
        """Return how many senders beat at `since` or later."""
        count = await self._session.scalar(
            select(func.count()).select_from(SenderRow).where(SenderRow.heartbeat_at >= since)
        )
        return int(count or 0)

    async def forget(self, sender_id: str, dead_before: datetime) -> None:
        """Remove a sender that stops, and senders silent since `dead_before`."""
        await self._session.execute(
            delete(SenderRow).where(
                (SenderRow.id == sender_id) | (SenderRow.heartbeat_at < dead_before)
            )
        )
