"""When a chat's digest is due: local digest times, time zones, DST and missed digests.

A chat's digest *slot* is its digest time on a local calendar day, as a UTC instant. Times are
always handled as aware datetimes; the current time is passed in as `now`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

MINUTES_PER_DAY = 24 * 60
# The `digest_due_at` of a chat that has never been scheduled: due at once, which makes the next
# tick work out its first slot (see `due_step`). Anything before 2000 reads as this sentinel.
UNSCHEDULED = datetime(1970, 1, 1, tzinfo=UTC)
_SENTINEL_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)

_TIME = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?")
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+\-−])\s*(\d{1,2})(?:(?::|\.)?(\d{2}))?", re.IGNORECASE)
_UTC_NAMES = frozenset({"utc", "gmt", "z", "zulu", "utc+0", "utc-0", "gmt+0", "gmt-0", "+0", "-0"})
_MAX_SUGGESTIONS = 4


def parse_digest_time(text: str) -> int:
    """Return the minute of the day of `8`, `08:30`, `8.30` or `8h30`; ValueError otherwise."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a time of day like 08:00")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"{text.strip()!r} is not a time of day like 08:00")
    return hour * 60 + minute


def format_minute(minute: int) -> str:
    """Return a minute of the day as `HH:MM`."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def zone_for(name: str) -> tzinfo:
    """Return the tzinfo of a stored zone name: an IANA name or a fixed `UTC+02:00` offset."""
    return _zone_for(name)


@cache
def _zone_for(name: str) -> tzinfo:
    if name.startswith("UTC") and len(name) > 3:
        sign = -1 if name[3] == "-" else 1
        hours, minutes = name[4:].split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)), name)
    return ZoneInfo(name)


def slot_on(day: date, zone: tzinfo, minute: int) -> datetime:
    """Return the UTC instant of `minute` on local `day`.

    A time that does not exist that day (skipped by a spring-forward switch) comes as many
    minutes later as the clocks jumped; a time that exists twice (fall back) comes the first time.
    """
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def next_slot(after: datetime, zone: tzinfo, minute: int) -> datetime:
    """Return the first digest slot strictly after `after` (UTC)."""
    day = after.astimezone(zone).date() - timedelta(days=1)
    while True:
        slot = slot_on(day, zone, minute)
        if slot > after:
            return slot
        day += timedelta(days=1)


def slot_after_today(now: datetime, zone: tzinfo, minute: int) -> datetime:
    """Return the slot on the local day after `now`'s: a digest sent on demand is that day's."""
    return slot_on(now.astimezone(zone).date() + timedelta(days=1), zone, minute)


class StepKind(StrEnum):
    """What the planner does with a chat whose `digest_due_at` has come."""

    SCHEDULE = "schedule"  # never scheduled: work out the first slot, send nothing
    SEND = "send"  # plan the digest of this slot
    FOLD = "fold"  # missed for longer than the window: the next digest covers this span too


@dataclass(frozen=True, slots=True)
class DueStep:
    """The planner's decision for one due slot and the slot after it."""

    kind: StepKind
    next_due: datetime


def due_step(
    due: datetime, now: datetime, zone: tzinfo, minute: int, missed_window: timedelta
) -> DueStep:
    """Decide what to do with a slot `due` that has come by `now`.

    A slot at most `missed_window` old is sent (late, after a restart); an older one is folded:
    nothing is sent for it, and the next slot is the first one inside the window, so the
    digest sent then covers both spans.
    """
    if due < _SENTINEL_BEFORE:
        return DueStep(StepKind.SCHEDULE, next_slot(now, zone, minute))
    if now - due <= missed_window:
        return DueStep(StepKind.SEND, next_slot(due, zone, minute))
    return DueStep(StepKind.FOLD, next_slot(max(due, now - missed_window), zone, minute))


# --- Time zone names ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """What `/timezone <text>` resolved to: a zone name to store, or suggestions."""

    name: str | None
    suggestions: tuple[str, ...] = ()


@cache
def _links() -> dict[str, str]:
    """Old zone names and their current ones (Europe/Kiev -> Europe/Kyiv), from tzdata."""
    try:
        text = (resources.files("tzdata.zoneinfo") / "tzdata.zi").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return {}
    links: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("L "):
            _, target, link = line.split()
            links[link] = target
    return links


@cache
def _zones() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Zone names by their lower-case form, and by the lower-case city part."""
    by_lower: dict[str, str] = {}
    by_city: dict[str, list[str]] = {}
    for name in sorted(available_timezones()):
        by_lower[name.lower()] = name
        if "/" in name and not name.startswith(("Etc/", "SystemV/")):
            city = name.rsplit("/", 1)[1].lower()
            by_city.setdefault(city, []).append(name)
    return by_lower, by_city


def canonical_zone(name: str) -> str:
    """Return the current name of a zone (`Europe/Kiev` -> `Europe/Kyiv`)."""
    return _links().get(name, name)


def _offset_name(text: str) -> str | None:
    lowered = text.lower().replace(" ", "")
    if lowered in _UTC_NAMES:
        return "UTC"
    match = _OFFSET.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    sign = "-" if match.group(1) in "-−" else "+"
    if minutes not in (0, 15, 30, 45) or hours > 14 or (sign == "-" and hours > 12):
        raise ValueError("an offset runs from UTC-12:00 to UTC+14:00")
    if hours == 0 and minutes == 0:
        return "UTC"
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def parse_zone(text: str) -> ZoneChoice:
    """Resolve what a person typed: an IANA name (any case), or an offset like `UTC+2`.

    A near miss (`Kyiv`, `Kiev`, `Europe/Kyev`, `new york`) gets suggestions instead.
    ValueError for an offset out of range.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        return ZoneChoice(None)
    offset = _offset_name(cleaned)
    if offset is not None:
        return ZoneChoice(offset)
    by_lower, by_city = _zones()
    key = cleaned.replace(" ", "_").lower()
    exact = by_lower.get(key)
    if exact is not None and "/" in exact:
        return ZoneChoice(canonical_zone(exact))
    found: list[str] = []
    city = key.rsplit("/", 1)[-1]
    found += by_city.get(city, [])
    for close in difflib.get_close_matches(city, list(by_city), n=_MAX_SUGGESTIONS, cutoff=0.75):
        found += by_city[close]
    found += [by_lower[k] for k in difflib.get_close_matches(key, list(by_lower), cutoff=0.8)]
    if exact is not None:
        found.append(exact)
    suggestions = list(dict.fromkeys(canonical_zone(name) for name in found))
    return ZoneChoice(None, tuple(suggestions[:_MAX_SUGGESTIONS]))


def describe_offset(zone: tzinfo, now: datetime) -> str:
    """Return a zone's offset at `now` as `UTC+02:00`."""
    offset = now.astimezone(zone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
