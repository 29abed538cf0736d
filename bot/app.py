"""Builds the python-telegram-bot Application from Deps."""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

import handlers
from bot.runtime.deps import Deps
from bot.runtime.flood import FloodBudget
from bot.runtime.updates import ChatOrderedUpdateProcessor

# The Application type with python-telegram-bot's default context, as built below.
BotApp: TypeAlias = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]

# A well-formed token for the local sandbox, whose Bot API accepts any token.
SANDBOX_TOKEN = "123456789:sandbox-token-for-the-local-bot-api-0000"


def build_application(deps: Deps) -> BotApp:
    """Return the bot with every handler registered; it upgrades the schema on start."""
    token = deps.settings.bot_token
    api = deps.settings.telegram_api_url

    async def post_init(app: BotApp) -> None:
        await deps.db.upgrade()
        await handlers.post_init(app, deps)

    async def close_db(_: BotApp) -> None:
        await deps.db.dispose()

    app = (
        Application.builder()
        .token(token.get_secret_value() if token is not None else SANDBOX_TOKEN)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .post_init(post_init)
        .post_shutdown(close_db)
        # Every Bot API call goes through the flood budget (see bot/runtime/flood.py).
        .rate_limiter(flood_budget(deps))
        # Updates side by side, in order within a chat, timed for /metrics in every mode.
        .concurrent_updates(ChatOrderedUpdateProcessor(deps.settings.updates.concurrency))
        .build()
    )
    handlers.register(app, deps)
    return app


def flood_budget(deps: Deps) -> FloodBudget:
    """Return the flood budget the settings describe."""
    flood = deps.settings.flood
    return FloodBudget(
        rate=flood.rate,
        per_chat_interval=flood.per_chat_interval,
        per_chat_burst=flood.per_chat_burst,
        group_per_minute=flood.group_per_minute,
        max_retries=flood.max_retries,
    )
