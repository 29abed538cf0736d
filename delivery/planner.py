"""Plan: the digests whose slot has come and the alerts for new articles become ledger rows.

What is due and what each due group gets (its digest, its first slot, a missed slot folded into
the next) is decided in bot.domain.deliveries; the repositories run the set-based statements
(see storage.plans)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta

from bot.domain.deliveries import (
    Delivery,
    GroupPlan,
    PlanReport,
    PlanRules,
    due_by,
    on_demand_span,
    plan_group,
)
from bot.domain.schedule import StepKind, slot_after_today, zone_for
from bot.runtime import metrics
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from storage.repos import Repos

log = logging.getLogger(__name__)

# Planning passes per tick: a folded or newly scheduled chat can fall due again at once.
MAX_PASSES = 4


def plan_rules(settings: Settings) -> PlanRules:
    """Return the planning rules the settings describe."""
    digest = settings.digest
    return PlanRules(
        default_zone=settings.default_timezone,
        default_minute=digest.default_minute,
        first_lookback=timedelta(hours=digest.first_lookback_hours),
        missed_window=timedelta(hours=digest.missed_window_hours),
        settle=timedelta(seconds=digest.settle_seconds),
        max_items=digest.max_items,
        keep_empty=digest.send_empty,
    )


class Planner:
    """Plans what is due into the ledger, one transaction a tick."""

    def __init__(self, deps: Deps, sender_id: str) -> None:
        self._deps = deps
        self._sender_id = sender_id
        self._rules = plan_rules(deps.settings)
        # /digest now and the tick never plan at the same time.
        self.lock = asyncio.Lock()

    async def plan(self) -> PlanReport:
        """Plan due digests and new alerts; rows an earlier run left "sending" are ambiguous."""
        async with self.lock:
            now = self._deps.clock()
            # One transaction: a tick plans everything due at `now`, or nothing.
            async with self._deps.db.transaction() as repos:
                await repos.ledger.lock_planning()
                recovered = await repos.ledger.recover(
                    self._sender_id, now, expired_only=self._deps.db.dialect != "sqlite"
                )
                # Digests first: after downtime, what a digest span covers goes to the digest
                # rather than arriving as a burst of alerts.
                report = await self._plan_digests(repos, now)
                report.alerts = await repos.plans.plan_alerts(now)
                due = await repos.ledger.pending()
        metrics.deliveries_due(due)
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

    async def _plan_digests(self, repos: Repos, now: datetime) -> PlanReport:
        """Plan the digest of every active chat whose slot has come, with its articles.

        Each planned digest gets a ledger row spanning from the chat's previous digest to the
        slot, and the chat moves on to its next slot, in the caller's one transaction: a digest
        is planned exactly once however often this runs."""
        report = PlanReport()
        cutoff = due_by(now, self._rules)
        for _ in range(MAX_PASSES):
            groups = await repos.schedules.due_groups(cutoff)
            if not groups:
                break
            floor = await repos.plans.last_id()
            sent: list[GroupPlan] = []
            for plan in (plan_group(group, now, self._rules) for group in groups):
                if plan.kind is StepKind.SEND:
                    started = time.perf_counter()
                    await repos.plans.add_digests(plan.group, plan.first_start, now)
                    report.recording_seconds += time.perf_counter() - started
                    sent.append(plan)
                started = time.perf_counter()
                moved = await repos.schedules.advance(
                    plan.group,
                    plan.next_due,
                    through=plan.group.due if plan.kind is StepKind.SEND else None,
                )
                report.scheduling_seconds += time.perf_counter() - started
                if plan.kind is StepKind.SEND:
                    report.digests += moved
                elif plan.kind is StepKind.FOLD:
                    report.folded += moved
                else:
                    report.scheduled += moved
            if sent:
                started = time.perf_counter()
                dues = [plan.group.due for plan in sent]
                first = min(plan.first_start for plan in sent)
                lo = await repos.plans.span_floor(floor, dues, first)
                await repos.plans.add_items(
                    floor=floor, dues=dues, lo=lo, hi=max(dues), digests=report.digests
                )
                report.matching_seconds += time.perf_counter() - started
                report.dues += dues
        return report

    async def plan_now(self, chat_id: int, *, lease: timedelta) -> Delivery | None:
        """Plan a digest for one chat right now, already claimed by this sender (/digest now).

        It spans from the chat's previous digest through every article committed before it
        was asked for, without the settle time a scheduled digest waits out, and counts as the
        day's digest: the chat's next slot is its slot on the day after today. None when the
        chat is unknown or has no span to cover (a digest ended this very moment)."""
        settings = self._deps.settings
        async with self.lock:
            now = self._deps.clock()
            async with self._deps.db.transaction() as repos:
                # The settle time guards a scheduled digest against an ingest batch that
                # stamped its articles but has not committed yet: the next span starts where
                # this one ends, so such articles would fall in no digest. Here no batch is in
                # flight: SQLite has one writer, and this transaction holds it; on PostgreSQL
                # hold_ingests waits for the batches in flight, and a batch stamps only after
                # taking the lock that waits for this transaction (lock_for_ingest). So every
                # article stamped up to the newest committed one is visible, and one stamped
                # later falls in the next digest.
                await repos.plans.hold_ingests()
                schedule = await repos.schedules.get(
                    chat_id, settings.default_timezone, settings.digest.default_minute
                )
                if schedule is None:
                    return None
                newest = await repos.plans.newest_ingested()
                span = on_demand_span(schedule.through, now, self._rules, newest)
                if span is None:
                    return None
                floor = await repos.plans.last_id()
                delivery = await repos.plans.add_claimed_digest(
                    chat_id, span, now, claimed_by=self._sender_id, lease=lease
                )
                if delivery is None:
                    return None
                zone = zone_for(schedule.timezone)
                next_due = slot_after_today(now, zone, schedule.digest_minute)
                await repos.schedules.digest_planned(chat_id, span[1], next_due)
                start, end = span
                await repos.plans.add_items(floor=floor, dues=[end], lo=start, hi=end, digests=1)
        return delivery
