"""Telegram handlers and jobs: update -> domain/storage -> reply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.runtime.deps import Deps
from handlers import admin, cards, digests, errors, fallbacks, start, subscriptions, topics

if TYPE_CHECKING:
    from bot.runtime.types import BotApp
    from delivery.pipeline import DeliveryPipeline


def register(app: BotApp, deps: Deps, pipeline: DeliveryPipeline) -> None:
    """Add every handler to the application; /digest now sends through `pipeline`."""
    admin.register(app, deps)
    start.register(app, deps)
    topics.register(app, deps)
    subscriptions.register(app, deps)
    cards.register(app, deps)
    digests.register(app, deps, pipeline)
    # Fallbacks sit in a later group and skip whatever another handler takes (see there).
    fallbacks.register(app, deps)
    errors.register(app)


async def post_init(app: BotApp, deps: Deps) -> None:
    """Run once the bot is connected: register the command menu."""
    await start.set_menu(app)
