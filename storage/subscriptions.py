"""Which labels each chat follows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.labels import Label
from storage.dialect import insert_ignoring_conflicts
from storage.labels import label_of
from storage.models import LabelRow, SubscriptionRow


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
        return [label_of(row) for row in rows]

    async def _label_ids(self, chat_id: int) -> list[int]:
        return list(
            (
                await self._session.scalars(
                    select(SubscriptionRow.label_id).where(SubscriptionRow.chat_id == chat_id)
                )
            ).all()
        )
