"""Planning policy: what a due group gets, the span of /digest now, and what a claim sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.deliveries import (
    DueGroup,
    PlanRules,
    Triage,
    due_by,
    on_demand_span,
    plan_group,
    triage,
)
from bot.domain.schedule import UNSCHEDULED, StepKind

RULES = PlanRules(
    default_zone="Europe/Kyiv",
    default_minute=8 * 60,
    first_lookback=timedelta(hours=24),
    missed_window=timedelta(hours=6),
    settle=timedelta(seconds=60),
    max_items=10,
)
# Winter: Kyiv is UTC+2, so 08:00 there is 06:00 UTC.
SLOT = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
NEXT = SLOT + timedelta(days=1)


@pytest.mark.parametrize(
    ("group", "now", "kind", "next_due"),
    [
        # Due just now: sent; the next slot is tomorrow's.
        (DueGroup(None, None, SLOT), SLOT + timedelta(minutes=1), StepKind.SEND, NEXT),
        # Late, but within the missed window (a restart): still sent.
        (DueGroup(None, None, SLOT), SLOT + timedelta(hours=6), StepKind.SEND, NEXT),
        # Missed for longer than the window: folded into the next slot's digest.
        (DueGroup(None, None, SLOT), SLOT + timedelta(hours=7), StepKind.FOLD, NEXT),
        # Missed for days: the next slot is the first inside the window (due again at once,
        # so the next planning pass sends its digest, covering all the missed spans).
        (
            DueGroup(None, None, SLOT),
            SLOT + timedelta(days=3, hours=1),
            StepKind.FOLD,
            SLOT + timedelta(days=3),
        ),
        # Never scheduled: its first slot is worked out, nothing is sent.
        (
            DueGroup(None, None, UNSCHEDULED),
            SLOT + timedelta(hours=1),
            StepKind.SCHEDULE,
            NEXT,
        ),
        # Its own zone and minute rather than the defaults: 09:30 in UTC.
        (
            DueGroup("UTC", 9 * 60 + 30, SLOT.replace(hour=9, minute=30)),
            SLOT.replace(hour=9, minute=31),
            StepKind.SEND,
            NEXT.replace(hour=9, minute=30),
        ),
        # A fixed offset zone, never scheduled: 08:00 at UTC+05:30 is 02:30 UTC.
        (
            DueGroup("UTC+05:30", None, UNSCHEDULED),
            SLOT,
            StepKind.SCHEDULE,
            NEXT.replace(hour=2, minute=30),
        ),
    ],
)
def test_a_due_group_is_sent_folded_or_scheduled(
    group: DueGroup, now: datetime, kind: StepKind, next_due: datetime
) -> None:
    plan = plan_group(group, now, RULES)
    assert (plan.kind, plan.next_due) == (kind, next_due)
    assert plan.group == group
    assert plan.first_start == group.due - RULES.first_lookback


@pytest.mark.parametrize(
    ("through", "now", "span"),
    [
        # From the previous digest to now, less the settle time.
        (SLOT, SLOT + timedelta(hours=3), (SLOT, SLOT + timedelta(hours=3, seconds=-60))),
        # A first digest looks back DIGEST__FIRST_LOOKBACK_HOURS.
        (
            None,
            SLOT,
            (SLOT - timedelta(hours=24, seconds=60), SLOT - timedelta(seconds=60)),
        ),
        # Nothing to cover: the previous digest ended a moment ago.
        (SLOT, SLOT + timedelta(seconds=60), None),
        (SLOT, SLOT, None),
    ],
)
def test_a_digest_on_demand_spans_from_the_previous_one(
    through: datetime | None, now: datetime, span: tuple[datetime, datetime] | None
) -> None:
    assert on_demand_span(through, now, RULES) == span


TICK = timedelta.resolution


@pytest.mark.parametrize(
    ("newest", "end"),
    [
        # Stored a moment ago: in the digest, whatever the settle time.
        (SLOT + timedelta(hours=3, seconds=-1), SLOT + timedelta(hours=3, seconds=-1) + TICK),
        (SLOT + timedelta(hours=3), SLOT + timedelta(hours=3) + TICK),
        # Stamped later than now (another clock): up to now only.
        (SLOT + timedelta(hours=4), SLOT + timedelta(hours=3) + TICK),
        # Older than the settle time: the span still reaches now less the settle time.
        (SLOT + timedelta(hours=1), SLOT + timedelta(hours=3, seconds=-60)),
    ],
)
def test_a_digest_on_demand_ends_after_the_newest_committed_article(
    newest: datetime, end: datetime
) -> None:
    assert on_demand_span(SLOT, SLOT + timedelta(hours=3), RULES, newest) == (SLOT, end)


def test_a_slot_is_due_once_the_settle_time_has_passed() -> None:
    assert due_by(SLOT, RULES) == SLOT - timedelta(seconds=60)


@pytest.mark.parametrize(
    ("active", "ambiguous", "attempts", "verdict"),
    [
        (True, False, 0, Triage.SEND),
        (True, False, 5, Triage.SEND),  # a planned row is never out of attempts
        (True, True, 2, Triage.SEND),
        (True, True, 3, Triage.EXHAUSTED),
        (False, False, 0, Triage.INACTIVE),
        (False, True, 3, Triage.INACTIVE),
    ],
)
def test_a_claim_sends_unless_the_chat_is_gone_or_attempts_ran_out(
    active: bool, ambiguous: bool, attempts: int, verdict: Triage
) -> None:
    assert triage(active=active, ambiguous=ambiguous, attempts=attempts, max_attempts=3) == verdict
