"""The update ids webhook processes have taken: each update is handled once, and none is lost
when the process handling it stops mid-way."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_ignoring_conflicts
from storage.models import ProcessedUpdateRow

# Telegram keeps an undelivered update for 24 hours; a redelivered copy cannot be older.
KEEP_UPDATE_IDS = timedelta(hours=25)
# How long a process may take to handle an update before another may take it over.
UPDATE_LEASE = timedelta(seconds=60)


class Claim(enum.Enum):
    """What a process may do with an update it received."""

    HANDLE = "handle"  # first copy, or one whose handler stopped mid-way: handle it
    HANDLED = "handled"  # handled already: answer that it was
    BUSY = "busy"  # another process is handling it now: Telegram should deliver it later


class ProcessedUpdateRepository:
    """Insert-ignore on the update id: the first process to insert it handles the update."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def claim(self, update_id: int, now: datetime, lease: timedelta = UPDATE_LEASE) -> Claim:
        """Take an update to handle it, unless it was handled or is being handled."""
        stmt = (
            insert_ignoring_conflicts(self._dialect, ProcessedUpdateRow, "update_id")
            .values(update_id=update_id, received_at=now)
            .returning(ProcessedUpdateRow.update_id)
        )
        if (await self._session.execute(stmt)).first() is not None:
            return Claim.HANDLE
        # Taken before: take it over only from a process that stopped without handling it.
        taken_over = await self._session.execute(
            update(ProcessedUpdateRow)
            .where(
                ProcessedUpdateRow.update_id == update_id,
                ProcessedUpdateRow.handled_at.is_(None),
                ProcessedUpdateRow.received_at < now - lease,
            )
            .values(received_at=now)
            .returning(ProcessedUpdateRow.update_id)
        )
        if taken_over.first() is not None:
            return Claim.HANDLE
        handled_at = await self._session.scalar(
            select(ProcessedUpdateRow.handled_at).where(ProcessedUpdateRow.update_id == update_id)
        )
        return Claim.BUSY if handled_at is None else Claim.HANDLED

    async def handled(self, update_id: int, now: datetime) -> None:
        """Record that an update taken with claim was handled."""
        await self._session.execute(
            update(ProcessedUpdateRow)
            .where(ProcessedUpdateRow.update_id == update_id)
            .values(handled_at=now)
        )

    async def prune(self, now: datetime, keep: timedelta = KEEP_UPDATE_IDS) -> int:
        """Forget update ids older than `keep`; return how many were removed."""
        result = await self._session.execute(
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.received_at < now - keep)
        )
        return int(getattr(result, "rowcount", 0) or 0)
