"""Helpers every handler uses: sending cards, editing in place, who may change a chat."""

from __future__ import annotations

import contextlib
from datetime import datetime

from telegram import (
    CallbackQuery,
    Chat,
    LinkPreviewOptions,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ExtBot, filters

from bot.domain.cards import Card
from bot.domain.commands import command_argument
from handlers.keyboards import keyboard
from storage.database import Database

# Commands come in messages and channel posts; edits of old commands are not run again.
COMMAND_UPDATES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
# Cards link to their source at most; a preview would push the card's text aside.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


def argument_of(message: Message) -> str:
    """Return what follows the command in a message, as typed."""
    return command_argument(message.text or "")


async def reply(message: Message, card: Card) -> Message:
    """Answer a message with a card (quoting it in groups, like Telegram clients do)."""
    return await message.reply_html(
        card.text, reply_markup=keyboard(card), link_preview_options=NO_PREVIEW
    )


async def send(bot: ExtBot[None], chat_id: int, card: Card) -> Message:
    """Send a card to a chat."""
    return await bot.send_message(
        chat_id,
        card.text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(card),
        link_preview_options=NO_PREVIEW,
    )


async def edit(query: CallbackQuery, card: Card) -> None:
    """Replace the text and buttons of the message a button belongs to, in place."""
    try:
        await query.edit_message_text(
            card.text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(card),
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as error:
        # Pressing a button twice quickly asks for the same text again; nothing to do.
        if "not modified" not in error.message.lower():
            raise


async def drop_buttons(query: CallbackQuery) -> None:
    """Remove the buttons of a message whose buttons no longer lead anywhere."""
    # Already without buttons, or too old to edit: either way there is nothing to press.
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)


def chat_and_message(update: Update) -> tuple[Chat, Message] | None:
    """Return the chat and message of a command update, or None for anything else."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return None
    return chat, message


async def may_change_subscriptions(
    bot: ExtBot[None], chat: Chat, user: User | None, sender_chat: Chat | None
) -> bool:
    """Whether this sender may change what a chat follows: anyone in a private chat, admins
    in groups. Channel posts carry no sender, and the bot only sees them as an admin there,
    so a channel's own posts are allowed."""
    if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
        return True
    if sender_chat is not None and sender_chat.id == chat.id:
        return True  # an anonymous admin writes as the group itself
    if user is None:
        return False
    try:
        member = await bot.get_chat_member(chat.id, user.id)
    except (BadRequest, Forbidden):
        return False
    return member.status in ADMIN_STATUSES


async def record_chat(db: Database, chat: Chat, now: datetime) -> None:
    """Record a chat on first contact. A chat already known costs one read, so a command
    that only reads never waits for the write lock (an ingest batch being written)."""
    async with db.read() as repos:
        known = await repos.chats.get(chat.id)
    if known is None:
        async with db.transaction() as repos:
            await repos.chats.ensure(chat.id, chat.type, chat.title, now)
