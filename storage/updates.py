"""The update ids webhook processes have taken: each update is handled once, in one process."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_ignoring_conflicts
from storage.models import ProcessedUpdateRow

# Telegram keeps an undelivered update for 24 hours; a redelivered copy cannot be older.
KEEP_UPDATE_IDS = timedelta(hours=25)


class ProcessedUpdateRepository:
    """Insert-ignore on the update id: the first process to insert it handles the update."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record an update id; return False if some process already took this update."""
        stmt = (
            insert_ignoring_conflicts(self._dialect, ProcessedUpdateRow, "update_id")
            .values(update_id=update_id, received_at=now)
            .returning(ProcessedUpdateRow.update_id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def prune(self, now: datetime, keep: timedelta = KEEP_UPDATE_IDS) -> int:
        """Forget update ids older than `keep`; return how many were removed."""
        result = await self._session.execute(
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.received_at < now - keep)
        )
        return int(getattr(result, "rowcount", 0) or 0)
