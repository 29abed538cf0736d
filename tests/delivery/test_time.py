"""Digests at each chat's own local time, across DST switches and across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select

from bot.domain.schedule import zone_for
from sandbox.localapi import LocalBotApi
from storage.models import DeliveryRow
from tests.delivery.conftest import (
    ALICE,
    BOB,
    KYIV,
    MONDAY,
    Bot,
    Clock,
    article,
    running_bot,
    titles_in,
)


async def digest_ends(bot: Bot, chat_id: int) -> list[datetime]:
    """Where each digest's span ended, from the ledger."""
    async with bot.db.transaction() as repos:
        rows = await repos.session.scalars(
            select(DeliveryRow.span_end)
            .where(DeliveryRow.chat_id == chat_id, DeliveryRow.kind == "digest")
            .order_by(DeliveryRow.id)
        )
        return [end for end in rows if end is not None]


async def test_two_chats_in_different_zones_get_digests_at_their_own_local_time(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])  # Europe/Kyiv, the default
    await bot.chat(BOB, ["Kyiv"], timezone="America/New_York", minute=7 * 60 + 30)
    await bot.tick()
    await bot.ingest(article("Overnight news", "Kyiv"), at=MONDAY + timedelta(hours=1))
    arrivals: dict[int, list[str]] = {ALICE: [], BOB: []}
    for half_hour in range(2 * 24):
        bot.clock.set(MONDAY + timedelta(minutes=30 * half_hour))
        await bot.tick()
        for chat_id, times in arrivals.items():
            if len(bot.digests(chat_id)) > len(times):
                times.append(f"{bot.clock():%H:%M}")
    # 08:00 in Kyiv is 06:00 UTC; 07:30 in New York is 12:30 UTC.
    assert arrivals == {ALICE: ["06:00"], BOB: ["12:30"]}
    assert titles_in(bot.digests(ALICE)[0]) == titles_in(bot.digests(BOB)[0]) == ["Overnight news"]


async def _walk_days(bot: Bot, start: datetime, days: int) -> list[str]:
    """Tick every hour, and a second before each hour a slot could fall on; news each day.

    Return when digests arrived, in Kyiv time."""
    local = zone_for(KYIV)
    seen: list[str] = []
    moments = {start + timedelta(hours=hour) for hour in range(24 * days)}
    for day in range(days):
        for hour in (5, 6):  # 08:00 in Kyiv is 05:00 UTC in summer, 06:00 in winter
            moments.add(start + timedelta(days=day, hours=hour, seconds=-1))
    for moment in sorted(moments):
        if moment.hour == 1 and moment.minute == 0:
            await bot.ingest(article(f"News of {moment:%m-%d}", "Kyiv"), at=moment)
        bot.clock.set(moment)
        before = len(bot.digests(ALICE))
        await bot.tick()
        if len(bot.digests(ALICE)) > before:
            seen.append(f"{moment.astimezone(local):%m-%d %H:%M:%S %Z}")
    return seen


@pytest.mark.parametrize(
    ("start", "seen", "ends", "hours"),
    [
        pytest.param(
            datetime(2026, 3, 28, 0, 0, tzinfo=UTC),
            [
                "03-28 08:00:00 EET",
                "03-29 08:00:00 EEST",  # the clocks went forward at 03:00 that night
                "03-30 08:00:00 EEST",
            ],
            ["03-28 06:00", "03-29 05:00", "03-30 05:00"],
            [23, 24],  # consecutive spans meet: the 23-hour day's digest covers 23 hours
            id="spring-forward",
        ),
        pytest.param(
            datetime(2026, 10, 24, 0, 0, tzinfo=UTC),
            [
                "10-24 08:00:00 EEST",
                "10-25 08:00:00 EET",  # the clocks went back at 04:00 that night
                "10-26 08:00:00 EET",
            ],
            ["10-24 05:00", "10-25 06:00", "10-26 06:00"],
            [25, 24],
            id="fall-back",
        ),
    ],
)
async def test_a_kyiv_digest_comes_at_eight_on_both_sides_of_a_clock_change(
    bot: Bot, start: datetime, seen: list[str], ends: list[str], hours: list[int]
) -> None:
    bot.clock.set(start)
    await bot.chat(ALICE, ["Kyiv"])
    assert await _walk_days(bot, start, 3) == seen
    sent = await digest_ends(bot, ALICE)
    assert [f"{e:%m-%d %H:%M}" for e in sent] == ends
    assert [b - a for a, b in pairwise(sent)] == [timedelta(hours=h) for h in hours]


async def test_a_digest_missed_while_the_bot_was_down_is_sent_once_when_it_is_back(
    api: LocalBotApi, db_url: str, clock: Clock
) -> None:
    slot = MONDAY + timedelta(hours=6)
    async with running_bot(api, db_url, clock) as before:
        await before.chat(ALICE, ["Kyiv"])
        await before.tick()
        await before.ingest(article("Morning news", "Kyiv"), at=slot - timedelta(hours=2))
        clock.set(slot - timedelta(minutes=1))
        await before.tick()
        assert before.digests(ALICE) == []
    # Down over 08:00; back at 11:00 local, within the 6-hour window.
    clock.set(slot + timedelta(hours=3))
    async with running_bot(api, db_url, clock) as after:
        await after.ingest(article("News while down", "Kyiv"), at=slot + timedelta(hours=1))
        await after.tick()
        await after.tick()
        (digest,) = after.digests(ALICE)
        assert titles_in(digest) == ["Morning news"]  # the span ends at 08:00
        assert await digest_ends(after, ALICE) == [slot]
        clock.set(slot + timedelta(days=1))
        await after.tick()
        assert titles_in(after.digests(ALICE)[-1]) == ["News while down"]


async def test_a_digest_missed_for_longer_than_the_window_is_folded_into_the_next(
    api: LocalBotApi, db_url: str, clock: Clock
) -> None:
    slot = MONDAY + timedelta(hours=6)
    clock.set(slot - timedelta(days=1, hours=1))
    async with running_bot(api, db_url, clock) as before:
        await before.chat(ALICE, ["Kyiv"])
        await before.tick()
        await before.ingest(article("Sunday news", "Kyiv"), at=clock())
        clock.set(slot - timedelta(days=1))
        await before.tick()
        assert [titles_in(d) for d in before.digests(ALICE)] == [["Sunday news"]]
        await before.ingest(article("Monday news", "Kyiv"), at=slot - timedelta(hours=2))
    # Down from Monday 02:00 to Wednesday 10:00 local: Monday's and Tuesday's digests fall
    # outside the window; Wednesday's (2 hours late) covers all of it.
    clock.set(slot + timedelta(days=2, hours=2))
    async with running_bot(api, db_url, clock) as after:
        await after.ingest(article("Tuesday news", "Kyiv"), at=slot + timedelta(days=1, hours=1))
        report = await after.tick()
        assert report.folded == 1
        digest = after.digests(ALICE)[-1]
        assert titles_in(digest) == ["Tuesday news", "Monday news"]
        async with after.db.transaction() as repos:
            rows = await repos.session.execute(
                select(DeliveryRow.span_start, DeliveryRow.span_end).where(
                    DeliveryRow.chat_id == ALICE
                )
            )
            spans = list(rows)
        assert spans == [
            (slot - timedelta(days=2), slot - timedelta(days=1)),
            (slot - timedelta(days=1), slot + timedelta(days=2)),
        ]
