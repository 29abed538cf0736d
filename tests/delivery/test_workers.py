"""Three `digestbot worker` processes, thousands of chats with digests due, one PostgreSQL.

Every chat gets its digest, the three together stay within the bot's flood budget (the local
Bot API answers 429 above a limit just over it), and a worker killed with SIGKILL mid-run
has its chats taken over once its lease runs out and loses none (how long they waited is
printed: about the lease on a quiet machine)."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bench.population import one_article_for_all
from sandbox.localapi import FloodLimits, LocalBotApi
from storage.database import Database
from storage.models import DeliveryRow
from tests.processes import Deliveries, bot_env, drained, kill, local_api_with, run_worker, stop

# 10,000 chats take about 90 s on a 2-core machine (three workers, PostgreSQL and the local
# Bot API share it), too long for every CI run: DIGESTBOT_WORKERS_CHATS=10000 runs the full size.
CHATS = int(os.environ.get("DIGESTBOT_WORKERS_CHATS", "2000"))
FIRST_CHAT = 700_000
CHAT_IDS = range(FIRST_CHAT, FIRST_CHAT + CHATS)
WORKERS = 3
BUDGET = 400  # messages a second, for the bot as a whole
LEASE = 3.0
KILL_AFTER = CHATS * 3 // 10  # digests delivered when the first worker is killed

pytestmark = pytest.mark.slow


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with local_api_with(CHAT_IDS, flood=FloodLimits(per_second=int(BUDGET * 1.1))) as server:
        yield server


def _max_per_second(stamps: list[float]) -> int:
    """The most messages in any one-second window."""
    window: deque[float] = deque()
    most = 0
    for stamp in sorted(stamps):
        window.append(stamp)
        while window[0] <= stamp - 1.0:
            window.popleft()
        most = max(most, len(window))
    return most


# Long for a reason: one scenario told start to finish, each step relying on the one before.
async def test_three_workers_share_the_digests_and_the_budget_and_survive_a_kill(
    api: LocalBotApi, db_url: str, forks: multiprocessing.context.ForkServerContext
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers share a PostgreSQL database; SQLite has one process")
    db = Database(db_url)
    await one_article_for_all(db, CHAT_IDS, datetime.now(UTC))
    env = bot_env(
        api,
        db_url,
        FLOOD__RATE=str(BUDGET),
        DELIVERY__LEASE_SECONDS=str(LEASE),
        DELIVERY__CONCURRENCY="16",
    )
    names = [f"worker-{number}" for number in range(WORKERS)]
    workers = [forks.Process(target=run_worker, args=(env, name), daemon=True) for name in names]
    started = time.perf_counter()
    for worker in workers:
        worker.start()

    counted = Deliveries(api)
    await api.wait_for(lambda _: counted.total() >= KILL_AFTER, timeout=60)
    killed_at = await kill(workers[0])
    async with db.transaction() as repos:
        orphans = set(
            (
                await repos.session.scalars(
                    select(DeliveryRow.chat_id).where(
                        DeliveryRow.state == "sending", DeliveryRow.claimed_by == names[0]
                    )
                )
            ).all()
        )

    await api.wait_for(
        lambda _: counted.total() >= 0 and len(counted.per_chat) >= CHATS, timeout=90
    )
    await drained(db)
    await stop(workers[1:])
    elapsed = time.perf_counter() - started

    counted.total()
    deliveries, per_chat = counted.sent, counted.per_chat
    missing = [c for c in CHAT_IDS if per_chat[c] == 0]
    duplicates = counted.duplicates()
    too_many = sum(1 for call in api.calls if call.error_code == 429)
    peak = _max_per_second([at for _, at in deliveries])
    first_sent = min(at for _, at in deliveries)
    last_sent = max(at for _, at in deliveries)
    # When each of the killed worker's chats got its digest (not before the kill: those
    # were answered before the worker died, and their retry is a duplicate).
    after_kill: dict[int, float] = {}
    for chat, at in deliveries:
        if chat in orphans and at >= killed_at:
            after_kill[chat] = min(at, after_kill.get(chat, at))
    delays = [at - killed_at for at in after_kill.values()]
    async with db.transaction() as repos:
        states = await repos.ledger.states()
    await db.dispose()
    print(
        f"\n{WORKERS} workers, {CHATS} chats, budget {BUDGET}/s, lease {LEASE:g} s "
        f"({os.cpu_count()} cores, PostgreSQL): {len(deliveries)} digests sent to "
        f"{len(per_chat)} chats; missing {len(missing)}, duplicates {duplicates}; "
        f"peak {peak} messages in one second, {len(deliveries) / (last_sent - first_sent):.0f}/s "
        f"on average, {too_many} answers 429; killed {names[0]} after {KILL_AFTER} digests "
        f"holding {len(orphans)} claims, its chats delayed by at most "
        f"{max(delays, default=0.0):.2f} s; ledger {dict(states)}; {elapsed:.1f} s in all",
        file=sys.stderr,
    )
    assert missing == []
    assert duplicates <= len(orphans)
    assert too_many == 0
    assert peak <= BUDGET
    assert len(delays) + duplicates >= len(orphans)
    # How long the killed worker's chats waited is a figure (printed above and recorded in
    # docs/benchmarks.md), not an assertion: on a shared machine it moves with the load.
    assert states == {"sent": CHATS}
