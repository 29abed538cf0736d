"""Counts over the whole database, for /stats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.deliveries import DeliveryKind, DeliveryState
from bot.domain.stats import BotStats
from storage.models import ArticleRow, Base, ChatRow, DeliveryRow, SubscriptionRow


async def collect_stats(session: AsyncSession, day_start: datetime) -> BotStats:
    """Return the counts /stats shows; digests count from `day_start` (an aware datetime)."""

    async def count(model: type[Base], *where: ColumnElement[bool]) -> int:
        return int(
            await session.scalar(select(func.count()).select_from(model).where(*where)) or 0
        )

    return BotStats(
        chats=await count(ChatRow),
        active_chats=await count(ChatRow, ChatRow.active.is_(True)),
        subscriptions=await count(SubscriptionRow),
        articles=await count(ArticleRow),
        digests_sent_today=await count(
            DeliveryRow,
            DeliveryRow.kind == DeliveryKind.DIGEST.value,
            DeliveryRow.state == DeliveryState.SENT.value,
            # A row's last update is when its outcome was recorded; "sent" is final.
            DeliveryRow.updated_at >= day_start,
        ),
        day_start=day_start,
    )
