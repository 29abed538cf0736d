"""kill -9 in the middle of a digest run for 2,000 chats, ten times, then a clean run.

The bot runs as a real process of its own against the local Bot API in this process. After
the last run no chat is without its digest, and the chats that got it twice are no more than
the deliveries that were in flight (marked "sending" in the ledger) when the process died."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bot.domain.articles import Article
from bot.domain.labels import LabelKind
from sandbox.localapi import LocalBotApi
from storage.database import Database
from storage.models import ChatRow, DeliveryRow, SubscriptionRow, table_of
from tests.delivery.bot_process import run_bot
from tests.delivery.conftest import TOKEN

CHATS = 2000
FIRST_CHAT = 500_000
KILLS = 10
# The run takes half a minute on a small machine, so by default it runs on the embedded
# SQLite only; DIGESTBOT_KILL_DATABASES=sqlite,postgresql runs it on PostgreSQL as well.
KILL_DATABASES = os.environ.get("DIGESTBOT_KILL_DATABASES", "sqlite").split(",")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fork_server() -> multiprocessing.context.ForkServerContext:
    """A fork server with the bot imported once: each bot process starts in a blink."""
    context = multiprocessing.get_context("forkserver")
    # "__main__" too: else every child imports the main module (pytest) again.
    context.set_forkserver_preload(["__main__", "tests.delivery.warm_bot"])
    return context


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(TOKEN) as server:
        for offset in range(CHATS):
            server.add_chat(FIRST_CHAT + offset)
        yield server


async def _prepare(db: Database, now: datetime) -> None:
    """2,000 chats, each with its digest due a minute ago and one article to get."""
    async with db.transaction() as repos:
        ids = await repos.labels.ensure({(LabelKind.TAG.value, "kyiv"): "Kyiv"})
        outcome = await repos.articles.add_many(
            [
                Article(
                    title="Short news",
                    tags=("Kyiv",),
                    takeaways=("One line.",),
                    retelling=("One paragraph.",),
                )
            ],
            now - timedelta(hours=1),
        )
        assert outcome.new_ids
        chat_ids = [FIRST_CHAT + offset for offset in range(CHATS)]
        await repos.session.execute(
            insert(table_of(ChatRow)),
            [
                {
                    "id": chat_id,
                    "type": "private",
                    "active": True,
                    "created_at": now - timedelta(days=2),
                    "timezone": "UTC",
                    "digest_minute": 0,
                    "digest_due_at": now - timedelta(minutes=1),
                    "digest_through": now - timedelta(days=1),
                }
                for chat_id in chat_ids
            ],
        )
        await repos.session.execute(
            insert(table_of(SubscriptionRow)),
            [
                {"chat_id": chat_id, "label_id": ids[("tag", "kyiv")], "created_at": now}
                for chat_id in chat_ids
            ],
        )


async def _in_flight(db: Database) -> int:
    async with db.transaction() as repos:
        count = await repos.session.scalar(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state == "sending")
        )
    return int(count or 0)


async def _pending(db: Database) -> int:
    async with db.transaction() as repos:
        return await repos.ledger.pending()


class Deliveries:
    """Successful sendMessage calls per chat, counted as the local Bot API records them."""

    def __init__(self, api: LocalBotApi) -> None:
        self.api = api
        self.seen = 0
        self.per_chat: Counter[int] = Counter()

    def total(self) -> int:
        calls = self.api.calls
        for call in calls[self.seen :]:
            if call.method == "sendMessage" and call.ok:
                self.per_chat[call.result["chat"]["id"]] += 1
        self.seen = len(calls)
        return sum(self.per_chat.values())


async def test_kill_9_ten_times_in_a_digest_run_then_a_clean_run(
    api: LocalBotApi,
    db_url: str,
    fork_server: multiprocessing.context.ForkServerContext,
) -> None:
    kind = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    if kind not in KILL_DATABASES:
        pytest.skip(f"set DIGESTBOT_KILL_DATABASES=sqlite,{kind} to run it on {kind} too")
    db = Database(db_url)
    await _prepare(db, datetime.now(UTC))
    env = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "DATABASE_URL": db_url,
        "LOG_LEVEL": "ERROR",
        "DIGEST__TICK_SECONDS": "0.5",
        "DIGEST__SETTLE_SECONDS": "0",
        # The local Bot API has no flood limits here: send as fast as it answers.
        "FLOOD__RATE": "0",
        "FLOOD__PER_CHAT_INTERVAL": "0",
        "FLOOD__GROUP_PER_MINUTE": "0",
        "DELIVERY__BATCH": "50",
        "DELIVERY__CONCURRENCY": "8",
        # On PostgreSQL a restarted bot takes over what a dead one left "sending" once its
        # claims' lease runs out: a short lease keeps the test short.
        "DELIVERY__LEASE_SECONDS": "1",
    }
    rng = random.Random(20261124)
    counted = Deliveries(api)
    kills: list[tuple[int, int]] = []  # (messages delivered when killed, in flight)
    started = time.perf_counter()
    for _ in range(KILLS):
        process = fork_server.Process(target=run_bot, args=(env,), daemon=True)
        process.start()
        target = counted.total() + rng.randint(1, 150)

        def reached(_: LocalBotApi, target: int = target, process: Any = process) -> bool:
            return counted.total() >= target or not process.is_alive()

        await api.wait_for(reached, timeout=60)
        assert process.is_alive()
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        await asyncio.to_thread(process.join)
        assert process.exitcode == -signal.SIGKILL
        kills.append((counted.total(), await _in_flight(db)))

    killing = time.perf_counter() - started
    process = fork_server.Process(target=run_bot, args=(env,), daemon=True)
    process.start()
    await api.wait_for(lambda _: counted.total() >= 0 and len(counted.per_chat) >= CHATS, 120)
    for _ in range(600):
        if await _pending(db) == 0:
            break
        await asyncio.sleep(0.05)
    assert process.pid is not None
    os.kill(process.pid, signal.SIGTERM)
    await asyncio.to_thread(process.join, 30)
    assert process.exitcode == 0
    counted.total()
    clean = time.perf_counter() - started - killing

    chats = range(FIRST_CHAT, FIRST_CHAT + CHATS)
    missing = [chat_id for chat_id in chats if counted.per_chat[chat_id] == 0]
    duplicates = sum(count - 1 for count in counted.per_chat.values() if count > 1)
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
