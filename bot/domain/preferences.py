"""What the bot says about a chat's digest, time zone and alerts: `Message`s with buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.domain.deliveries import ChatSchedule
from bot.domain.labels import Label
from bot.domain.messages import Action, Button, Message, rows
from bot.domain.replies import MAX_LABEL_BUTTONS, topic_button
from bot.domain.schedule import (
    describe_offset,
    format_minute,
    next_slot,
    parse_digest_time,
    zone_for,
)
from bot.domain.text import escape, local_time

# The digest times offered as buttons under /digest.
OFFERED_TIMES = ("07:00", "08:00", "09:00", "12:00", "18:00", "21:00")
DIGEST_USAGE = (
    "/digest 08:00 sets the time (your local time), /digest off stops it, "
    "/digest now sends it right away."
)
TIMEZONE_USAGE = "e.g. /timezone Europe/Kyiv or /timezone UTC+2"
# What 📨 Send now answers, as a notice, when there is nothing to send.
NOTHING_NEW_NOTICE = "📭 Nothing new on your topics."


def _when(moment: datetime, schedule: ChatSchedule) -> str:
    return local_time(moment, zone_for(schedule.timezone))


def _zone_line(schedule: ChatSchedule, now: datetime) -> str:
    zone = zone_for(schedule.timezone)
    local = now.astimezone(zone)
    if schedule.timezone.startswith("UTC"):
        return f"{escape(schedule.timezone)} (now {local:%H:%M})"
    return f"{escape(schedule.timezone)} ({describe_offset(zone, now)}, now {local:%H:%M})"


def next_digest(schedule: ChatSchedule, now: datetime) -> datetime | None:
    """Return when the chat's next digest comes (None when off or inactive)."""
    if not schedule.digest_enabled or not schedule.active:
        return None
    if schedule.due_at is not None and schedule.due_at > now:
        return schedule.due_at
    return next_slot(now, zone_for(schedule.timezone), schedule.digest_minute)


def digest_settings(schedule: ChatSchedule, now: datetime) -> Message:
    """Return the answer to /digest alone: the setting, and buttons to change it."""
    lines: list[str] = []
    coming = next_digest(schedule, now)
    if schedule.digest_enabled:
        lines.append(
            f"📰 <b>Daily digest at {format_minute(schedule.digest_minute)}</b> local time."
        )
    else:
        lines.append("📰 <b>Daily digest: off.</b>")
    lines.append(f"Time zone: {_zone_line(schedule, now)}.")
    if coming is not None:
        lines.append(f"Next digest: {_when(coming, schedule)}.")
    if not schedule.active:
        lines.append("Sending to this chat is paused; send /start to resume it.")
    lines.append(f"Alerts: {'on' if schedule.alerts else 'off'} (/alerts).")
    lines += ["", escape(DIGEST_USAGE)]
    current = format_minute(schedule.digest_minute) if schedule.digest_enabled else None
    times = [
        Button(
            ("✓ " if shown == current else "") + shown,
            Action.DIGEST_TIME,
            (shown.replace(":", ""),),
        )
        for shown in OFFERED_TIMES
    ]
    rows = [tuple(times[:3]), tuple(times[3:])]
    off = "🔕 Off" if schedule.digest_enabled else "✓ Off"
    rows.append(
        (
            Button(off, Action.DIGEST_TIME, ("off",)),
            Button("📨 Send now", Action.DIGEST_TIME, ("now",)),
        )
    )
    return Message("\n".join(lines), tuple(rows))


def digest_unchanged(schedule: ChatSchedule, choice: str) -> str | None:
    """Return the notice for a digest button whose choice ("off" or "H:MM") is already the
    setting, so pressing it again changes nothing; None when it is a change."""
    if choice == "off":
        return None if schedule.digest_enabled else "The daily digest is already off."
    minute = parse_digest_time(choice)
    if schedule.digest_enabled and schedule.digest_minute == minute:
        return f"The daily digest already comes at {format_minute(minute)}."
    return None


def digest_changed(schedule: ChatSchedule) -> str:
    """Return the short notice a digest button answers with once it changed the setting."""
    if not schedule.digest_enabled:
        return "🔕 Daily digest off."
    return f"✅ Daily digest at {format_minute(schedule.digest_minute)}."


def chat_settings_line(schedule: ChatSchedule) -> str:
    """Return the sentence /start and /help use to state the chat's digest, time zone and
    alerts as they are now."""
    zone = escape(schedule.timezone)
    if schedule.digest_enabled:
        digest = (
            f"📰 Every day at {format_minute(schedule.digest_minute)} ({zone}) you get a digest "
            "of what arrived on your topics"
        )
    else:
        digest = f"📰 Your daily digest is off (time zone {zone})"
    alerts = "on: each new article comes as it arrives" if schedule.alerts else "off"
    return f"{digest}; alerts are {alerts}. Change them with /digest, /timezone and /alerts."


