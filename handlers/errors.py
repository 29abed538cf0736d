"""The error handler: log what failed, tell the person something went wrong."""

from __future__ import annotations

import contextlib
import logging
import traceback

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.domain.messages import Message
from bot.domain.replies import apology
from bot.runtime.logs import redact
from handlers.messages import send

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the exception (token redacted: request URLs carry it) and apologise in the chat."""
    error = context.error
    where = f"update {update.update_id}" if isinstance(update, Update) else "a background task"
    details = "".join(traceback.format_exception(error)) if error is not None else "no details"
    log.error("Handling %s failed: %s", where, redact(details))
    if not isinstance(update, Update):
        return
    # The apology itself may fail (the person blocked the bot, the query was answered):
    # there is nothing more to say then.
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(apology())
    chat = update.effective_chat
    if chat is not None:
        with contextlib.suppress(TelegramError):
            await send(context.bot, chat.id, Message(apology()))
