"""/stats for the operators in ADMIN_IDS."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from telegram.ext import filters

from bot.domain.messages import Message
from bot.domain.stats import stats_text
from bot.runtime.deps import Deps
from handlers.incoming import Command


class AdminHandlers:
    """Commands only ADMIN_IDS may use."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def operators(self) -> filters.BaseFilter:
        """Messages from ADMIN_IDS only; an empty ADMIN_IDS matches nobody. For anyone else
        the commands do not match, so the fallback answers them like unknown commands."""
        return filters.UpdateType.MESSAGE & filters.User(user_id=self._deps.settings.admin_ids)

    async def stats(self, said: Command) -> None:
        zone_name = self._deps.settings.default_timezone
        zone = ZoneInfo(zone_name)
        today = self._deps.clock().astimezone(zone).date()
        day_start = datetime.combine(today, time(), tzinfo=zone)
        async with self._deps.db.read() as repos:
            stats = await repos.stats.collect(day_start)
        await said.reply(Message(stats_text(stats, zone_name)))
