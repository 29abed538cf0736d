"""What arrives, after the prologue every handler shares: a command or a button press.

`command(...)` and `button(...)` build the PTB handlers: they skip updates without a chat,
parse a button's callback data with the pattern that registers it, and answer a press that
its handler left unanswered, so a button never keeps spinning. A handler then works on a
`Command` or a `Press` and says what only admins may do with `admins_only`. Before any of
them, `ChatRecorder` records the chat (see handlers.registry).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

import telegram
from telegram import CallbackQuery, Chat, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.domain.callbacks import PATTERNS, decode
from bot.domain.commands import command_argument
from bot.domain.messages import Action, Message
from bot.domain.replies import AdminsOnly, refusal_not_admin
from bot.domain.schedule import zone_for
from bot.runtime.deps import Deps
from handlers.messages import drop_buttons, edit, reply, typing

# Commands come in messages and channel posts; edits of old commands are not run again.
COMMAND_UPDATES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})
# Where ChatRecorder leaves the chat's time zone for this update's handler: it reads the chat
# anyway, so showing times in the chat's zone costs no query of its own.
ZONE_KEY = "zone"


def chat_zone(context: ContextTypes.DEFAULT_TYPE) -> tzinfo:
    """Return the time zone of the chat of this update, as ChatRecorder read it."""
    name = (context.chat_data or {}).get(ZONE_KEY)
    return zone_for(name) if isinstance(name, str) else UTC


class _InChat:
    """What a command and a button press share: the bot, and the chat's time zone."""

    __slots__ = ()
    context: ContextTypes.DEFAULT_TYPE

    @property
    def bot(self) -> ExtBot[None]:
        return self.context.bot

    @property
    def zone(self) -> tzinfo:
        """The chat's time zone (what cards show times in)."""
        return chat_zone(self.context)


@dataclass(slots=True)
class Command(_InChat):
    """A command (or any message) in a chat."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    chat: Chat
    message: telegram.Message

    @property
    def argument(self) -> str:
        """What follows the command, as typed."""
        return command_argument(self.message.text or "")

    async def reply(self, message: Message) -> telegram.Message:
        """Answer the command."""
        return await reply(self.message, message)

    def typing(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Show "typing…" in the chat while the work inside takes its time (see typing)."""
        return typing(self.bot, self.chat.id)

    async def admins_only(self, what: AdminsOnly) -> bool:
        """Whether the sender may change `what`; if not, say so in a reply."""
        sender = self.message.from_user
        if await may_change(self.bot, self.chat, sender, self.message.sender_chat):
            return True
        await self.reply(Message(refusal_not_admin(what)))
        return False


@dataclass(slots=True)
class Press(_InChat):
    """A button pressed in a chat, with its callback data's arguments."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    chat: Chat
    query: CallbackQuery
    args: tuple[str, ...]
    answered: bool = field(default=False)

    @property
    def ids(self) -> tuple[int, ...]:
        """The arguments as numbers (for actions whose arguments are ids)."""
        return tuple(int(arg) for arg in self.args)

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the press (a short notice, or an alert to dismiss), once."""
        self.answered = True
        await self.query.answer(text, show_alert=alert or None)

    async def edit(self, message: Message, *, notice: str | None = None) -> bool:
        """Show `message` in place of the one the button belongs to (a button whose action is
        done updates what it belongs to rather than posting anew); whether it changed.

        When it already showed exactly that (the button was pressed twice), a press not
        answered yet is answered with `notice`, if given, and nothing is sent."""
        changed = await edit(self.query, message)
        if not changed and notice is not None and not self.answered:
            await self.answer(notice)
        return changed

    async def drop_keyboard(self) -> None:
        """Remove the buttons of the message the button belongs to: its action is done."""
        await drop_buttons(self.query)

    async def gone(self, text: str, *, drop: bool = False) -> None:
        """Say that what the button leads to is gone; `drop` removes the message's buttons."""
        await self.answer(text)
        if drop:
            await drop_buttons(self.query)

    async def admins_only(self, what: AdminsOnly) -> bool:
        """Whether the presser may change `what`; if not, say so in an alert."""
        if await may_change(self.bot, self.chat, self.query.from_user, None):
            return True
        await self.answer(refusal_not_admin(what), alert=True)
        return False


def command(
    name: str,
    callback: Callable[[Command], Awaitable[None]],
    only: filters.BaseFilter = COMMAND_UPDATES,
) -> CommandHandler[ContextTypes.DEFAULT_TYPE, None]:
    """Return the handler of `/name` in the updates `only` lets through (messages and
    channel posts unless told otherwise)."""
    return CommandHandler(name, _said(callback), filters=only)


def message(
    only: filters.BaseFilter, callback: Callable[[Command], Awaitable[None]]
) -> MessageHandler[ContextTypes.DEFAULT_TYPE, None]:
    """Return the handler of the messages `only` lets through."""
    return MessageHandler(only, _said(callback))


def _said(
    callback: Callable[[Command], Awaitable[None]],
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def prologue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is not None and chat is not None:
            await callback(Command(update, context, chat, message))

    return prologue


def button(
    action: Action, callback: Callable[[Press], Awaitable[None]]
) -> CallbackQueryHandler[ContextTypes.DEFAULT_TYPE, None]:
    """Return the handler of `action`'s buttons: its pattern both matches and parses them."""

    async def prologue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat = update.callback_query, update.effective_chat
        if query is None:
            return
        args = decode(action, query.data)
        if chat is None or args is None:
            await query.answer()
            return
        press = Press(update, context, chat, query, args)
        try:
            await callback(press)
        finally:
            # Handlers answer before they send or edit anything (the spinner stops at once);
            # one that had nothing to say, or failed, is answered here.
            if not press.answered:
                await query.answer()

    return CallbackQueryHandler(prologue, pattern=PATTERNS[action])


async def may_change(
    bot: ExtBot[None], chat: Chat, user: User | None, sender_chat: Chat | None
) -> bool:
    """Whether this sender may change a chat's settings: anyone in a private chat, admins
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


class ChatRecorder:
    """Records a chat on first contact, before any handler answers it."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def record(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Record the chat of a text message or a button press (what handlers answer).

        A chat already known costs one read, so an update that only reads never waits for
        the write lock (an ingest batch being written). Status updates (added, removed,
        migrated) are left to their own handlers."""
        chat = update.effective_chat
        message = update.message or update.channel_post
        said = update.callback_query is not None or (message is not None and bool(message.text))
        if chat is None or not said:
            return
        async with self._deps.db.read() as repos:
            known = await repos.chats.get(chat.id)
        if known is None:
            async with self._deps.db.transaction() as repos:
                known = await repos.chats.ensure(
                    chat.id, chat.type, chat.title, self._deps.clock()
                )
        if context.chat_data is not None:
            context.chat_data[ZONE_KEY] = known.timezone or self._deps.settings.default_timezone
