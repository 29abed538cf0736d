"""The one way handlers send: a domain `Message` as a Telegram message, reply or edit.

Parse mode (HTML) and link previews (off) come from the application's `Defaults` (see
bot/app.py), so no call here names them.
"""

from __future__ import annotations

import contextlib
from typing import Any

import telegram
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.domain.callbacks import encode
from bot.domain.messages import Message


def markup(message: Message) -> InlineKeyboardMarkup | None:
    """Return the inline keyboard of a message (None when it has no buttons)."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.text, callback_data=encode(button)) for button in row]
            for row in message.buttons
        ]
    )


async def reply(to: telegram.Message, message: Message) -> telegram.Message:
    """Answer a message (quoting it in groups, like Telegram clients do)."""
    return await to.reply_text(message.text, reply_markup=markup(message))


async def send(
    bot: ExtBot[Any], chat_id: int, message: Message, **options: Any
) -> telegram.Message:
    """Send a message to a chat; `options` are send_message's own (timeouts, rate limits)."""
    return await bot.send_message(chat_id, message.text, reply_markup=markup(message), **options)


async def edit(query: CallbackQuery, message: Message) -> bool:
    """Replace the text and buttons of the message a button belongs to, in place; whether it
    changed (False: it already showed exactly that)."""
    try:
        await query.edit_message_text(message.text, reply_markup=markup(message))
    except BadRequest as error:
        # Pressing a button twice quickly asks for the same text again; nothing to do.
        if "not modified" not in error.message.lower():
            raise
        return False
    return True


async def drop_buttons(query: CallbackQuery) -> None:
    """Remove the buttons of a message whose buttons no longer lead anywhere."""
    # Already without buttons, or too old to edit: either way there is nothing to press.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)
