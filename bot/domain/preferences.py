"""What the bot says about a chat's digest, time zone and alerts: HTML with button descriptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from html import escape

from bot.domain.deliveries import ChatSchedule
from bot.domain.schedule import (
    describe_offset,
    format_minute,
    next_slot,
    zone_for,
)

# The digest times offered as buttons under /digest.
OFFERED_TIMES = ("07:00", "08:00", "09:00", "12:00", "18:00", "21:00")
DIGEST_USAGE = (
    "/digest 08:00 sets the time (your local time), /digest off stops it, "
    "/digest now sends it right away."
)
TIMEZONE_USAGE = "e.g. /timezone Europe/Kyiv or /timezone UTC+2"


class ChoiceKind(StrEnum):
    """What pressing a settings button does."""

    TIME = "t"  # value: HHMM, "off" or "now"
    ZONE = "z"  # value: a zone name
    ALERTS = "a"  # value: "on" or "off"


@dataclass(frozen=True, slots=True)
class Choice:
    """A settings button: its text and what it sets."""

    text: str
    kind: ChoiceKind
    value: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A settings reply: escaped HTML and rows of buttons."""

    text: str
    buttons: tuple[tuple[Choice, ...], ...] = ()


def _when(moment: datetime, schedule: ChatSchedule) -> str:
    local = moment.astimezone(zone_for(schedule.timezone))
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


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


def default_digest_line(default_time: str, default_zone: str) -> str:
    """Return the sentence /start uses to state a new chat's digest."""
    return (
        f"📰 Every morning at {default_time} ({escape(default_zone)}) you get a digest of what "
        "arrived on your topics; change it with /digest and /timezone."
    )


def digest_settings(schedule: ChatSchedule, now: datetime) -> Reply:
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
        Choice(("✓ " if shown == current else "") + shown, ChoiceKind.TIME, shown.replace(":", ""))
        for shown in OFFERED_TIMES
    ]
    rows = [tuple(times[:3]), tuple(times[3:])]
    last = [Choice("📨 Send now", ChoiceKind.TIME, "now")]
    if schedule.digest_enabled:
        last.insert(0, Choice("🔕 Off", ChoiceKind.TIME, "off"))
    rows.append(tuple(last))
    return Reply("\n".join(lines), tuple(rows))


def digest_time_set(schedule: ChatSchedule, now: datetime) -> Reply:
    """Return the answer to /digest HH:MM."""
    coming = next_digest(schedule, now)
    text = (
        f"✅ Your daily digest comes at {format_minute(schedule.digest_minute)} "
        f"({escape(schedule.timezone)})."
    )
    if coming is not None:
        text += f"\nNext: {_when(coming, schedule)}."
    return Reply(text)


def digest_off() -> Reply:
    """Return the answer to /digest off."""
    return Reply("🔕 Daily digest off. Turn it back on with e.g. /digest 08:00.")


def digest_usage(typed: str) -> Reply:
    """Return the answer to /digest with an argument it does not understand."""
    shown = escape(" ".join(typed.split())[:60])
    return Reply(f"I didn't understand “{shown}”.\n{escape(DIGEST_USAGE)}")


def nothing_new(since: datetime | None, schedule: ChatSchedule) -> Reply:
    """Return the answer to /digest now when nothing arrived since the last digest."""
    if since is None:
        return Reply("📭 Nothing new on your topics yet. Follow some with /subscribe #Kyiv.")
    return Reply(f"📭 Nothing new on your topics since {_when(since, schedule)}.")


def timezone_settings(schedule: ChatSchedule, now: datetime) -> Reply:
    """Return the answer to /timezone alone."""
    return Reply(f"🕰 Time zone: {_zone_line(schedule, now)}.\nChange it: {escape(TIMEZONE_USAGE)}")


def timezone_set(schedule: ChatSchedule, now: datetime) -> Reply:
    """Return the answer to /timezone with a zone it stored."""
    text = f"✅ Time zone set to {_zone_line(schedule, now)}."
    coming = next_digest(schedule, now)
    if coming is not None:
        text += (
            f"\nYour digest comes at {format_minute(schedule.digest_minute)} local time; "
            f"next: {_when(coming, schedule)}."
        )
    return Reply(text)


def timezone_unknown(typed: str, suggestions: Sequence[str]) -> Reply:
    """Return the answer to /timezone with a name it does not know."""
    shown = escape(" ".join(typed.split())[:60])
    if suggestions:
        text = f"🤷 I don't know the time zone “{shown}”. Did you mean:"
        buttons = tuple((Choice(name, ChoiceKind.ZONE, name),) for name in suggestions)
        return Reply(text, buttons)
    return Reply(f"🤷 I don't know the time zone “{shown}”. {escape(TIMEZONE_USAGE)}")


def timezone_bad_offset(reason: str) -> Reply:
    """Return the answer to /timezone with an offset out of range."""
    return Reply(f"🤷 {escape(reason)}. {escape(TIMEZONE_USAGE)}")


def alerts_settings(on: bool) -> Reply:
    """Return the answer to /alerts alone."""
    if on:
        return Reply(
            "🔔 Alerts are on: each new article on your topics comes as it arrives.",
            ((Choice("🔕 Turn off", ChoiceKind.ALERTS, "off"),),),
        )
    return Reply(
        "🔕 Alerts are off: new articles wait for your digest.\n"
        "/alerts on sends each one as it arrives instead.",
        ((Choice("🔔 Turn on", ChoiceKind.ALERTS, "on"),),),
    )


def alerts_set(on: bool) -> Reply:
    """Return the answer to /alerts on|off."""
    if on:
        return Reply(
            "🔔 Alerts on: each new article on your topics comes as it arrives, and is left "
            "out of your digest."
        )
    return Reply("🔕 Alerts off: new articles wait for your digest.")


def alerts_usage() -> Reply:
    """Return the answer to /alerts with an argument other than on or off."""
    return Reply("Use /alerts on or /alerts off.")


def not_admin() -> str:
    """Return the refusal for a group member who is not an admin (plain text)."""
    return "Only admins of this chat can change its digest, time zone and alerts."
