"""/digest, /timezone and /alerts; digest buttons; the chat status updates the sender needs.

Every change to a chat's schedule is one transaction that also moves the chat's next slot, so
the tick never sees a half-changed setting.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from telegram import (
    Chat,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.domain.cards import render_card
from bot.domain.deliveries import ChatSchedule, DeliveryState, InactiveReason
from bot.domain.digest import compose_digest
from bot.domain.preferences import (
    Reply,
    alerts_set,
    alerts_settings,
    alerts_usage,
    digest_off,
    digest_settings,
    digest_time_set,
    digest_usage,
    not_admin,
    nothing_new,
    timezone_bad_offset,
    timezone_set,
    timezone_settings,
    timezone_unknown,
)
from bot.domain.replies import ARTICLE_GONE
from bot.domain.schedule import next_slot, parse_digest_time, parse_zone, zone_for
from bot.runtime.deps import Deps
from delivery.composer import digest_entry, digest_keyboard
from handlers.common import COMMAND_UPDATES, NO_PREVIEW, argument_of, may_change_subscriptions
from handlers.keyboards import keyboard

if TYPE_CHECKING:
    from bot.runtime.types import BotApp
    from delivery.pipeline import DeliveryPipeline

# Callback data: `dg:o:<article id>` opens a card, `dg:m:<delivery id>:<first>` shows more of a
# digest, `dg:t:<HHMM|off|now>`, `dg:z:<zone name>` and `dg:a:<on|off>` change settings.
OPEN_PATTERN = re.compile(r"^dg:o:(\d{1,19})\Z")
MORE_PATTERN = re.compile(r"^dg:m:(\d{1,19}):(\d{1,6})\Z")
SETTING_PATTERN = re.compile(r"^dg:([tza]):([A-Za-z0-9_/+\-]{1,58})\Z")
# Handler group of the status handlers: before the command handlers (group 0) so a chat that
# comes back with /start is active again before /start is answered.
STATUS_GROUP = -5


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    choice.text, callback_data=f"dg:{choice.kind.value}:{choice.value}"
                )
                for choice in row
            ]
            for row in reply.buttons
        ]
    )


async def _answer(message: Message, reply: Reply) -> None:
    await message.reply_html(
        reply.text, reply_markup=_markup(reply), link_preview_options=NO_PREVIEW
    )


class DigestHandlers:
    """The chat's digest settings, alerts, and the buttons of digests."""

    def __init__(self, deps: Deps, pipeline: DeliveryPipeline) -> None:
        self._deps = deps
        self._pipeline = pipeline

    # --- helpers -------------------------------------------------------------------------

    async def _schedule(self, chat: Chat) -> ChatSchedule:
        """Return the chat's schedule, creating the chat on first contact."""
        settings = self._deps.settings
        async with self._deps.db.transaction() as repos:
            await repos.chats.ensure(chat.id, chat.type, chat.title, self._deps.clock())
            schedule = await repos.schedules.get(
                chat.id, settings.default_timezone, settings.digest.default_minute
            )
        assert schedule is not None
        return schedule

    async def _allowed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        chat = update.effective_chat
        if chat is None:
            return False
        message = update.effective_message
        sender_chat = message.sender_chat if message is not None else None
        if await may_change_subscriptions(context.bot, chat, update.effective_user, sender_chat):
            return True
        if update.callback_query is not None:
            await update.callback_query.answer(not_admin(), show_alert=True)
        elif message is not None:
            await message.reply_text(not_admin())
        return False

    # --- /digest -------------------------------------------------------------------------

    async def digest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/digest, /digest HH:MM, /digest off, /digest now."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        argument = argument_of(message).strip()
        if not argument:
            await _answer(message, digest_settings(await self._schedule(chat), self._now()))
            return
        word = argument.lower()
        if word not in ("off", "now"):
            try:
                parse_digest_time(argument)
            except ValueError:
                await _answer(message, digest_usage(argument))
                return
        if not await self._allowed(update, context):
            return
        choice = word if word in ("off", "now") else argument
        reply = await self._set_digest(chat, choice, context)
        if reply is not None:
            await _answer(message, reply)

    async def _set_digest(
        self, chat: Chat, choice: str, context: ContextTypes.DEFAULT_TYPE
    ) -> Reply | None:
        """Apply a digest choice (HH:MM, "off", "now"); None when the digest itself answered."""
        schedule = await self._schedule(chat)
        if choice == "now":
            return await self._digest_now(chat.id, schedule, context)
        now = self._now()
        async with self._deps.db.transaction() as repos:
            if choice == "off":
                await repos.schedules.disable_digest(chat.id)
            else:
                minute = parse_digest_time(choice)
                due = next_slot(now, zone_for(schedule.timezone), minute)
                lookback = timedelta(hours=self._deps.settings.digest.first_lookback_hours)
                await repos.schedules.set_digest(
                    chat.id, minute, due, earliest_start=now - lookback
                )
        if choice == "off":
            return digest_off()
        return digest_time_set(await self._schedule(chat), now)

    async def _digest_now(
        self, chat_id: int, schedule: ChatSchedule, context: ContextTypes.DEFAULT_TYPE
    ) -> Reply | None:
        """Send the chat's digest at once; it counts as the day's digest."""
        delivery = await self._pipeline.plan_now(chat_id)
        if delivery is None:
            return nothing_new(schedule.through, schedule)
        outcome = await self._pipeline.send_now(context.bot, delivery)
        if outcome.state is DeliveryState.EMPTY:
            return nothing_new(delivery.span_start, schedule)
        return None

    # --- /timezone -----------------------------------------------------------------------

    async def timezone(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/timezone and /timezone <IANA name or UTC offset>."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        argument = argument_of(message).strip()
        if not argument:
            await _answer(message, timezone_settings(await self._schedule(chat), self._now()))
            return
        try:
            choice = parse_zone(argument[:100])
        except ValueError as error:
            await _answer(message, timezone_bad_offset(str(error)))
            return
        if choice.name is None:
            await _answer(message, timezone_unknown(argument, choice.suggestions))
            return
        if not await self._allowed(update, context):
            return
        await _answer(message, await self._set_zone(chat, choice.name))

    async def _set_zone(self, chat: Chat, name: str) -> Reply:
        schedule = await self._schedule(chat)
        now = self._now()
        due = next_slot(now, zone_for(name), schedule.digest_minute)
        async with self._deps.db.transaction() as repos:
            await repos.schedules.set_timezone(chat.id, name, due)
        return timezone_set(await self._schedule(chat), now)

    # --- /alerts -------------------------------------------------------------------------

    async def alerts(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/alerts, /alerts on, /alerts off."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None:
            return
        argument = argument_of(message).strip().lower()
        if not argument:
            await _answer(message, alerts_settings((await self._schedule(chat)).alerts))
            return
        if argument not in ("on", "off"):
            await _answer(message, alerts_usage())
            return
        if not await self._allowed(update, context):
            return
        await _answer(message, await self._set_alerts(chat, argument == "on"))

    async def _set_alerts(self, chat: Chat, on: bool) -> Reply:
        await self._schedule(chat)
        async with self._deps.db.transaction() as repos:
            await repos.schedules.set_alerts(chat.id, on)
        return alerts_set(on)

    # --- buttons -------------------------------------------------------------------------

    async def setting_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`dg:t:…`, `dg:z:…`, `dg:a:…`: the buttons under /digest, /timezone and /alerts."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None:
            return
        match = SETTING_PATTERN.match(query.data or "")
        if match is None:
            await query.answer()
            return
        kind, value = match.groups()
        if not await self._allowed(update, context):
            return
        await query.answer()
        reply: Reply | None
        if kind == "t":
            if value in ("off", "now"):
                reply = await self._set_digest(chat, value, context)
            else:
                try:
                    minute = parse_digest_time(f"{value[:2]}:{value[2:]}")
                except ValueError:
                    return
                reply = await self._set_digest(chat, f"{minute // 60}:{minute % 60:02d}", context)
        elif kind == "z":
            zone = parse_zone(value)
            if zone.name is None:
                return
            reply = await self._set_zone(chat, zone.name)
        else:
            reply = await self._set_alerts(chat, value == "on")
        if reply is not None:
            await context.bot.send_message(
                chat.id,
                reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(reply),
                link_preview_options=NO_PREVIEW,
            )

    async def open_card(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`dg:o:<article id>`: send the card of an article listed in a digest."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None:
            return
        match = OPEN_PATTERN.match(query.data or "")
        if match is None:
            await query.answer()
            return
        async with self._deps.db.read() as repos:
            stored = await repos.articles.get(int(match.group(1)))
        if stored is None:
            await query.answer(ARTICLE_GONE)
            return
        await query.answer()
        card = render_card(stored)
        await context.bot.send_message(
            chat.id,
            card.text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(card),
            link_preview_options=NO_PREVIEW,
        )

    async def more(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`dg:m:<delivery id>:<first>`: the digest's entries from number `first` on."""
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None:
            return
        match = MORE_PATTERN.match(query.data or "")
        if match is None:
            await query.answer()
            return
        delivery_id, first = int(match.group(1)), max(int(match.group(2)), 1)
        max_items = self._deps.settings.digest.max_items
        async with self._deps.db.read() as repos:
            found = await repos.ledger.get(delivery_id)
            if found is None or found[0] != chat.id:
                found = None
                rows: list[tuple[int, int]] = []
                total = 0
            else:
                rows, total = await repos.ledger.page(
                    delivery_id, offset=first - 1, limit=max_items
                )
            articles = {s.id: s for s in await repos.articles.get_many([a for a, _ in rows])}
            followed = (await repos.ledger.followed_keys([chat.id])).get(chat.id, set())
            zones = await repos.schedules.zones([chat.id])
        entries = [digest_entry(articles[a], matched) for a, matched in rows if a in articles]
        if found is None or not entries:
            await query.answer("That is all there was in this digest.")
            return
        await query.answer()
        zone = zone_for(zones.get(chat.id) or self._deps.settings.default_timezone)
        page = compose_digest(
            entries,
            total=total,
            since=found[1],
            zone=zone,
            followed=followed,
            first=first,
            max_items=max_items,
        )
        await context.bot.send_message(
            chat.id,
            page.html,
            parse_mode=ParseMode.HTML,
            reply_markup=digest_keyboard(page, delivery_id),
            link_preview_options=NO_PREVIEW,
        )

    # --- chat status ---------------------------------------------------------------------

    async def came_back(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start from an inactive chat (it unblocked the bot): send to it again."""
        chat = update.effective_chat
        if chat is None:
            return
        async with self._deps.db.transaction() as repos:
            await repos.schedules.reactivate(chat.id)

    async def member_status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was blocked, removed or added back: stop or resume sending."""
        change: ChatMemberUpdated | None = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        chat = change.chat
        async with self._deps.db.transaction() as repos:
            if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
                reason = (
                    InactiveReason.BLOCKED if chat.type == Chat.PRIVATE else InactiveReason.KICKED
                )
                await repos.schedules.mark_inactive(chat.id, reason)
            elif status in (
                ChatMemberStatus.MEMBER,
                ChatMemberStatus.ADMINISTRATOR,
                ChatMemberStatus.OWNER,
            ):
                await repos.schedules.reactivate(chat.id)

    async def migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: move its settings and subscriptions along."""
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        async with self._deps.db.transaction() as repos:
            await repos.schedules.migrate(message.chat.id, message.migrate_to_chat_id, self._now())

    def _now(self) -> datetime:
        return self._deps.clock()


def register(app: BotApp, deps: Deps, pipeline: DeliveryPipeline) -> None:
    """Add /digest, /timezone, /alerts, digest buttons and status handlers; /digest now sends
    through `pipeline`."""
    digests = DigestHandlers(deps, pipeline)
    app.add_handler(CommandHandler("digest", digests.digest, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("timezone", digests.timezone, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("alerts", digests.alerts, filters=COMMAND_UPDATES))
    app.add_handler(CallbackQueryHandler(digests.open_card, pattern=OPEN_PATTERN))
    app.add_handler(CallbackQueryHandler(digests.more, pattern=MORE_PATTERN))
    app.add_handler(CallbackQueryHandler(digests.setting_button, pattern=SETTING_PATTERN))
    # The status handlers run in their own group, so they never keep an update from the
    # command handlers (only the first matching handler of a group runs).
    app.add_handler(
        CommandHandler("start", digests.came_back, filters=COMMAND_UPDATES), group=STATUS_GROUP
    )
    app.add_handler(
        ChatMemberHandler(digests.member_status, ChatMemberHandler.MY_CHAT_MEMBER),
        group=STATUS_GROUP,
    )
    app.add_handler(
        MessageHandler(filters.StatusUpdate.MIGRATE, digests.migrated), group=STATUS_GROUP
    )
