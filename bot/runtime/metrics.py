"""Prometheus metrics of this process, and the small functions the code doing the work calls.

Every process (poller, webhook, worker) serves its own figures on METRICS_LISTEN; Prometheus
adds them up across processes. Label values are few and fixed: kinds and reasons, never ids.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from telegram import Update

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

MESSAGES_SENT = Counter(
    "digestbot_messages_sent",
    "Messages the bot sent on its own (digests, alerts), by kind",
    ["kind"],
    registry=REGISTRY,
)
MESSAGES_FAILED = Counter(
    "digestbot_messages_failed",
    "Messages that could not be sent, by reason (blocked, kicked, deactivated, not_found, "
    "migrated, bad_request, timeout, network, ...)",
    ["reason"],
    registry=REGISTRY,
)
FLOOD_PAUSES = Counter(
    "digestbot_flood_pauses",
    "429 Too Many Requests answers the sender paused for",
    registry=REGISTRY,
)
FLOOD_PAUSE_SECONDS = Counter(
    "digestbot_flood_pause_seconds",
    "Seconds the sender was told to wait by 429 answers",
    registry=REGISTRY,
)
DELIVERIES_DUE = Gauge(
    "digestbot_deliveries_due",
    "Deliveries due and not sent yet, as the last tick of this process counted them",
    registry=REGISTRY,
)
DELIVERIES_CLAIMED = Counter(
    "digestbot_deliveries_claimed",
    "Deliveries this process claimed for sending",
    registry=REGISTRY,
)
DIGEST_LAG = Histogram(
    "digestbot_digest_lag_seconds",
    "How long after its planned time a digest was sent",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "digestbot_update_handling_seconds",
    "Time to handle one update from Telegram, by kind (message, callback_query, ...)",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
WEBHOOK_REQUESTS = Counter(
    "digestbot_webhook_requests",
    "Requests to the webhook, by outcome "
    "(handled, duplicate, busy, forbidden, bad_request, error)",
    ["outcome"],
    registry=REGISTRY,
)
TICKS = Counter(
    "digestbot_ticks",
    "Scheduler ticks this process finished",
    registry=REGISTRY,
)
TICK_SECONDS = Histogram(
    "digestbot_tick_duration_seconds",
    "How long one scheduler tick took",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
LAST_TICK = Gauge(
    "digestbot_last_tick_timestamp_seconds",
    "Unix time at which this process's last scheduler tick finished",
    registry=REGISTRY,
)

# The series dashboards look for exist from the start, at zero.
for _kind in ("digest", "alert"):
    MESSAGES_SENT.labels(_kind)
for _outcome in ("handled", "duplicate", "forbidden"):
    WEBHOOK_REQUESTS.labels(_outcome)

_NOT_A_LABEL = re.compile(r"[^a-z0-9_]+")


def _label(value: str) -> str:
    return _NOT_A_LABEL.sub("_", value.lower()).strip("_")[:32] or "other"


# --- what the sender calls ---------------------------------------------------------------------


def message_sent(kind: str = "digest") -> None:
    """Count one message sent by the bot on its own: "digest" or "alert"."""
    MESSAGES_SENT.labels(_label(kind)).inc()


def message_failed(reason: str) -> None:
    """Count one message that could not be sent, e.g. "blocked", "not_found", "timeout"."""
    MESSAGES_FAILED.labels(_label(reason)).inc()


def flood_paused(retry_after_seconds: float) -> None:
    """Count one 429 answer and the pause it asked for."""
    FLOOD_PAUSES.inc()
    FLOOD_PAUSE_SECONDS.inc(max(0.0, retry_after_seconds))


def deliveries_claimed(count: int) -> None:
    """Count deliveries this process claimed for sending."""
    DELIVERIES_CLAIMED.inc(max(0, count))


def digest_lag(seconds: float) -> None:
    """Record how long after its planned time a digest went out."""
    DIGEST_LAG.observe(max(0.0, seconds))


# --- what the scheduler's tick calls -----------------------------------------------------------


@dataclass(slots=True)
class _Ticks:
    every: float | None = None  # None: this process runs no scheduler
    scheduled_at: float = 0.0  # time.monotonic() when the tick was scheduled
    last: float | None = None  # time.monotonic() when the last tick finished


_ticks = _Ticks()


def tick_scheduled(every_seconds: float) -> None:
    """Say that this process runs the scheduler's tick every `every_seconds`; from now on
    /healthz reports unhealthy if ticks stop."""
    _ticks.every = every_seconds
    _ticks.scheduled_at = time.monotonic()


def tick_finished(duration_seconds: float, *, at: float | None = None) -> None:
    """Record a finished tick; `at` is its time.monotonic() (now if not given)."""
    _ticks.last = time.monotonic() if at is None else at
    TICKS.inc()
    TICK_SECONDS.observe(max(0.0, duration_seconds))
    LAST_TICK.set(time.time() - (time.monotonic() - _ticks.last))


def deliveries_due(count: int) -> None:
    """Set how many deliveries are due and not sent yet."""
    DELIVERIES_DUE.set(max(0, count))


@dataclass(frozen=True, slots=True)
class TickHealth:
    """The scheduler's state as /healthz reports it."""

    runs_scheduler: bool
    last_tick_age: float | None  # seconds; None before the first tick
    max_age: float | None  # a tick older than this is late; None without a scheduler
    healthy: bool


def tick_health(now: float | None = None) -> TickHealth:
    """Return the last tick's age and whether it is on time; `now` is a time.monotonic()."""
    now = time.monotonic() if now is None else now
    age = None if _ticks.last is None else now - _ticks.last
    if _ticks.every is None:
        return TickHealth(runs_scheduler=False, last_tick_age=age, max_age=None, healthy=True)
    # Three missed ticks, but at least a minute: one tick may take a while when much is due.
    max_age = max(3 * _ticks.every, 60.0)
    # Before the first tick, the wait counts from when the tick was scheduled.
    waited = age if age is not None else now - _ticks.scheduled_at
    return TickHealth(
        runs_scheduler=True, last_tick_age=age, max_age=max_age, healthy=waited <= max_age
    )


def reset_ticks() -> None:
    """Forget the scheduler state (tests)."""
    _ticks.every = None
    _ticks.scheduled_at = 0.0
    _ticks.last = None


# --- updates -----------------------------------------------------------------------------------


def webhook_request(outcome: str) -> None:
    """Count one webhook request by its outcome."""
    WEBHOOK_REQUESTS.labels(_label(outcome)).inc()


def update_kind(update: object) -> str:
    """Name what an update carries: "message", "callback_query", ... (a fixed, short list)."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return kind
    return "other"


def update_handled(update: object, seconds: float) -> None:
    """Record how long handling one update took (see bot.runtime.updates)."""
    UPDATE_SECONDS.labels(update_kind(update)).observe(max(0.0, seconds))
