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
    NOTHING_NEW_NOTICE,
    alerts_changed,
    alerts_set,
    alerts_settings,
    alerts_unchanged,
    alerts_usage,
    digest_changed,
    digest_off,
    digest_settings,
    digest_time_set,
    digest_unchanged,
    digest_usage,
    digest_without_subscriptions,
    nothing_new,
    timezone_bad_offset,
    timezone_set,
    timezone_settings,
    timezone_unchanged,
    timezone_unknown,
)
from bot.domain.replies import ARTICLE_GONE, AdminsOnly
from bot.domain.schedule import next_slot, parse_digest_time, parse_zone, zone_for
from bot.runtime.deps import Deps
from delivery.composer import digest_entry
from handlers.incoming import Command, Press
from handlers.messages import send
from handlers.topics import active_labels

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
        if word == "now":
            reply, _ = await self._digest_now(chat, said.bot)
            if reply is not None:
                await said.reply(reply)
            return
        schedule = await self._set_digest(chat, word if word == "off" else argument)
        await said.reply(digest_off() if word == "off" else digest_time_set(schedule, self._now()))

    async def _set_digest(
        self, chat: Chat, choice: str, schedule: ChatSchedule | None = None
    ) -> ChatSchedule:
        """Set the digest to a time ("H:MM") or "off", given the chat's `schedule` if read
        already; return the chat's new schedule."""
        if schedule is None:
            schedule = await self._schedule(chat)
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
        return await self._schedule(chat)

    async def _digest_now(self, chat: Chat, bot: ExtBot[Any]) -> tuple[Message | None, bool]:
        """Send the chat's digest at once (it counts as the day's digest). Return the answer
        when there is none to send (None when the digest itself answered), and whether that
        is because nothing is new."""
        settings = self._deps.settings
        async with self._deps.db.read() as repos:
            schedule = await repos.schedules.get(
                chat.id, settings.default_timezone, settings.digest.default_minute
            )
            following = await repos.subscriptions.for_chat(chat.id)
            active = [] if following else await active_labels(repos, self._now(), 8)
        assert schedule is not None
        if not following:
            # An empty digest would still count as the day's: point to /subscribe instead.
            return digest_without_subscriptions([label for label, _ in active]), False
        delivery = await self._pipeline.plan_now(chat.id)
        zone = zone_for(schedule.timezone)
        if delivery is None:
            return nothing_new(schedule.through, zone), True
        outcome = await self._pipeline.send_now(bot, delivery)
        if outcome.state is DeliveryState.EMPTY:
            return nothing_new(delivery.span_start, zone), True
        return None, False

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
        await self._set_alerts(chat, argument == "on")
        await said.reply(alerts_set(argument == "on"))

    async def _set_alerts(self, chat: Chat, on: bool) -> None:
        async with self._deps.db.transaction() as repos:
            await repos.schedules.set_alerts(chat.id, on)

    # --- buttons: each updates the panel it belongs to ----------------------------------

    async def time_button(self, press: Press) -> None:
        """`dg:t:<HHMM|off|now>`: the buttons under /digest; the panel shows the new state."""
        (value,) = press.args
        if not await press.admins_only(AdminsOnly.SCHEDULE):
            return
        if value == "now":
            await self._send_now_button(press)
            return
        if value != "off":
            try:
                minute = parse_digest_time(f"{value[:2]}:{value[2:]}")
            except ValueError:
                return
            value = f"{minute // 60}:{minute % 60:02d}"
        schedule = await self._schedule(press.chat)
        unchanged = digest_unchanged(schedule, value)
        if unchanged is not None:
            # Pressed twice, or on an older panel: nothing to repeat.
            await press.answer(unchanged)
            return
        schedule = await self._set_digest(press.chat, value, schedule)
        await press.answer(digest_changed(schedule))
        await press.edit(digest_settings(schedule, self._now()))

    async def _send_now_button(self, press: Press) -> None:
        """📨 Send now: the digest comes as a message of its own; "nothing new" is a notice
        (pressing again sends nothing), and the panel shows the next digest's new time."""
        reply, nothing_is_new = await self._digest_now(press.chat, press.bot)
        await press.answer(NOTHING_NEW_NOTICE if nothing_is_new else None)
        if reply is not None and not nothing_is_new:
            await send(press.bot, press.chat.id, reply)
        await press.edit(digest_settings(await self._schedule(press.chat), self._now()))

    async def zone_button(self, press: Press) -> None:
        """`dg:z:<zone name>`: a time zone suggested under /timezone; the suggestions become
        the answer."""
        if not await press.admins_only(AdminsOnly.SCHEDULE):
            return
        zone = parse_zone(press.args[0])
        if zone.name is None:
            return
        # Setting the same zone again changes nothing, and pressed twice, the answer it
        # already shows is not sent again.
        await press.edit(
            await self._set_zone(press.chat, zone.name), notice=timezone_unchanged(zone.name)
        )

    async def alerts_button(self, press: Press) -> None:
        """`dg:a:<on|off>`: the button under /alerts; the panel shows the new state."""
        if not await press.admins_only(AdminsOnly.SCHEDULE):
            return
        on = press.args[0] == "on"
        if (await self._schedule(press.chat)).alerts == on:
            await press.answer(alerts_unchanged(on))
            return
        await self._set_alerts(press.chat, on)
        await press.answer(alerts_changed(on))
        await press.edit(alerts_settings(on))

    async def open_card(self, press: Press) -> None:
        """`dg:o:<article id>`: send the card of an article listed in a digest."""
        async with self._deps.db.read() as repos:
            stored = await repos.articles.get(press.ids[0])
        if stored is None:
            await press.gone(ARTICLE_GONE)
            return
        await press.answer()
        await send(press.bot, press.chat.id, render_card(stored))

    async def more(self, press: Press) -> None:
        """`dg:m:<delivery id>:<first>`: the digest's page from entry number `first` on, in
        place of the page the button is under (pressed twice, it shows the same page)."""
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
        await press.edit(page, notice="This page is already shown.")

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
