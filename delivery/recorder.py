"""Record: how each send ended goes into the ledger, with what the sends taught about chats
(blocked, migrated); and the ledger is pruned of what it no longer needs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.deliveries import DeliveryState, Outcome
from bot.runtime.deps import Deps
from delivery.sender import Effects

log = logging.getLogger(__name__)

# The ledger is pruned a few thousand rows a transaction, so no transaction holds the database
# for long.
PRUNE_BATCH = 5000
PRUNE_BATCHES = 100


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

    def tally(self, outcomes: Sequence[Outcome]) -> None:
        """Count a batch's outcomes."""
        for outcome in outcomes:
            self.outcomes.append(outcome)
            if outcome.requeue:
                self.requeued += 1
            elif outcome.state is DeliveryState.SENT:
                self.sent += 1
            elif outcome.state is DeliveryState.AMBIGUOUS:
                self.ambiguous += 1
            elif outcome.state is DeliveryState.EMPTY:
                self.empty += 1
            else:
                self.failed += 1


class Recorder:
    """Writes outcomes to the ledger and prunes it."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def record(self, outcomes: Sequence[Outcome], effects: Effects) -> None:
        """Record a batch's outcomes and what its sends taught about chats, in one transaction."""
        now = self._deps.clock()
        async with self._deps.db.transaction() as repos:
            for old, new in effects.migrated.items():
                if await repos.schedules.migrate(old, new, now):
                    log.info("chat %d became supergroup %d; its deliveries moved", old, new)
            for chat_id, reason in effects.inactive.items():
                if await repos.schedules.mark_inactive(chat_id, reason):
                    log.info("chat %d is inactive (%s): nothing more is sent", chat_id, reason)
            await repos.ledger.record(outcomes, now)

    async def prune(self) -> int:
        """Delete the ledger rows finished more than DELIVERY__KEEP_DAYS ago, with the
        articles of their digests; return how many rows went."""
        keep = timedelta(days=self._deps.settings.delivery.keep_days)
        before = self._deps.clock() - keep
        gone = 0
        for _ in range(PRUNE_BATCHES):
            # Found without the write lock; deleted in a short transaction of their own.
            async with self._deps.db.read() as repos:
                ids = await repos.ledger.finished_before(before, PRUNE_BATCH)
            if ids:
                async with self._deps.db.transaction() as repos:
                    gone += await repos.ledger.forget(ids)
            if len(ids) < PRUNE_BATCH:
                break
        if gone:
            log.info("pruned %d delivery ledger rows finished before %s", gone, before)
        return gone
