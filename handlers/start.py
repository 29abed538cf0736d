"""/start and /help, and the command menu."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import BotCommand, Chat

from bot.domain.deliveries import ChatSchedule
from bot.domain.preferences import chat_settings_line
from bot.domain.replies import COMMANDS, help_card, start_card
from bot.runtime.deps import Deps
from handlers.incoming import Command, Press
from handlers.messages import send
from handlers.topics import active_labels
from storage.repos import Repos

if TYPE_CHECKING:
    from bot.runtime.types import BotApp


class StartHandlers:
    """Greeting and help, both stating the chat's own settings."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def start(self, said: Command) -> None:
        async with self._deps.db.read() as repos:
            active = await active_labels(repos, self._deps.clock(), 4)
            schedule = await self._schedule(repos, said.chat)
        await said.reply(start_card([label for label, _ in active], chat_settings_line(schedule)))

    async def help(self, said: Command) -> None:
        async with self._deps.db.read() as repos:
            schedule = await self._schedule(repos, said.chat)
        await said.reply(help_card(chat_settings_line(schedule)))

    async def help_button(self, press: Press) -> None:
        async with self._deps.db.read() as repos:
            schedule = await self._schedule(repos, press.chat)
        await press.answer()
        await send(press.bot, press.chat.id, help_card(chat_settings_line(schedule)))

    async def _schedule(self, repos: Repos, chat: Chat) -> ChatSchedule:
        """The chat's schedule (the chat is recorded before any handler runs)."""
        settings = self._deps.settings
        schedule = await repos.schedules.get(
            chat.id, settings.default_timezone, settings.digest.default_minute
        )
        assert schedule is not None
        return schedule


async def set_menu(app: BotApp) -> None:
    """Register the command menu Telegram clients show next to the text field."""
    await app.bot.set_my_commands([BotCommand(c.name, c.summary) for c in COMMANDS])
