"""/start and /help, and the command menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import BotCommand

from bot.domain.preferences import default_digest_line
from bot.domain.replies import COMMANDS, help_card, start_card
from bot.runtime.deps import Deps
from handlers.incoming import Command, Press
from handlers.messages import send
from handlers.topics import active_labels

if TYPE_CHECKING:
    from bot.runtime.types import BotApp


class StartHandlers:
    """Greeting and help."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def start(self, said: Command) -> None:
        async with self._deps.db.read() as repos:
            active = await active_labels(repos, self._deps.clock(), 4)
        digest = default_digest_line(
            self._deps.settings.digest.default_time, self._deps.settings.default_timezone
        )
        await said.reply(start_card([label for label, _ in active], digest))

    async def help(self, said: Command) -> None:
        await said.reply(help_card())

    async def help_button(self, press: Press) -> None:
        await press.answer()
        await send(press.bot, press.chat.id, help_card())


async def set_menu(app: BotApp) -> None:
    """Register the command menu Telegram clients show next to the text field."""
    await app.bot.set_my_commands([BotCommand(c.name, c.summary) for c in COMMANDS])
