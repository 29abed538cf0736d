"""The pipeline's orchestration: the scheduler's tick, and the drain that claims, composes,
sends and records batch after batch (the guarantees are in the package doc, delivery/)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from telegram.ext import ContextTypes, ExtBot

from bot.domain.deliveries import Delivery, Outcome, PlanReport
from bot.domain.messages import Message
from bot.runtime import metrics
from bot.runtime.deps import Deps
from bot.runtime.flood import FloodBudget
from bot.runtime.types import BotApp
from delivery.composer import compose
from delivery.heartbeat import Heartbeat
from delivery.planner import Planner
from delivery.recorder import DrainReport, Recorder
from delivery.sender import Effects, Sender

log = logging.getLogger(__name__)

# The ledger is pruned of what it no longer needs (DELIVERY__KEEP_DAYS) once an hour.
PRUNE_EVERY_SECONDS = 3600.0


class DeliveryPipeline:
    """Plans on each tick and sends what the ledger holds, for one application.

    `role` says what kind of process sends ("bot" or "worker") and `sender_id` names it in the
    ledger's claims and the senders table (a random one by default)."""

    def __init__(
        self, deps: Deps, app: BotApp, *, role: str = "bot", sender_id: str | None = None
    ) -> None:
        self._deps = deps
        self._app = app
        self._role = role
        # Which sender run marked a row "sending"; see LedgerRepository.recover.
        self._sender_id = sender_id if sender_id is not None else secrets.token_hex(8)
        self._lease = timedelta(seconds=deps.settings.delivery.lease_seconds)
        self._planner = Planner(deps, self._sender_id)
        self._sender = Sender(deps.settings.delivery, deps.clock)
        self._recorder = Recorder(deps)
        self._drain_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._heartbeat: Heartbeat | None = None
        self._prune_at = 0.0  # monotonic time of the next pruning

    @property
    def sender_id(self) -> str:
        """This sender's name in the ledger's claims and the senders table."""
        return self._sender_id

    @property
    def role(self) -> str:
        """What kind of process sends: "bot" or "worker"."""
        return self._role

    # --- the tick ------------------------------------------------------------------------

    async def tick(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """The periodic job: plan what is due, then make sure the sender works through it."""
        started = time.monotonic()
        metrics.tick_scheduled(self._deps.settings.digest.tick_seconds)
        self._start_heartbeat()
        await self.plan()
        metrics.tick_finished(time.monotonic() - started)
        self.start_draining()
        if time.monotonic() >= self._prune_at:
            self._prune_at = time.monotonic() + PRUNE_EVERY_SECONDS
            try:
                await self.prune()
            except Exception:  # the next hour tries again; planning and sending go on
                log.exception("pruning the delivery ledger failed")

    async def plan(self) -> PlanReport:
        """Plan due digests and new alerts (see delivery.planner)."""
        return await self._planner.plan()

    async def prune(self) -> int:
        """Delete the ledger rows finished more than DELIVERY__KEEP_DAYS ago; return how many."""
        return await self._recorder.prune()

    def _start_heartbeat(self) -> None:
        """Join the senders sharing the bot's flood budget (see delivery.heartbeat), once.

        PostgreSQL only: on SQLite one process sends (see storage.locks)."""
        if self._heartbeat is None and self._deps.db.dialect == "postgresql":
            app = self._app
            budget = app.bot.rate_limiter
            self._heartbeat = Heartbeat(
                self._deps.db,
                sender_id=self._sender_id,
                role=self._role,
                rate=self._deps.settings.flood.rate,
                lease=self._lease,
                clock=self._deps.clock,
                on_share=budget.set_rate if isinstance(budget, FloodBudget) else lambda _: None,
            )
            self._heartbeat.start(keep_going=lambda: bool(app.running))

    async def stop(self) -> None:
        """Leave the senders at once (the application has stopped; see delivery.heartbeat)."""
        if self._heartbeat is not None:
            await self._heartbeat.stop()

    def start_draining(self) -> None:
        """Send what is pending in the background, unless a drain is running already."""
        if not self._app.running:
            return  # a tick that lands while the bot stops: the next run sends what is due
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = self._app.create_task(self._drain_while_running(), name="digest-sender")

    async def _drain_while_running(self) -> None:
        app = self._app
        while True:
            self._again = False
            await self.drain(app.bot, keep_going=lambda: bool(app.running))
            if not self._again or not app.running:
                return

    # --- sending -------------------------------------------------------------------------

    async def drain(
        self, bot: ExtBot[None], keep_going: Callable[[], bool] | None = None
    ) -> DrainReport:
        """Send pending deliveries batch by batch until none is left (or `keep_going` fails).

        Up to two batches are in flight: the next one is claimed and composed while the
        current one is sent, so sending never stops for the database. So at most
        2 x DELIVERY__BATCH rows are "sending" when the process dies."""
        report = DrainReport()
        limit = asyncio.Semaphore(self._deps.settings.delivery.concurrency)
        in_flight: deque[tuple[asyncio.Task[list[Outcome]], Effects]] = deque()
        unreachable = False
        if self._heartbeat is not None:
            # Send only once the other senders have seen this one (the budget is shared).
            await self._heartbeat.ready.wait()
        async with self._drain_lock:
            try:
                while True:
                    batch: list[Delivery] = []
                    if not unreachable and (keep_going is None or keep_going()):
                        batch, contents = await self.claim()
                    if batch:
                        effects = Effects()
                        sending = asyncio.create_task(
                            self._sender.send_all(bot, batch, contents, effects, limit)
                        )
                        in_flight.append((sending, effects))
                        if len(in_flight) < 2:
                            continue
                    if not in_flight:
                        break
                    sending, effects = in_flight.popleft()
                    outcomes = await sending
                    await self._recorder.record(outcomes, effects)
                    report.batches += 1
                    report.tally(outcomes)
                    if effects.unreachable and not unreachable:
                        log.warning("Telegram is unreachable; sending resumes on the next tick")
                        unreachable = True
            finally:
                # Cancelled (the bot stops): rows still "sending" are recovered next time.
                for sending, _ in in_flight:
                    sending.cancel()
        return report

    async def claim(self) -> tuple[list[Delivery], dict[int, Message]]:
        """Claim the next batch, then compose its messages."""
        settings = self._deps.settings.delivery
        # Claims take turns on PostgreSQL (see LedgerRepository.claim): composing comes
        # after, in a transaction of its own.
        async with self._deps.db.transaction() as repos:
            batch = await repos.ledger.claim(
                limit=settings.batch,
                claimed_by=self._sender_id,
                now=self._deps.clock(),
                max_attempts=settings.max_attempts,
                lease=self._lease,
            )
        async with self._deps.db.read() as repos:
            contents = await compose(repos, batch, self._deps.settings)
        if batch:
            metrics.deliveries_claimed(len(batch))
        return batch, contents

    async def plan_now(self, chat_id: int) -> Delivery | None:
        """Plan a chat's digest right now, claimed by this sender (/digest now)."""
        return await self._planner.plan_now(chat_id, lease=self._lease)

    async def send_now(self, bot: ExtBot[None], delivery: Delivery) -> Outcome:
        """Send one delivery claimed by this run (a digest asked for with /digest now)."""
        async with self._deps.db.transaction() as repos:
            contents = await compose(repos, [delivery], self._deps.settings)
        effects = Effects()
        limit = asyncio.Semaphore(1)
        outcomes = await self._sender.send_all(bot, [delivery], contents, effects, limit)
        await self._recorder.record(outcomes, effects)
        return outcomes[0]
