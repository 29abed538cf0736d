"""/digest, /timezone and /alerts; digest buttons; the chat status updates the sender needs.

Every change to a chat's schedule is one transaction that also moves the chat's next slot, so
the tick never sees a half-changed setting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram import Chat, ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ContextTypes, ExtBot

from bot.domain.cards import render_card
from bot.domain.deliveries import ChatSchedule, DeliveryState, InactiveReason
from bot.domain.digest import compose_digest
from bot.domain.messages import Message
from bot.domain.preferences import (
    alerts_set,
    alerts_settings,
    alerts_usage,
    digest_off,
    digest_settings,
    digest_time_set,
    digest_usage,
    nothing_new,
    timezone_bad_offset,
    timezone_set,
    timezone_settings,
    timezone_unknown,
)
from bot.domain.replies import ARTICLE_GONE, AdminsOnly
from bot.domain.schedule import next_slot, parse_digest_time, parse_zone, zone_for
from bot.runtime.deps import Deps
from delivery.composer import digest_entry
from handlers.incoming import Command, Press
from handlers.messages import send

if TYPE_CHECKING:
    from delivery.pipeline import DeliveryPipeline


class DigestHandlers:
    """The chat's digest settings, alerts, and the buttons of digests."""

    def __init__(self, deps: Deps, pipeline: DeliveryPipeline) -> None:
        self._deps = deps
        self._pipeline = pipeline

    # --- helpers -------------------------------------------------------------------------

    async def _schedule(self, chat: Chat) -> ChatSchedule:
        """Return the chat's schedule (the chat is recorded before any handler runs)."""
        settings = self._deps.settings
        async with self._deps.db.read() as repos:
            schedule = await repos.schedules.get(
                chat.id, settings.default_timezone, settings.digest.default_minute
            )
        assert schedule is not None
        return schedule

    # --- /digest -------------------------------------------------------------------------

    async def _bare(self, said: Command, show: Callable[[ChatSchedule], Message]) -> bool:
        """Answer a command without argument with the chat's setting; whether it was bare."""
        if said.argument.strip():
            return False
        await said.reply(show(await self._schedule(said.chat)))
        return True

    async def digest(self, said: Command) -> None:
        """/digest, /digest HH:MM, /digest off, /digest now."""
        if await self._bare(said, lambda schedule: digest_settings(schedule, self._now())):
            return
        chat, argument = said.chat, said.argument.strip()
        word = argument.lower()
        if word not in ("off", "now"):
            try:
                parse_digest_time(argument)
            except ValueError:
                await said.reply(digest_usage(argument))
                return
        if not await said.admins_only(AdminsOnly.SCHEDULE):
            return
        choice = word if word in ("off", "now") else argument
        reply = await self._set_digest(chat, choice, said.bot)
        if reply is not None:
            await said.reply(reply)

    async def _set_digest(self, chat: Chat, choice: str, bot: ExtBot[Any]) -> Message | None:
        """Apply a digest choice (HH:MM, "off", "now"); None when the digest itself answered."""
        schedule = await self._schedule(chat)
        if choice == "now":
            return await self._digest_now(chat.id, schedule, bot)
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
        self, chat_id: int, schedule: ChatSchedule, bot: ExtBot[Any]
    ) -> Message | None:
        """Send the chat's digest at once; it counts as the day's digest."""
        delivery = await self._pipeline.plan_now(chat_id)
        zone = zone_for(schedule.timezone)
        if delivery is None:
            return nothing_new(schedule.through, zone)
        outcome = await self._pipeline.send_now(bot, delivery)
        if outcome.state is DeliveryState.EMPTY:
            return nothing_new(delivery.span_start, zone)
        return None

    # --- /timezone -----------------------------------------------------------------------

    async def timezone(self, said: Command) -> None:
        """/timezone and /timezone <IANA name or UTC offset>."""
        if await self._bare(said, lambda schedule: timezone_settings(schedule, self._now())):
            return
        chat, argument = said.chat, said.argument.strip()
        try:
            choice = parse_zone(argument[:100])
        except ValueError as error:
            await said.reply(timezone_bad_offset(str(error)))
            return
        if choice.name is None:
            await said.reply(timezone_unknown(argument, choice.suggestions))
            return
        if not await said.admins_only(AdminsOnly.SCHEDULE):
            return
        await said.reply(await self._set_zone(chat, choice.name))

    async def _set_zone(self, chat: Chat, name: str) -> Message:
        schedule = await self._schedule(chat)
        now = self._now()
        due = next_slot(now, zone_for(name), schedule.digest_minute)
        async with self._deps.db.transaction() as repos:
            await repos.schedules.set_timezone(chat.id, name, due)
        return timezone_set(await self._schedule(chat), now)

    # --- /alerts -------------------------------------------------------------------------

    async def alerts(self, said: Command) -> None:
        """/alerts, /alerts on, /alerts off."""
        if await self._bare(said, lambda schedule: alerts_settings(schedule.alerts)):
            return
        chat, argument = said.chat, said.argument.strip().lower()
        if argument not in ("on", "off"):
            await said.reply(alerts_usage())
            return
        if not await said.admins_only(AdminsOnly.SCHEDULE):
            return
        await said.reply(await self._set_alerts(chat, argument == "on"))

    async def _set_alerts(self, chat: Chat, on: bool) -> Message:
        await self._schedule(chat)
        async with self._deps.db.transaction() as repos:
            await repos.schedules.set_alerts(chat.id, on)
        return alerts_set(on)

    # --- buttons -------------------------------------------------------------------------

    async def time_button(self, press: Press) -> None:
        """`dg:t:<HHMM|off|now>`: the buttons under /digest."""
        (value,) = press.args
        if not await press.admins_only(AdminsOnly.SCHEDULE):
            return
        await press.answer()
        if value not in ("off", "now"):
            try:
                minute = parse_digest_time(f"{value[:2]}:{value[2:]}")
            except ValueError:
                return
            value = f"{minute // 60}:{minute % 60:02d}"
        await self._say(press, await self._set_digest(press.chat, value, press.bot))

    async def zone_button(self, press: Press) -> None:
        """`dg:z:<zone name>`: a time zone suggested under /timezone."""
        if not await press.admins_only(AdminsOnly.SCHEDULE):
            return
        await press.answer()
        zone = parse_zone(press.args[0])
        if zone.name is not None:
            await self._say(press, await self._set_zone(press.chat, zone.name))

    async def alerts_button(self, press: Press) -> None:
        """`dg:a:<on|off>`: the button under /alerts."""
        if not await press.admins_only(AdminsOnly.SCHEDULE):
            return
        await press.answer()
        await self._say(press, await self._set_alerts(press.chat, press.args[0] == "on"))

    async def _say(self, press: Press, reply: Message | None) -> None:
        if reply is not None:
            await send(press.bot, press.chat.id, reply)

    async def open_card(self, press: Press) -> None:
        """`dg:o:<article id>`: send the card of an article listed in a digest."""
        async with self._deps.db.read() as repos:
            stored = await repos.articles.get(press.ids[0])
        if stored is None:
            await press.gone(ARTICLE_GONE)
            return
        await press.answer()
        await send(press.bot, press.chat.id, render_card(stored, press.zone))

    async def more(self, press: Press) -> None:
        """`dg:m:<delivery id>:<first>`: the digest's entries from number `first` on."""
        chat = press.chat
        delivery_id, first = press.ids[0], max(press.ids[1], 1)
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
            await press.gone("That is all there was in this digest.")
            return
        await press.answer()
        zone = zone_for(zones.get(chat.id) or self._deps.settings.default_timezone)
        page = compose_digest(
            entries,
            total=total,
            since=found[1],
            zone=zone,
            followed=followed,
            delivery_id=delivery_id,
            first=first,
            max_items=max_items,
        )
        await send(press.bot, chat.id, page)

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
