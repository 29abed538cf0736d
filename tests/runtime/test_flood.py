"""The per-chat burst: a reply of a few messages passes Telegram's limits at once, a flood is
refused with 429, and pushed messages keep one per interval."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import telegram
from telegram import Update
from telegram.error import RetryAfter

from bot.app import build_application
from bot.domain.articles import Article
from bot.runtime.deps import Deps
from bot.runtime.flood import FloodBudget, _Waiter
from sandbox.localapi import FloodLimits, LocalBotApi
from storage.database import Database
from tests.conftest import FIXED_NOW
from tests.runtime.conftest import TOKEN, make_settings

ANNA = 3001
PAGE = 3  # three cards, the count and "More" riding on the last


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns about int retry_after unless the timedelta behaviour is switched on.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def strict_api() -> AsyncIterator[LocalBotApi]:
    # Telegram's limits: 30/s, one a second per chat after a short burst, 20/min per group.
    async with LocalBotApi(TOKEN, flood=FloodLimits.telegram()) as server:
        server.add_chat(ANNA)
        yield server


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_page_goes_out_at_once(strict_api: LocalBotApi, db_url: str) -> None:
    api = strict_api
    db = Database(db_url)
    async with db.transaction() as repos:
        articles = [
            Article(title=f"Kyiv: story {n}", tags=("Kyiv",), takeaways=("T.",), retelling=("R.",))
            for n in range(5)
        ]
        await repos.articles.add_many(articles, FIXED_NOW)
    # After a burst a chat gets one message a minute: only a burst sends a page in time.
    flood = {"rate": 25, "per_chat_interval": 60, "per_chat_burst": 4, "group_per_minute": 20}
    app = build_application(
        Deps(settings=make_settings(db_url, api, flood=flood), db=db, clock=lambda: FIXED_NOW)
    )
    async with app, asyncio.timeout(30):
        update = api.send_text(ANNA, "/topic Kyiv", deliver=False)
        await app.process_update(Update.de_json(update, app.bot))
    await db.dispose()
    sent = api.calls_to("sendMessage", ANNA)
    assert len(sent) == PAGE
    assert all(call.ok for call in sent)
    assert api.too_many_requests == 0


async def test_a_flood_to_one_chat_is_refused_with_429(strict_api: LocalBotApi) -> None:
    api = strict_api
    async with telegram.Bot(TOKEN, base_url=api.base_url) as bot:
        # No budget: eight at once, as a bot that ignores the limits would.
        results = await asyncio.gather(
            *(bot.send_message(ANNA, f"message {n}") for n in range(8)), return_exceptions=True
        )
    refused = [result for result in results if isinstance(result, RetryAfter)]
    assert len(results) - len(refused) == 4  # the burst
    assert refused


def _waiter(priority: int, chat: int, loop: asyncio.AbstractEventLoop) -> _Waiter:
    return _Waiter(priority, 0, chat, False, loop.create_future())


def test_a_reply_bursts_then_waits_for_the_bucket_to_refill() -> None:
    budget = FloodBudget(rate=0, per_chat_interval=1.0, per_chat_burst=4, group_per_minute=0)
    loop = asyncio.new_event_loop()
    try:
        reply = _waiter(0, 5, loop)
        for _ in range(4):
            now = time.monotonic()
            assert budget._chat_ready_at(reply, now) == now
            budget._waiters.append(reply)
            budget._grant(reply, now, 0.0)
            budget._release(5)
            reply = _waiter(0, 5, loop)
        # The bucket is empty: the fifth waits an interval from the last answer.
        answered = budget._chats[5].since
        assert budget._chat_ready_at(reply, answered) == pytest.approx(answered + 1.0, abs=1e-3)
        # A pushed message waits the interval too, and never beside one in flight.
        pushed = _waiter(2, 5, loop)
        assert budget._chat_ready_at(pushed, answered) == pytest.approx(answered + 1.0, abs=1e-3)
        budget._chats[5].in_flight = 1
        assert budget._chat_ready_at(pushed, now + 5) == float("inf")
    finally:
        loop.close()


def test_a_pushed_message_keeps_one_per_interval_with_a_full_bucket() -> None:
    budget = FloodBudget(rate=0, per_chat_interval=1.0, per_chat_burst=4, group_per_minute=0)
    loop = asyncio.new_event_loop()
    try:
        now = time.monotonic()
        pushed = _waiter(2, 7, loop)
        budget._waiters.append(pushed)
        budget._grant(pushed, now, 0.0)
        nxt = _waiter(2, 7, loop)
        assert budget._chat_ready_at(nxt, now) == float("inf")  # until the answer
        budget._release(7)
        assert budget._chat_ready_at(nxt, now) >= now + 1.0
        # A reply to a person may still go: the bucket has three tokens left.
        assert budget._chat_ready_at(_waiter(0, 7, loop), now) <= time.monotonic()
    finally:
        loop.close()


def test_an_idle_chat_is_forgotten_once_its_bucket_is_full() -> None:
    budget = FloodBudget(rate=0, per_chat_interval=1.0, per_chat_burst=4, group_per_minute=0)
    loop = asyncio.new_event_loop()
    try:
        now = time.monotonic()
        reply = _waiter(0, 9, loop)
        budget._waiters.append(reply)
        budget._grant(reply, now, 0.0)
        budget._release(9)
        answered = budget._chats[9].since
        budget._forget_idle_chats(answered + 0.5)
        assert 9 in budget._chats
        budget._forget_idle_chats(answered + 1.01)
        assert 9 not in budget._chats
    finally:
        loop.close()
