"""The delivery ledger's vocabulary: what is sent to whom, and how each send ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from bot.domain.schedule import StepKind, due_step, zone_for


class DeliveryKind(StrEnum):
    """A chat's digest, or one article sent to a chat as an alert."""

    DIGEST = "digest"
    ALERT = "alert"


class DeliveryState(StrEnum):
    """Where a delivery stands.

    planned -> sending -> sent, or failed (Telegram refused it for good), or ambiguous (no
    answer: Telegram may have delivered it; sent again, see DELIVERY__MAX_ATTEMPTS). A digest
    with nothing in it is `empty` and never sent.
    """

    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    AMBIGUOUS = "ambiguous"
    FAILED = "failed"
    EMPTY = "empty"


class Priority(IntEnum):
    """Who goes first when the flood budget is short: lower values first."""

    INTERACTIVE = 0  # replies to what a person just did, /digest now
    ALERT = 1
    DIGEST = 2


class InactiveReason(StrEnum):
    """Why the bot stopped sending to a chat."""

    BLOCKED = "blocked"
    DEACTIVATED = "deactivated"
    KICKED = "kicked"
    NOT_FOUND = "not_found"
    MIGRATED = "migrated"
    FORBIDDEN = "forbidden"


def inactive_reason(description: str) -> InactiveReason:
    """Classify Telegram's description of a 403 answer."""
    text = description.lower()
    if "blocked" in text:
        return InactiveReason.BLOCKED
    if "deactivated" in text:
        return InactiveReason.DEACTIVATED
    if "kicked" in text or "not a member" in text or "left" in text:
        return InactiveReason.KICKED
    if "chat not found" in text:
        return InactiveReason.NOT_FOUND
    return InactiveReason.FORBIDDEN


@dataclass(frozen=True, slots=True)
class PlanRules:
    """What planning needs from the settings, in domain terms."""

    default_zone: str
    default_minute: int
    first_lookback: timedelta
    missed_window: timedelta
    settle: timedelta
    max_items: int
    keep_empty: bool = False


@dataclass(slots=True)
class PlanReport:
    """What one planning pass did."""

    digests: int = 0  # digests planned (one with nothing in it is recorded empty when sent)
    folded: int = 0  # chats whose missed digest was folded into the next one
    scheduled: int = 0  # chats whose first slot was worked out
    alerts: int = 0
    recovered: int = 0  # "sending" rows left by an earlier run, now ambiguous
    # Where the time went: the ledger rows of the due digests, the chats' next slots, and
    # working out which articles go to which digest.
    recording_seconds: float = 0.0
    scheduling_seconds: float = 0.0
    matching_seconds: float = 0.0
    dues: list[datetime] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed ledger row, about to be sent."""

    id: int
    chat_id: int
    kind: DeliveryKind
    priority: Priority
    article_id: int | None
    span_start: datetime | None
    span_end: datetime | None
    attempts: int  # including the one about to be made
    retried_ambiguous: bool  # the previous attempt had no answer


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one send ended, as the ledger records it."""

    delivery_id: int
    state: DeliveryState
    message_id: int | None = None
    error: str | None = None
    # A send that never reached Telegram (429 after every retry, a migrated chat): the row
    # goes back to planned without using up an attempt.
    requeue: bool = False


@dataclass(frozen=True, slots=True)
class ChatSchedule:
    """A chat's digest settings, with the defaults filled in."""

    chat_id: int
    chat_type: str
    timezone: str
    digest_enabled: bool
    digest_minute: int
    due_at: datetime | None
    through: datetime | None
    alerts: bool
    active: bool
    inactive_reason: str | None


# --- planning policy ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueGroup:
    """Chats that share a stored time zone, a digest minute and a due slot: planned together.

    None for the zone or the minute means the chat uses the default."""

    zone_name: str | None
    minute: int | None
    due: datetime


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """What planning does with one due group (see `plan_group`)."""

    group: DueGroup
    kind: StepKind
    next_due: datetime
    # Where the span of a chat's first digest starts (one with no digest before it).
    first_start: datetime


def due_by(now: datetime, rules: PlanRules) -> datetime:
    """Return the latest slot that is due at `now`: a slot waits out the settle time, so
    articles ingested a little late still make it into the digest of their span."""
    return now - rules.settle


def plan_group(group: DueGroup, now: datetime, rules: PlanRules) -> GroupPlan:
    """Decide what a due group gets: its first slot worked out, its digest sent, or its
    missed slot folded into the next one (see `schedule.due_step`)."""
    zone = zone_for(group.zone_name or rules.default_zone)
    minute = rules.default_minute if group.minute is None else group.minute
    step = due_step(group.due, now, zone, minute, rules.missed_window)
    return GroupPlan(group, step.kind, step.next_due, group.due - rules.first_lookback)


def on_demand_span(
    through: datetime | None, now: datetime, rules: PlanRules, newest: datetime | None = None
) -> tuple[datetime, datetime] | None:
    """Return the span of a digest asked for at `now` (/digest now): from the chat's previous
    digest, or the first lookback, through the newest committed article `newest` (none later
    than now), or to now less the settle time if that is later; None when it would be empty.

    The settle time only keeps a scheduled digest from racing an ingest batch; the caller
    makes `newest` safe instead (see delivery.planner), so what was ingested before the
    command is in its digest."""
    end = due_by(now, rules)
    if newest is not None:
        end = max(end, min(newest, now) + timedelta.resolution)
    start = through if through is not None else end - rules.first_lookback
    return None if start >= end else (start, end)


class Triage(StrEnum):
    """What a claim does with a pending ledger row."""

    SEND = "send"
    INACTIVE = "inactive"  # the chat stopped taking messages: the row fails unsent
    EXHAUSTED = "exhausted"  # no answer after every attempt: the row fails


def triage(*, active: bool, ambiguous: bool, attempts: int, max_attempts: int) -> Triage:
    """Decide whether a pending row is sent; `attempts` counts the attempts made so far."""
    if not active:
        return Triage.INACTIVE
    if ambiguous and attempts >= max_attempts:
        return Triage.EXHAUSTED
    return Triage.SEND
