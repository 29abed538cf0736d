"""Counts over the whole database, for /stats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deliveries import DeliveryKind, DeliveryState
from bot.domain.stats import BotStats
from storage.models import ArticleRow, Base, ChatRow, DeliveryRow, SubscriptionRow


class StatsRepository:
    """Counts across tables, for /stats."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def collect(self, day_start: datetime) -> BotStats:
        """Return the counts /stats shows; digests count from `day_start` (an aware datetime)."""
        return BotStats(
            chats=await self._count(ChatRow),
            active_chats=await self._count(ChatRow, ChatRow.active.is_(True)),
            subscriptions=await self._count(SubscriptionRow),
            articles=await self._count(ArticleRow),
            digests_sent_today=await self._count(
                DeliveryRow,
                DeliveryRow.kind == DeliveryKind.DIGEST.value,
                DeliveryRow.state == DeliveryState.SENT.value,
                # A row's last update is when its outcome was recorded; "sent" is final.
                DeliveryRow.updated_at >= day_start,
            ),
            day_start=day_start,
        )

    async def _count(self, model: type[Base], *where: ColumnElement[bool]) -> int:
        statement = select(func.count()).select_from(model).where(*where)
        return int(await self._session.scalar(statement) or 0)
