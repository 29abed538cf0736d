"""Telegram handlers and jobs: update -> domain/storage -> reply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.deps import Deps

if TYPE_CHECKING:
    from bot.app import BotApp


def register(app: BotApp, deps: Deps) -> None:
    """Add every handler and job to the application."""


async def post_init(app: BotApp, deps: Deps) -> None:
    """Run once the bot is connected: register the command menu."""
