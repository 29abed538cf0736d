"""The figures /stats shows an operator, and their text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.text import escape


@dataclass(frozen=True, slots=True)
class BotStats:
    """Counts over the whole database."""

    chats: int
    active_chats: int
    subscriptions: int
    articles: int
    # Since `day_start`; None where the store has no delivery ledger to count from.
    digests_sent_today: int | None
    day_start: datetime


def stats_text(stats: BotStats, zone_name: str) -> str:
    """Return /stats as HTML: one figure per line."""
    lines = [
        "<b>Digestbot</b>",
        f"Chats: {stats.chats:,}",
        f"Active chats: {stats.active_chats:,}",
        f"Subscriptions: {stats.subscriptions:,}",
        f"Articles: {stats.articles:,}",
    ]
    if stats.digests_sent_today is None:
        lines.append("Digests sent today: not recorded (no delivery ledger)")
    else:
        since = f"since {stats.day_start:%H:%M} {escape(zone_name)}"
        lines.append(f"Digests sent today ({since}): {stats.digests_sent_today:,}")
    return "\n".join(lines)
