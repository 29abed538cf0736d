"""Counts over the whole database, for /stats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.stats import BotStats
from storage.models import ArticleRow, Base, ChatRow, SubscriptionRow


async def collect_stats(session: AsyncSession, day_start: datetime) -> BotStats:
    """Return the counts /stats shows; digests would count from `day_start` (aware)."""

    async def count(model: type[Base], *where: ColumnElement[bool]) -> int:
        return int(
            await session.scalar(select(func.count()).select_from(model).where(*where)) or 0
        )

    return BotStats(
        chats=await count(ChatRow),
        active_chats=await count(ChatRow, ChatRow.active.is_(True)),
        subscriptions=await count(SubscriptionRow),
        articles=await count(ArticleRow),
        # Counted from the delivery ledger once the store has one.
        digests_sent_today=None,
        day_start=day_start,
    )
