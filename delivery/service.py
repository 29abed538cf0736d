"""The scheduler's tick and the sender: everything the bot pushes goes through here.

Each tick plans, in our own tables: the digests whose slot has come (see
`storage.deliveries`) and the alerts for newly ingested articles. The sender then works
through the ledger in batches: it claims a batch (marking it "sending"), composes and sends
each message through the flood budget, and records how each send ended, one transaction per
batch. Nothing lives in the scheduler, so a restart loses nothing.

Delivery guarantees, per ledger row:
- a row is planned once: (chat, digest span end) and (chat, alert article) are unique;
- a row marked "sending" by a run that is gone (the process died) becomes "ambiguous" once
  its lease (DELIVERY__LEASE_SECONDS) has run out, and so does a send that got no answer
  (timeout, dropped connection): Telegram may have delivered
  it. The policy: an ambiguous row is sent again, up to DELIVERY__MAX_ATTEMPTS attempts in
  all, then recorded as failed. We prefer a rare duplicate to a lost digest; duplicates are
  bounded by the rows in flight (at most 2 x DELIVERY__BATCH) when a process dies;
- a send that never left (no connection, 429 after every retry, a migrated group) goes back
  to "planned" without using an attempt;
- 403 (blocked, kicked, deactivated) and "chat not found" mark the chat inactive: its rows
  fail unsent, and nothing is retried until the chat writes /start again.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ContextTypes, ExtBot

from bot.domain.cards import render_card
from bot.domain.deliveries import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    InactiveReason,
    Outcome,
    PlanReport,
    PlanRules,
    Priority,
    inactive_reason,
)
from bot.domain.digest import DigestEntry, compose_digest, rank_entries
from bot.domain.messages import Message
from bot.domain.preferences import nothing_new
from bot.domain.records import StoredArticle
from bot.domain.schedule import slot_after_today, zone_for
from bot.runtime import metrics
from bot.runtime.deps import Deps
from bot.runtime.flood import FloodBudget
from handlers.messages import send
from storage.senders import Heartbeat

if TYPE_CHECKING:
    from bot.app import BotApp

log = logging.getLogger(__name__)

# The ledger is pruned of what it no longer needs (DELIVERY__KEEP_DAYS) once an hour, a few
# thousand rows a transaction, so no transaction holds the database for long.
PRUNE_EVERY_SECONDS = 3600.0
PRUNE_BATCH = 5000
PRUNE_BATCHES = 100

TICK_JOB = "digest-tick"
# Causes of a NetworkError that mean the request never reached Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def plan_rules(deps: Deps) -> PlanRules:
    """Return the planning rules the settings describe."""
    digest = deps.settings.digest
    return PlanRules(
        default_zone=deps.settings.default_timezone,
        default_minute=digest.default_minute,
        first_lookback=timedelta(hours=digest.first_lookback_hours),
        missed_window=timedelta(hours=digest.missed_window_hours),
        settle=timedelta(seconds=digest.settle_seconds),
        max_items=digest.max_items,
        keep_empty=digest.send_empty,
    )


def digest_entry(stored: StoredArticle, matched: int) -> DigestEntry:
    """Return what a digest lists of a stored article."""
    article = stored.article
    return DigestEntry(
        article_id=stored.id,
        title=article.title,
        takeaway=article.takeaways[0] if article.takeaways else None,
        tags=article.tags,
        themes=article.themes,
        matched=matched,
        sort_at=stored.published_at,
    )


@dataclass(slots=True)
class DrainReport:
    """What one drain did."""

    sent: int = 0
    failed: int = 0
    ambiguous: int = 0
    requeued: int = 0
    empty: int = 0
    batches: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass(slots=True)
class _Effects:
    """What sends taught about chats, applied with the batch's outcomes."""

    inactive: dict[int, InactiveReason] = field(default_factory=dict)
    migrated: dict[int, int] = field(default_factory=dict)
    unreachable: bool = False


def _tally(report: DrainReport, outcomes: Sequence[Outcome]) -> None:
    for outcome in outcomes:
        report.outcomes.append(outcome)
        if outcome.requeue:
            report.requeued += 1
        elif outcome.state is DeliveryState.SENT:
            report.sent += 1
        elif outcome.state is DeliveryState.AMBIGUOUS:
            report.ambiguous += 1
        elif outcome.state is DeliveryState.EMPTY:
            report.empty += 1
        else:
            report.failed += 1


