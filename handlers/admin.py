"""/stats for the operators in ADMIN_IDS."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes, filters

from bot.domain.stats import stats_text
from bot.runtime.deps import Deps

if TYPE_CHECKING:
    from bot.runtime.types import BotApp


class AdminHandlers:
    """Commands only ADMIN_IDS may use."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        zone_name = self._deps.settings.default_timezone
        zone = ZoneInfo(zone_name)
        today = self._deps.clock().astimezone(zone).date()
        day_start = datetime.combine(today, time(), tzinfo=zone)
        async with self._deps.db.read() as repos:
            stats = await repos.stats.collect(day_start)
        await message.reply_html(stats_text(stats, zone_name))


def register(app: BotApp, deps: Deps) -> None:
    """Add /stats for ADMIN_IDS. For anyone else this handler does not match, so the fallback
    answers it exactly like a command the bot does not have."""
    admin = AdminHandlers(deps)
    app.add_handler(
        CommandHandler(
            "stats",
            admin.stats,
            # An empty ADMIN_IDS matches nobody.
            filters=filters.UpdateType.MESSAGE & filters.User(user_id=deps.settings.admin_ids),
        )
    )
