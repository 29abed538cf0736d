"""The one way handlers send: a domain `Message` as a Telegram message, reply or edit.

Parse mode (HTML) and link previews (off) come from the application's `Defaults` (see
bot/app.py), so no call here names them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import telegram
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.domain.callbacks import decode_ids, encode
from bot.domain.messages import Action, Button, Message, Rows


def markup(message: Message) -> InlineKeyboardMarkup | None:
    """Return the inline keyboard of a message (None when it has no buttons)."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.text, url=button.url)
                if button.url is not None
                else InlineKeyboardButton(button.text, callback_data=encode(button))
                for button in row
            ]
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


async def send_all(bot: ExtBot[Any], chat_id: int, messages: Sequence[Message]) -> None:
    """Send messages to a chat, in order."""
    for message in messages:
        await send(bot, chat_id, message)


async def retire(query: CallbackQuery) -> bool:
    """Remove the pressed button from its message so it cannot be pressed again; return False
    if it was gone already (a second press, sent before the first one's edit showed).

    Telegram's "not modified" answer tells the second press from the first, so a button that
    works once needs no state of its own, whichever process handles the press."""
    message = query.message
    if not isinstance(message, telegram.Message) or message.reply_markup is None:
        return True  # too old to read: nothing to remove, the press counts as the first
    rows = [
        [button for button in row if button.callback_data != query.data]
        for row in message.reply_markup.inline_keyboard
    ]
    kept = [row for row in rows if row]
    try:
        await query.edit_message_reply_markup(
            reply_markup=InlineKeyboardMarkup(kept) if kept else None
        )
    except BadRequest as error:
        if "not modified" in error.message.lower():
            return False
        raise
    return True


def carried(query: CallbackQuery, action: Action) -> Rows:
    """Return the `action` buttons of the pressed message, one a row, as descriptions: what an
    edit in place keeps (the "More" a page's last card carries)."""
    message = query.message
    if not isinstance(message, telegram.Message) or message.reply_markup is None:
        return ()
    found: list[tuple[Button, ...]] = []
    for row in message.reply_markup.inline_keyboard:
        for button in row:
            data = button.callback_data if isinstance(button.callback_data, str) else None
            args = decode_ids(action, data)
            if args is not None:
                found.append((Button(button.text, action, args),))
    return tuple(found)


async def drop_buttons(query: CallbackQuery) -> None:
    """Remove the buttons of a message whose buttons no longer lead anywhere."""
    # Already without buttons, or too old to edit: either way there is nothing to press.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)


@contextlib.asynccontextmanager
async def typing(bot: ExtBot[Any], chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in a chat while the work inside takes its time.

    For work that can take noticeably long (a search of every article's text), not for
    instant replies: a chat action is one more request, so most replies go without. It runs
    beside the work, so it costs the reply no time unless it is the slower of the two, and it
    is done before the reply goes out. Failing, it fails nothing."""
    action = asyncio.create_task(bot.send_chat_action(chat_id, ChatAction.TYPING))
    try:
        yield
    finally:
        with contextlib.suppress(TelegramError):
            await action
