"""The processes that send, and how they share the bot's flood budget.

Telegram gives one flood budget per bot token, however many processes send. Each sending
process (polling, webhook or worker) has a row in `senders` and renews its heartbeat every
few seconds (a third of DELIVERY__LEASE_SECONDS, at most 5 s). A sender is live while its
heartbeat is younger than the lease; each process sends at most FLOOD__RATE / (live senders)
messages a second, so the bot as a whole stays within FLOOD__RATE. A new sender waits two
heartbeats before it sends, so the others have seen it and lowered their share by then; a
sender that dies keeps its share counted until its heartbeat is a lease old (the others are
briefly slower, never faster).

The per-chat and per-group limits hold because a chat is sent to by one process at a time:
a claim skips the rows of a chat another live claim holds (see storage.ledger's claim).

The same heartbeat renews the leases of this process's claims, so a batch that takes longer
than the lease (a long 429 pause) keeps them; a dead process's claims run out and are taken
over (LedgerRepository.recover).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.runtime.tasks import stop_task
from storage.database import Database

log = logging.getLogger(__name__)

# The longest time between two heartbeats.
MAX_HEARTBEAT_SECONDS = 5.0
# A new sender sends from its third heartbeat on (see Heartbeat._run).
READY_AFTER_BEATS = 3


def heartbeat_seconds(lease_seconds: float) -> float:
    """How often a sender renews its heartbeat and its leases."""
    return min(lease_seconds / 3, MAX_HEARTBEAT_SECONDS)


def share(rate: float, live: int) -> float:
    """One sender's part of the bot's overall rate (0 is no limit, and stays so)."""
    return rate / max(live, 1) if rate > 0 else 0.0


class Heartbeat:
    """Keeps one sender's row, leases and share of the flood budget up to date."""

    def __init__(
        self,
        db: Database,
        *,
        sender_id: str,
        role: str,
        rate: float,
        lease: timedelta,
        clock: Callable[[], datetime],
        on_share: Callable[[float], None],
    ) -> None:
        self.sender_id = sender_id
        self.role = role
        self.rate = rate
        self.lease = lease
        self.interval = heartbeat_seconds(lease.total_seconds())
        self.live = 0
        self.ready = asyncio.Event()
        self._db = db
        self._clock = clock
        self._on_share = on_share
        self._task: asyncio.Task[None] | None = None

    async def beat(self) -> int:
        """One heartbeat: renew the row and the leases, then the share; return live senders."""
        now = self._clock()
        async with self._db.transaction() as repos:
            await repos.senders.beat(self.sender_id, self.role, now)
            await repos.ledger.renew(self.sender_id, now + self.lease)
            live = await repos.senders.live(now - self.lease)
        if live != self.live:
            log.info("%d live senders: this one sends up to %.1f/s", live, share(self.rate, live))
        self.live = live
        self._on_share(share(self.rate, live))
        return live

    def start(self, keep_going: Callable[[], bool] = lambda: True) -> None:
        """Beat in the background while `keep_going()`; `ready` is set once the other senders
        have seen this one."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(keep_going), name="heartbeat"
            )

    async def _run(self, keep_going: Callable[[], bool]) -> None:
        beats = 0
        while keep_going():
            try:
                await self.beat()
                beats += 1
            except Exception:  # the database may be briefly away: beat again later
                log.exception("heartbeat failed")
            if beats >= READY_AFTER_BEATS:
                # Two heartbeats apart: every sender that started before this one's first beat
                # is counted, and every other live sender has begun a beat since that one was
                # committed (they beat once an interval, plus the time a beat takes), so it
                # has lowered its share; every one that starts later counts this one before
                # it sends.
                self.ready.set()
            await asyncio.sleep(self.interval)
        await self._leave()

    async def stop(self) -> None:
        """Stop beating and leave the senders (what this one held is left to the caller)."""
        task, self._task = self._task, None
        await stop_task(task)
        await self._leave()

    async def _leave(self) -> None:
        now = self._clock()
        with contextlib.suppress(Exception):
            async with self._db.transaction() as repos:
                await repos.senders.forget(self.sender_id, now - 10 * self.lease)
