"""kill -9 in the middle of a digest run for 2,000 chats, ten times, then a clean run.

The bot runs as a real process of its own against the local Bot API in this process. After
the last run no chat is without its digest, and the chats that got it twice are no more than
the deliveries that were in flight (marked "sending" in the ledger) when the process died."""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bench.population import one_article_for_all
from sandbox.localapi import LocalBotApi
from storage.database import Database
from storage.models import DeliveryRow
from tests.processes import Deliveries, bot_env, drained, kill, local_api_with, run_bot, stop

CHATS = 2000
FIRST_CHAT = 500_000
CHAT_IDS = range(FIRST_CHAT, FIRST_CHAT + CHATS)
KILLS = 10
# The run takes half a minute on a small machine, so by default it runs on the embedded
# SQLite only; DIGESTBOT_KILL_DATABASES=sqlite,postgresql runs it on PostgreSQL as well.
KILL_DATABASES = os.environ.get("DIGESTBOT_KILL_DATABASES", "sqlite").split(",")

pytestmark = pytest.mark.slow


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with local_api_with(CHAT_IDS) as server:
        yield server


async def _in_flight(db: Database) -> int:
    async with db.transaction() as repos:
        count = await repos.session.scalar(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state == "sending")
        )
    return int(count or 0)


# Long for a reason: one scenario told start to finish, each step relying on the one before.
async def test_kill_9_ten_times_in_a_digest_run_then_a_clean_run(
    api: LocalBotApi, db_url: str, forks: multiprocessing.context.ForkServerContext
) -> None:
    kind = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    if kind not in KILL_DATABASES:
        pytest.skip(f"set DIGESTBOT_KILL_DATABASES=sqlite,{kind} to run it on {kind} too")
    db = Database(db_url)
    await one_article_for_all(db, CHAT_IDS, datetime.now(UTC))
    env = bot_env(
        api,
        db_url,
        # The local Bot API has no flood limits here: send as fast as it answers.
        FLOOD__RATE="0",
        FLOOD__PER_CHAT_INTERVAL="0",
        FLOOD__GROUP_PER_MINUTE="0",
        DELIVERY__CONCURRENCY="8",
        # On PostgreSQL a restarted bot takes over what a dead one left "sending" once its
        # claims' lease runs out: a short lease keeps the test short.
        DELIVERY__LEASE_SECONDS="1",
    )
    rng = random.Random(20261124)
    counted = Deliveries(api)
    kills: list[tuple[int, int]] = []  # (messages delivered when killed, in flight)
    started = time.perf_counter()
    for _ in range(KILLS):
        process = forks.Process(target=run_bot, args=(env,), daemon=True)
        process.start()
        target = counted.total() + rng.randint(1, 150)

        def reached(_: LocalBotApi, target: int = target, process: Any = process) -> bool:
            return counted.total() >= target or not process.is_alive()

        await api.wait_for(reached, timeout=60)
        await kill(process)
        kills.append((counted.total(), await _in_flight(db)))

    killing = time.perf_counter() - started
    process = forks.Process(target=run_bot, args=(env,), daemon=True)
    process.start()
    await api.wait_for(lambda _: counted.total() >= 0 and len(counted.per_chat) >= CHATS, 120)
    await drained(db)
    await stop([process])
    counted.total()
    clean = time.perf_counter() - started - killing

    missing = [chat_id for chat_id in CHAT_IDS if counted.per_chat[chat_id] == 0]
    duplicates = counted.duplicates()
    in_flight = sum(flight for _, flight in kills)
    async with db.transaction() as repos:
        states = await repos.ledger.states()
    await db.dispose()
    print(
        f"\nkill -9 x{KILLS} in a digest run for {CHATS} chats ({os.cpu_count()} cores, "
        f"{'PostgreSQL' if db_url.startswith('postgresql') else 'SQLite'}):",
        file=sys.stderr,
    )
    for number, (delivered, flight) in enumerate(kills, 1):
        print(
            f"  kill {number:2d}: {delivered:4d} digests delivered so far, {flight:2d} in flight",
            file=sys.stderr,
        )
    print(
        f"  clean run: {counted.total()} sendMessage answers for {CHATS} chats; "
        f"missing {len(missing)}, duplicates {duplicates}, in flight at the kills {in_flight}; "
        f"ledger {dict(states)}; {killing:.1f} s of kills, {clean:.1f} s clean run",
        file=sys.stderr,
    )
    assert missing == []
    assert duplicates <= in_flight
    assert states == {"sent": CHATS}
