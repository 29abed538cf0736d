"""/start and /help, and the command menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import BotCommand, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.domain.cards import Action
from bot.domain.preferences import default_digest_line
from bot.domain.replies import COMMANDS, help_card, start_card
from bot.runtime.deps import Deps
from handlers.common import COMMAND_UPDATES, chat_and_message, record_chat, reply, send
from handlers.keyboards import PATTERNS
from handlers.topics import active_labels

if TYPE_CHECKING:
    from bot.runtime.types import BotApp


class StartHandlers:
    """Greeting and help."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = chat_and_message(update)
        if found is None:
            return
        chat, message = found
        now = self._deps.clock()
        await record_chat(self._deps.db, chat, now)
        async with self._deps.db.read() as repos:
            active = await active_labels(repos, now, 4)
        digest = default_digest_line(
            self._deps.settings.digest.default_time, self._deps.settings.default_timezone
        )
        await reply(message, start_card([label for label, _ in active], digest))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = chat_and_message(update)
        if found is None:
            return
        await reply(found[1], help_card())

    async def help_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or query.message is None:
            return
        await query.answer()
        await send(context.bot, query.message.chat.id, help_card())


async def set_menu(app: BotApp) -> None:
    """Register the command menu Telegram clients show next to the text field."""
    await app.bot.set_my_commands([BotCommand(c.name, c.summary) for c in COMMANDS])


def register(app: BotApp, deps: Deps) -> None:
    """Add /start, /help and the help button."""
    start = StartHandlers(deps)
    app.add_handler(CommandHandler("start", start.start, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("help", start.help, filters=COMMAND_UPDATES))
    app.add_handler(CallbackQueryHandler(start.help_button, pattern=PATTERNS[Action.HELP]))