def digest_time_set(schedule: ChatSchedule, now: datetime) -> Message:
    """Return the answer to /digest HH:MM."""
    coming = next_digest(schedule, now)
    text = (
        f"✅ Your daily digest comes at {format_minute(schedule.digest_minute)} "
        f"({escape(schedule.timezone)})."
    )
    if coming is not None:
        text += f"\nNext: {_when(coming, schedule)}."
    return Message(text)


def digest_off() -> Message:
    """Return the answer to /digest off."""
    return Message("🔕 Daily digest off. Turn it back on with e.g. /digest 08:00.")


def digest_usage(typed: str) -> Message:
    """Return the answer to /digest with an argument it does not understand."""
    shown = escape(" ".join(typed.split())[:60])
    return Message(f"I didn't understand “{shown}”.\n{escape(DIGEST_USAGE)}")


def nothing_new(since: datetime | None, zone: tzinfo) -> Message:
    """Return the digest that has nothing new since `since` (None: since ever)."""
    if since is None:
        return Message("📭 Nothing new on your topics yet. Follow some with /subscribe #Kyiv.")
    return Message(f"📭 Nothing new on your topics since {local_time(since, zone)}.")


def digest_without_subscriptions(active: Sequence[Label]) -> Message:
    """Return the answer to /digest now in a chat that follows nothing."""
    text = (
        "📭 This chat follows no topic yet, so there is no digest to send. Follow one with "
        "/subscribe, e.g. /subscribe #Kyiv"
    )
    if active:
        text += "\n\nOr look at one of the active topics:"
    buttons = [topic_button(label) for label in active[:MAX_LABEL_BUTTONS]]
    return Message(text, rows(buttons))


def timezone_settings(schedule: ChatSchedule, now: datetime) -> Message:
    """Return the answer to /timezone alone."""
    return Message(
        f"🕰 Time zone: {_zone_line(schedule, now)}.\nChange it: {escape(TIMEZONE_USAGE)}"
    )


def timezone_set(schedule: ChatSchedule, now: datetime) -> Message:
    """Return the answer to /timezone with a zone it stored."""
    text = f"✅ Time zone set to {_zone_line(schedule, now)}."
    coming = next_digest(schedule, now)
    if coming is not None:
        text += (
            f"\nYour digest comes at {format_minute(schedule.digest_minute)} local time; "
            f"next: {_when(coming, schedule)}."
        )
    return Message(text)


def timezone_unknown(typed: str, suggestions: Sequence[str]) -> Message:
    """Return the answer to /timezone with a name it does not know."""
    shown = escape(" ".join(typed.split())[:60])
    if suggestions:
        text = f"🤷 I don't know the time zone “{shown}”. Did you mean:"
        buttons = tuple((Button(name, Action.DIGEST_ZONE, (name,)),) for name in suggestions)
        return Message(text, buttons)
    return Message(f"🤷 I don't know the time zone “{shown}”. {escape(TIMEZONE_USAGE)}")


def timezone_bad_offset(reason: str) -> Message:
    """Return the answer to /timezone with an offset out of range."""
    return Message(f"🤷 {escape(reason)}. {escape(TIMEZONE_USAGE)}")


def alerts_settings(on: bool) -> Message:
    """Return the answer to /alerts alone."""
    if on:
        return Message(
            "🔔 Alerts are on: each new article on your topics comes as it arrives.",
            ((Button("🔕 Turn off", Action.ALERTS, ("off",)),),),
        )
    return Message(
        "🔕 Alerts are off: new articles wait for your digest.\n"
        "/alerts on sends each one as it arrives instead.",
        ((Button("🔔 Turn on", Action.ALERTS, ("on",)),),),
    )


def alerts_set(on: bool) -> Message:
    """Return the answer to /alerts on|off."""
    if on:
        return Message(
            "🔔 Alerts on: each new article on your topics comes as it arrives, and is left "
            "out of your digest."
        )
    return Message("🔕 Alerts off: new articles wait for your digest.")


def alerts_unchanged(on: bool) -> str:
    """Return the notice for an alerts button pressed when alerts already are so."""
    return f"Alerts are already {'on' if on else 'off'}."


def alerts_changed(on: bool) -> str:
    """Return the short notice an alerts button answers with once it changed the setting."""
    return "🔔 Alerts on." if on else "🔕 Alerts off."


def timezone_unchanged(name: str) -> str:
    """Return the notice for a time zone button pressed when the chat already uses it."""
    return f"The time zone already is {name}."


def alerts_usage() -> Message:
    """Return the answer to /alerts with an argument other than on or off."""
    return Message("Use /alerts on or /alerts off.")
