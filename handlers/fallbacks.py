"""Answers for what no other handler takes: unknown commands, plain text, stale buttons.

They live in a later group than every other handler and first check that no other handler
matches the update, so commands added by other modules are never answered twice, whatever
order `handlers.registry` adds them in."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.domain.commands import MAX_LABEL_LENGTH, closest_command
from bot.domain.messages import Message
from bot.domain.replies import BUTTON_EXPIRED, COMMANDS, plain_text_reply, unknown_command
from bot.runtime.deps import Deps
from handlers.incoming import COMMAND_UPDATES, Command, message

_DISPATCHING = (CommandHandler, MessageHandler, CallbackQueryHandler, ConversationHandler)


def handled_elsewhere(
    groups: Mapping[int, list[BaseHandler[Any, Any, Any]]], update: Update, own: Collection[object]
) -> bool:
    """Whether a handler other than the fallbacks takes this update."""
    for group in groups.values():
        for handler in group:
            if handler in own or not isinstance(handler, _DISPATCHING):
                continue
            check = handler.check_update(update)
            if check is not None and check is not False:
                return True
    return False


class FallbackHandlers:
    """Never silence: every message a person sends the bot gets some answer."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self.own: list[BaseHandler[Update, Any, None]] = []

    def _elsewhere(self, said: Command) -> bool:
        return handled_elsewhere(said.context.application.handlers, said.update, self.own)

    async def unknown_command(self, said: Command) -> None:
        if self._elsewhere(said):
            return
        token = (said.message.text or "").split(maxsplit=1)[0]
        command, at, target = token[1:].partition("@")
        ours = target.lower() == (said.bot.username or "").lower()
        if at and not ours:
            # "/topic@otherbot" is another bot's, wherever it is typed.
            return
        if said.chat.type != ChatType.PRIVATE and not ours:
            # "/weather" in a group may be meant for another bot; "/weather@ourbot" is ours.
            return
        await said.reply(_unknown(command))

    async def plain_text(self, said: Command) -> None:
        if self._elsewhere(said):
            return
        text = said.message.text or ""
        if text.startswith("/"):
            # Telegram makes no command of "/" and over 32 letters; it is still meant as one,
            # unless it names another bot.
            command, at, target = text.split(maxsplit=1)[0][1:].partition("@")
            if not at or target.lower() == (said.bot.username or "").lower():
                await said.reply(_unknown(command))
            return
        labels = []
        if len(text) <= MAX_LABEL_LENGTH:
            async with self._deps.db.read() as repos:
                labels = await repos.labels.find(text)
        await said.reply(plain_text_reply(text, labels))

    async def stale_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or handled_elsewhere(context.application.handlers, update, self.own):
            return
        await query.answer(BUTTON_EXPIRED)


def _unknown(command: str) -> Message:
    return unknown_command(command, closest_command(command, [info.name for info in COMMANDS]))


def fallback_handlers(deps: Deps) -> list[BaseHandler[Update, Any, None]]:
    """Return the fallbacks, to be added in a group after every other handler."""
    fallbacks = FallbackHandlers(deps)
    fallbacks.own += [
        message(filters.COMMAND & COMMAND_UPDATES, fallbacks.unknown_command),
        message(
            filters.TEXT
            & ~filters.COMMAND
            & filters.ChatType.PRIVATE
            & filters.UpdateType.MESSAGE,
            fallbacks.plain_text,
        ),
        CallbackQueryHandler(fallbacks.stale_button),
    ]
    return fallbacks.own
