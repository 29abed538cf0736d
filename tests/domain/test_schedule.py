"""Digest slots across time zones and DST switches, missed digests, and zone names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.schedule import (
    UNSCHEDULED,
    StepKind,
    due_step,
    format_minute,
    next_slot,
    parse_digest_time,
    parse_zone,
    slot_after_today,
    zone_for,
)

KYIV = zone_for("Europe/Kyiv")
EIGHT = 8 * 60


def utc(*parts: int) -> datetime:
    year, month, day, hour, minute = parts
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "minute", "expected"),
    [
        # Winter (UTC+2): 08:00 is 06:00 UTC.
        (utc(2026, 11, 23, 0, 0), EIGHT, utc(2026, 11, 23, 6, 0)),
        (utc(2026, 11, 23, 5, 59), EIGHT, utc(2026, 11, 23, 6, 0)),
        (utc(2026, 11, 23, 6, 0), EIGHT, utc(2026, 11, 24, 6, 0)),  # strictly after
        # Spring forward on Sunday 29 March 2026 (03:00 -> 04:00): 08:00 is 05:00 UTC.
        (utc(2026, 3, 28, 6, 0), EIGHT, utc(2026, 3, 29, 5, 0)),
        (utc(2026, 3, 29, 5, 0), EIGHT, utc(2026, 3, 30, 5, 0)),
        # Fall back on Sunday 25 October 2026 (04:00 -> 03:00): 08:00 is 06:00 UTC again.
        (utc(2026, 10, 24, 5, 0), EIGHT, utc(2026, 10, 25, 6, 0)),
        (utc(2026, 10, 25, 6, 0), EIGHT, utc(2026, 10, 26, 6, 0)),
        # 03:30 does not exist on 29 March: it comes an hour later, 04:30 local (01:30 UTC).
        (utc(2026, 3, 28, 2, 0), 3 * 60 + 30, utc(2026, 3, 29, 1, 30)),
        # 03:30 exists twice on 25 October: the first one, once.
        (utc(2026, 10, 24, 2, 0), 3 * 60 + 30, utc(2026, 10, 25, 0, 30)),
        (utc(2026, 10, 25, 0, 30), 3 * 60 + 30, utc(2026, 10, 26, 1, 30)),
        # Midnight, and a chat east of UTC whose local day starts the day before in UTC.
        (utc(2026, 11, 23, 21, 0), 0, utc(2026, 11, 23, 22, 0)),
    ],
)
def test_next_slot_is_the_local_time_in_utc(
    after: datetime, minute: int, expected: datetime
) -> None:
    assert next_slot(after, KYIV, minute) == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/New_York", utc(2026, 11, 23, 13, 0)),
        ("Asia/Kolkata", utc(2026, 11, 23, 2, 30)),
        ("UTC+05:45", utc(2026, 11, 23, 2, 15)),
        ("UTC-03:00", utc(2026, 11, 23, 11, 0)),
        ("UTC", utc(2026, 11, 23, 8, 0)),
    ],
)
def test_next_slot_in_other_zones(zone: str, expected: datetime) -> None:
    assert next_slot(utc(2026, 11, 23, 0, 0), zone_for(zone), EIGHT) == expected


def test_every_day_of_a_year_has_exactly_one_slot_at_local_eight() -> None:
    slot = next_slot(utc(2025, 12, 31, 12, 0), KYIV, EIGHT)
    days = []
    while slot.year == 2026:
        local = slot.astimezone(KYIV)
        assert (local.hour, local.minute) == (8, 0)
        days.append(local.date())
        slot = next_slot(slot, KYIV, EIGHT)
    assert len(days) == len(set(days)) == 365


def test_a_digest_on_demand_counts_as_the_days_digest() -> None:
    # 07:00 in Kyiv: today's 08:00 is skipped, the next slot is tomorrow's.
    assert slot_after_today(utc(2026, 11, 23, 5, 0), KYIV, EIGHT) == utc(2026, 11, 24, 6, 0)
    # 23:30 in Kyiv is already Tuesday in UTC terms of the local day: tomorrow is Tuesday.
    assert slot_after_today(utc(2026, 11, 23, 21, 30), KYIV, EIGHT) == utc(2026, 11, 24, 6, 0)


WINDOW = timedelta(hours=6)


@pytest.mark.parametrize(
    ("due", "now", "kind", "next_due"),
    [
        # Never scheduled: the first slot after now, nothing sent.
        (UNSCHEDULED, utc(2026, 11, 23, 9, 0), StepKind.SCHEDULE, utc(2026, 11, 24, 6, 0)),
        # On time, and late within the window: sent; the next is the following day's.
        (utc(2026, 11, 23, 6, 0), utc(2026, 11, 23, 6, 0), StepKind.SEND, utc(2026, 11, 24, 6, 0)),
        (
            utc(2026, 11, 23, 6, 0),
            utc(2026, 11, 23, 12, 0),
            StepKind.SEND,
            utc(2026, 11, 24, 6, 0),
        ),
        # Missed by more than the window: folded into the next slot inside the window...
        (
            utc(2026, 11, 23, 6, 0),
            utc(2026, 11, 23, 12, 1),
            StepKind.FOLD,
            utc(2026, 11, 24, 6, 0),
        ),
        # ...which after days of downtime may already have come (then it is sent at once).
        (utc(2026, 11, 20, 6, 0), utc(2026, 11, 23, 9, 0), StepKind.FOLD, utc(2026, 11, 23, 6, 0)),
    ],
)
def test_due_step(due: datetime, now: datetime, kind: StepKind, next_due: datetime) -> None:
    step = due_step(due, now, KYIV, EIGHT, WINDOW)
    assert (step.kind, step.next_due) == (kind, next_due)


@pytest.mark.parametrize(
    ("typed", "minute"),
    [
        ("8", 480),
        ("08:00", 480),
        ("8:30", 510),
        ("08.30", 510),
        ("8h30", 510),
        ("23:59", 1439),
        (" 0:00 ", 0),
    ],
)
def test_parse_digest_time(typed: str, minute: int) -> None:
    assert parse_digest_time(typed) == minute
    assert format_minute(minute) == f"{minute // 60:02d}:{minute % 60:02d}"


@pytest.mark.parametrize("typed", ["24:00", "8:60", "eight", "", "8:5", "-1", "08:00:00"])
def test_parse_digest_time_refuses(typed: str) -> None:
    with pytest.raises(ValueError, match="time of day"):
        parse_digest_time(typed)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Europe/Kyiv", "Europe/Kyiv"),
        ("europe/kyiv", "Europe/Kyiv"),
        ("Europe/Kiev", "Europe/Kyiv"),  # the old name is accepted, stored as the current one
        ("America/New York", "America/New_York"),
        ("UTC", "UTC"),
        ("utc+2", "UTC+02:00"),
        ("UTC+2", "UTC+02:00"),
        ("GMT-5", "UTC-05:00"),
        ("+05:30", "UTC+05:30"),
        ("UTC−3", "UTC-03:00"),  # a typographic minus
        ("UTC+0", "UTC"),
    ],
)
def test_parse_zone_accepts(typed: str, name: str) -> None:
    assert parse_zone(typed).name == name
    zone_for(name)  # and it can be used


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("Kyiv", "Europe/Kyiv"),
        ("Kiev", "Europe/Kyiv"),
        ("kyiv", "Europe/Kyiv"),
        ("Kyev", "Europe/Kyiv"),
        ("Europe/Kyev", "Europe/Kyiv"),
        ("New York", "America/New_York"),
        ("London", "Europe/London"),
    ],
)
def test_parse_zone_suggests_near_misses(typed: str, suggestion: str) -> None:
    choice = parse_zone(typed)
    assert choice.name is None
    assert suggestion in choice.suggestions


@pytest.mark.parametrize("typed", ["UTC+15", "UTC-13", "UTC+5:20"])
def test_parse_zone_refuses_impossible_offsets(typed: str) -> None:
    with pytest.raises(ValueError, match="offset"):
        parse_zone(typed)


def test_parse_zone_nonsense_gets_no_suggestions() -> None:
    assert parse_zone("qqqqzzzz").suggestions == ()
