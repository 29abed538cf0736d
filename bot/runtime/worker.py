"""`digestbot worker`: the scheduler's tick and the sender, without updates.

A worker never calls getUpdates and registers no webhook: it plans what is due and sends what
the ledger holds. Any number of workers (beside `run --webhook` or `run` processes) share one
PostgreSQL database: each claims batches of due deliveries with FOR UPDATE SKIP LOCKED and a
lease (DELIVERY__LEASE_SECONDS); the claims of a worker that dies are taken over once their
lease has run out; the flood budget FLOOD__RATE is shared out among the live senders (see
delivery.heartbeat). On SQLite a worker is the only process on the database, or it is refused.

SIGINT or SIGTERM stop it cleanly: it claims nothing more, sends and records the batches it
holds, and leaves the senders so the others take up its share at their next heartbeat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.app import build_bot
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from bot.runtime.ops import running_as
from bot.runtime.webhook import wait_for_signal
from storage.database import Database

log = logging.getLogger(__name__)


async def run_worker(
    settings: Settings, clock: Callable[[], datetime], *, sender_id: str | None = None
) -> None:
    """Run the tick and the sender until SIGINT or SIGTERM (see the module doc).

    `sender_id` names this worker in the ledger's claims and the senders table (a random one
    by default)."""
    db = Database(settings.database_url)
    bot = build_bot(
        Deps(settings=settings, db=db, clock=clock), role="worker", sender_id=sender_id
    )
    app, pipeline = bot.app, bot.pipeline
    try:
        async with running_as("worker", settings, db):
            await db.upgrade()
            async with app:
                await app.start()  # the job queue (the tick); no update ever comes in
                log.info("Worker %s sending for @%s", pipeline.sender_id, app.bot.username)
                try:
                    await wait_for_signal()
                finally:
                    # No new claims once stopped; the batches in flight are sent and recorded.
                    await app.stop()
                    await pipeline.stop()
    finally:
        await db.dispose()