class DeliveryService:
    """Plans on each tick and sends what the ledger holds (see the module doc)."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        # Which sender run marked a row "sending"; see DeliveryRepository.recover.
        self.run_id = secrets.token_hex(8)
        self._plan_lock = asyncio.Lock()
        self._drain_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self.lease = timedelta(seconds=deps.settings.delivery.lease_seconds)
        # What kind of process sends ("bot" or "worker"), for the senders table.
        self.role = "bot"
        self.heartbeat: Heartbeat | None = None
        self._prune_at = 0.0  # monotonic time of the next pruning

    # --- the tick ------------------------------------------------------------------------

    async def tick(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The periodic job: plan what is due, then make sure the sender works through it."""
        started = time.monotonic()
        metrics.tick_scheduled(self._deps.settings.digest.tick_seconds)
        self.start_heartbeat(context.application)
        await self.plan()
        metrics.tick_finished(time.monotonic() - started)
        self.start_draining(context.application)
        if time.monotonic() >= self._prune_at:
            self._prune_at = time.monotonic() + PRUNE_EVERY_SECONDS
            try:
                await self.prune()
            except Exception:  # the next hour tries again; planning and sending go on
                log.exception("pruning the delivery ledger failed")

    async def prune(self) -> int:
        """Delete the ledger rows finished more than DELIVERY__KEEP_DAYS ago, with the
        articles of their digests; return how many rows went."""
        keep = timedelta(days=self._deps.settings.delivery.keep_days)
        before = self._deps.clock() - keep
        gone = 0
        for _ in range(PRUNE_BATCHES):
            # Found without the write lock; deleted in a short transaction of their own.
            async with self._deps.db.read() as repos:
                ids = await repos.deliveries.finished_before(before, PRUNE_BATCH)
            if ids:
                async with self._deps.db.transaction() as repos:
                    gone += await repos.deliveries.forget(ids)
            if len(ids) < PRUNE_BATCH:
                break
        if gone:
            log.info("pruned %d delivery ledger rows finished before %s", gone, before)
        return gone

    def start_heartbeat(self, app: Any) -> Heartbeat | None:
        """Join the senders sharing the bot's flood budget (see storage.senders), once.

        PostgreSQL only: on SQLite one process sends (see storage.locks)."""
        if self.heartbeat is None and self._deps.db.dialect == "postgresql":
            budget = app.bot.rate_limiter
            self.heartbeat = Heartbeat(
                self._deps.db,
                sender_id=self.run_id,
                role=self.role,
                rate=self._deps.settings.flood.rate,
                lease=self.lease,
                clock=self._deps.clock,
                on_share=budget.set_rate if isinstance(budget, FloodBudget) else lambda _: None,
            )
            self.heartbeat.start(keep_going=lambda: bool(app.running))
        return self.heartbeat

    async def plan(self) -> PlanReport:
        """Plan due digests and new alerts; rows an earlier run left "sending" are ambiguous."""
        rules = plan_rules(self._deps)
        async with self._plan_lock:
            now = self._deps.clock()
            # One transaction: a tick plans everything due at `now`, or nothing.
            async with self._deps.db.transaction() as repos:
                await repos.deliveries.lock_planning()
                recovered = await repos.deliveries.recover(
                    self.run_id, now, expired_only=self._deps.db.dialect != "sqlite"
                )
                # Digests first: after downtime, what a digest span covers goes to the digest
                # rather than arriving as a burst of alerts.
                report = await repos.deliveries.plan_digests(now, rules)
                report.alerts = await repos.deliveries.plan_alerts(now)
        report.recovered = recovered
        if recovered:
            log.warning(
                "%d deliveries were in flight when their sender stopped: ambiguous", recovered
            )
        if report.digests or report.alerts or report.folded:
            log.info(
                "planned %d digests (%d missed ones folded) and %d alerts",
                report.digests,
                report.folded,
                report.alerts,
            )
        return report

    def start_draining(self, app: Any) -> None:
        """Send what is pending in the background, unless a drain is running already."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = app.create_task(self._drain_while_running(app), name="digest-sender")

    async def _drain_while_running(self, app: Any) -> None:
        while True:
            self._again = False
            await self.drain(app.bot, keep_going=lambda: bool(app.running))
            if not self._again or not app.running:
                return

    # --- sending -------------------------------------------------------------------------

    async def drain(
        self, bot: ExtBot[Any], keep_going: Callable[[], bool] | None = None
    ) -> DrainReport:
        """Send pending deliveries batch by batch until none is left (or `keep_going` fails).

        Up to two batches are in flight: the next one is claimed and composed while the
        current one is sent, so sending never stops for the database. So at most
        2 x DELIVERY__BATCH rows are "sending" when the process dies."""
        report = DrainReport()
        limit = asyncio.Semaphore(self._deps.settings.delivery.concurrency)
        in_flight: deque[tuple[asyncio.Task[list[Outcome]], _Effects]] = deque()
        unreachable = False
        if self.heartbeat is not None:
            # Send only once the other senders have seen this one (the budget is shared).
            await self.heartbeat.ready.wait()
        async with self._drain_lock:
            try:
                while True:
                    batch: list[Delivery] = []
                    if not unreachable and (keep_going is None or keep_going()):
                        batch, contents = await self._claim()
                    if batch:
                        effects = _Effects()
                        sending = asyncio.create_task(
                            self._send_all(bot, batch, contents, effects, limit)
                        )
                        in_flight.append((sending, effects))
                        if len(in_flight) < 2:
                            continue
                    if not in_flight:
                        break
                    sending, effects = in_flight.popleft()
                    outcomes = await sending
                    await self._record(outcomes, effects)
                    report.batches += 1
                    _tally(report, outcomes)
                    if effects.unreachable and not unreachable:
                        log.warning("Telegram is unreachable; sending resumes on the next tick")
                        unreachable = True
            finally:
                # Cancelled (the bot stops): rows still "sending" are recovered next time.
                for sending, _ in in_flight:
                    sending.cancel()
        return report

    async def _claim(self) -> tuple[list[Delivery], dict[int, Message]]:
        """Claim the next batch, then compose its messages."""
        settings = self._deps.settings.delivery
        # Claims take turns on PostgreSQL (see DeliveryRepository.claim): composing comes
        # after, in a transaction of its own.
        async with self._deps.db.transaction() as repos:
            batch = await repos.deliveries.claim(
                limit=settings.batch,
                claimed_by=self.run_id,
                now=self._deps.clock(),
                max_attempts=settings.max_attempts,
                lease=self.lease,
            )
        async with self._deps.db.read() as repos:
            contents = await self._compose(repos, batch)
        if batch:
            metrics.deliveries_claimed(len(batch))
        return batch, contents

    async def send_now(self, bot: ExtBot[Any], delivery: Delivery) -> Outcome:
        """Send one delivery claimed by this run (a digest asked for with /digest now)."""
        async with self._deps.db.transaction() as repos:
            contents = await self._compose(repos, [delivery])
        effects = _Effects()
        limit = asyncio.Semaphore(1)
        outcomes = await self._send_all(bot, [delivery], contents, effects, limit)
        await self._record(outcomes, effects)
        return outcomes[0]

    def planning(self) -> asyncio.Lock:
        """The lock planning holds: /digest now and the tick never plan at the same time."""
        return self._plan_lock

    def next_due_after_now(self, zone_name: str, minute: int) -> datetime:
        """Return the slot after today's: a digest sent on demand counts as the day's."""
        return slot_after_today(self._deps.clock(), zone_for(zone_name), minute)

    async def _compose(self, repos: Any, batch: Sequence[Delivery]) -> dict[int, Message]:
        """Build the message of each delivery (none when there is nothing to send)."""
        if not batch:
            return {}
        settings = self._deps.settings
        digests = [d for d in batch if d.kind is DeliveryKind.DIGEST]
        items = await repos.deliveries.digest_items([d.id for d in digests])
        chat_ids = [d.chat_id for d in digests]
        zones = await repos.deliveries.chat_zones(chat_ids)
        followed = await repos.deliveries.followed_keys(chat_ids)
        wanted = [article_id for rows in items.values() for article_id, _ in rows]
        wanted += [d.article_id for d in batch if d.article_id is not None]
        articles = {stored.id: stored for stored in await repos.articles.get_many(wanted)}
        contents: dict[int, Message] = {}
        for delivery in batch:
            if delivery.kind is DeliveryKind.ALERT:
                stored = articles.get(delivery.article_id or 0)
                if stored is not None:
                    contents[delivery.id] = render_card(stored)
                continue
            # Articles deleted since the digest was planned are left out.
            entries = rank_entries(
                [
                    digest_entry(articles[article_id], matched)
                    for article_id, matched in items.get(delivery.id, [])
                    if article_id in articles
                ]
            )
            zone = zone_for(zones.get(delivery.chat_id) or settings.default_timezone)
            assert delivery.span_start is not None
            if not entries:
                if settings.digest.send_empty:
                    contents[delivery.id] = nothing_new(delivery.span_start, zone)
                continue
            message = compose_digest(
                entries,
                total=len(entries),
                since=delivery.span_start,
                zone=zone,
                followed=followed.get(delivery.chat_id, set()),
                delivery_id=delivery.id,
                max_items=settings.digest.max_items,
            )
            contents[delivery.id] = message
        return contents

    async def _send_all(
        self,
        bot: ExtBot[Any],
        batch: Sequence[Delivery],
        contents: dict[int, Message],
        effects: _Effects,
        limit: asyncio.Semaphore,
    ) -> list[Outcome]:
        async def one(delivery: Delivery) -> Outcome:
            content = contents.get(delivery.id)
            if content is None:
                return Outcome(delivery.id, DeliveryState.EMPTY)
            async with limit:
                outcome = await self._send(bot, delivery, content, effects)
            if outcome.state is DeliveryState.SENT:
                metrics.message_sent(delivery.kind.value)
            elif outcome.requeue:
                metrics.message_failed("requeued")
            elif outcome.state in {DeliveryState.FAILED, DeliveryState.AMBIGUOUS}:
                metrics.message_failed(outcome.state.value)
            return outcome

        return list(await asyncio.gather(*(one(delivery) for delivery in batch)))

    async def _send(
        self, bot: ExtBot[Any], delivery: Delivery, content: Message, effects: _Effects
    ) -> Outcome:
        """Send one message; turn every way it can end into an outcome for the ledger."""
        timeout = self._deps.settings.delivery.timeout_seconds
        chat_id = effects.migrated.get(delivery.chat_id, delivery.chat_id)
        if delivery.retried_ambiguous:
            log.info(
                "sending delivery %d again after an unanswered attempt (policy: resend)",
                delivery.id,
            )
        priority = None if delivery.priority is Priority.INTERACTIVE else int(delivery.priority)
        try:
            message = await send(
                bot,
                chat_id,
                content,
                read_timeout=timeout,
                write_timeout=timeout,
                rate_limit_args=priority,
            )
        except RetryAfter:
            # The flood budget already waited and retried; the ledger keeps the row for later.
            return Outcome(delivery.id, DeliveryState.PLANNED, requeue=True)
        except ChatMigrated as error:
            effects.migrated[delivery.chat_id] = error.new_chat_id
            return Outcome(delivery.id, DeliveryState.PLANNED, requeue=True)
        except Forbidden as error:
            effects.inactive[delivery.chat_id] = inactive_reason(error.message)
            return Outcome(delivery.id, DeliveryState.FAILED, error=error.message)
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                effects.inactive[delivery.chat_id] = InactiveReason.NOT_FOUND
            else:
                log.error("Telegram refused delivery %d: %s", delivery.id, error.message)
            return Outcome(delivery.id, DeliveryState.FAILED, error=error.message)
        except (TimedOut, NetworkError) as error:
            if isinstance(error.__cause__, _NOT_SENT):
                effects.unreachable = True
                return Outcome(delivery.id, DeliveryState.PLANNED, requeue=True)
            max_attempts = self._deps.settings.delivery.max_attempts
            state = (
                DeliveryState.AMBIGUOUS
                if delivery.attempts < max_attempts
                else DeliveryState.FAILED
            )
            log.warning(
                "no answer for delivery %d (attempt %d of %d): %s",
                delivery.id,
                delivery.attempts,
                max_attempts,
                error,
            )
            return Outcome(delivery.id, state, error=f"no answer: {error}")
        except TelegramError as error:
            log.error("delivery %d failed: %s", delivery.id, error)
            return Outcome(delivery.id, DeliveryState.FAILED, error=str(error))
        return Outcome(delivery.id, DeliveryState.SENT, message_id=message.message_id)

    async def _record(self, outcomes: Sequence[Outcome], effects: _Effects) -> None:
        now = self._deps.clock()
        async with self._deps.db.transaction() as repos:
            for old, new in effects.migrated.items():
                if await repos.schedules.migrate(old, new, now):
                    log.info("chat %d became supergroup %d; its deliveries moved", old, new)
            for chat_id, reason in effects.inactive.items():
                if await repos.schedules.mark_inactive(chat_id, reason):
                    log.info("chat %d is inactive (%s): nothing more is sent", chat_id, reason)
            await repos.deliveries.record(outcomes, now)


def register(app: BotApp, deps: Deps, service: DeliveryService) -> None:
    """Add the periodic tick."""
    job_queue = app.job_queue
    if job_queue is None:
        raise RuntimeError("the application was built without a job queue")
    tick = deps.settings.digest.tick_seconds
    job_queue.run_repeating(
        service.tick,
        interval=tick,
        first=0,
        name=TICK_JOB,
        job_kwargs={
            # A tick that starts late (a busy loop, a suspended machine) still runs, and
            # several missed ticks run once: the schedule lives in our tables, so one late
            # tick catches up on everything due.
            "misfire_grace_time": None,
            "coalesce": True,
            "max_instances": 1,
        },
    )


def service_of(app: BotApp) -> DeliveryService:
    """Return the DeliveryService an application's tick belongs to (tests, benchmarks)."""
    job_queue = app.job_queue
    jobs = job_queue.get_jobs_by_name(TICK_JOB) if job_queue is not None else ()
    for job in jobs:
        owner = getattr(job.callback, "__self__", None)
        if isinstance(owner, DeliveryService):
            return owner
    raise LookupError("the application has no digest tick")
