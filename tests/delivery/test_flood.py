"""The flood budget: against the local Bot API's flood limits a digest run never meets a 429,
people's replies jump the queue, and a 429 that comes anyway pauses all sending."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.runtime.flood import FloodBudget, _ChatState, _Waiter
from sandbox.localapi import FloodLimits, LocalBotApi
from tests.delivery.conftest import MONDAY, TOKEN, Bot, article

SLOT = MONDAY + timedelta(hours=6)


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    # Telegram's limits: 30 messages a second, one a second per chat, 20 a minute per group.
    async with LocalBotApi(TOKEN, flood=FloodLimits.telegram()) as server:
        yield server


@pytest.fixture
def overrides() -> dict[str, Any]:
    # The defaults: 25 a second overall, one a second per chat, 20 a minute per group.
    return {"flood": {"rate": 25, "per_chat_interval": 1.0, "group_per_minute": 20}}


async def test_a_digest_run_within_the_budget_never_meets_a_429(bot: Bot) -> None:
    chats = [*range(4001, 4041), -4001, -4002, -4003]
    for chat_id in chats:
        await bot.chat(chat_id, ["Kyiv"])
    await bot.tick()
    await bot.ingest(article("The news", "Kyiv"), at=SLOT - timedelta(hours=1))
    bot.clock.set(SLOT)
    await bot.pipeline.plan()
    person = 4100
    bot.api.add_chat(person)
    run = asyncio.create_task(bot.pipeline.drain(bot.app.bot))
    await bot.api.wait_for(lambda api: len(api.calls_to("sendMessage")) >= 5, timeout=30)
    # A person asks for something mid-run, three times in a row.
    for command in ("/digest", "/alerts", "/timezone"):
        await bot.send(command, chat_id=person)
    report = await run
    assert report.sent == len(chats)
    assert bot.api.too_many_requests == 0
    sends = bot.api.calls_to("sendMessage")
    assert all(call.ok for call in sends)
    replies = [i for i, call in enumerate(sends) if call.params["chat_id"] == person]
    # The replies went ahead of the digests still waiting.
    assert replies[0] < len(sends) - 10


async def _send(bot: ExtBot[Any], chat_id: int, priority: int | None) -> None:
    await bot.send_message(chat_id, f"to {chat_id}", rate_limit_args=priority)


async def test_interactive_replies_go_before_queued_bulk_sends() -> None:
    async with LocalBotApi(TOKEN) as api:
        budget = FloodBudget(rate=20, per_chat_interval=0, group_per_minute=0)
        async with ExtBot(TOKEN, base_url=api.base_url, rate_limiter=budget) as bot:
            for chat_id in range(1, 13):
                api.add_chat(chat_id)
            bulk = [asyncio.create_task(_send(bot, chat_id, 2)) for chat_id in range(1, 11)]
            await api.wait_for(lambda a: len(a.calls_to("sendMessage")) >= 2)
            await asyncio.gather(_send(bot, 11, None), _send(bot, 12, 1))
            await asyncio.gather(*bulk)
        order = [call.params["chat_id"] for call in api.calls_to("sendMessage")]
    # The interactive reply first, then the alert, ahead of the digests still waiting.
    assert order.index(11) < order.index(12) < order.index(10)
    assert order.index(11) <= 4


async def test_no_second_as_telegram_counts_them_holds_more_than_the_rate() -> None:
    # The first sends are held up on the way (a slow network, a busy event loop) and reach
    # the server together with the ones after them: paced sends alone would show up as a
    # burst there. The budget counts a message until a second after its answer instead.
    rate = 10
    async with LocalBotApi(TOKEN) as api:
        budget = FloodBudget(rate=rate, per_chat_interval=0, group_per_minute=0)
        async with ExtBot(TOKEN, base_url=api.base_url, rate_limiter=budget) as bot:
            for chat_id in range(1, 31):
                api.add_chat(chat_id)
            api.set_delay("sendMessage", 0.8)
            sends = [asyncio.create_task(_send(bot, chat_id, 2)) for chat_id in range(1, 31)]
            await asyncio.sleep(0.5)
            api.set_delay("sendMessage", None)
            await asyncio.gather(*sends)
        arrivals = sorted(call.at for call in api.calls_to("sendMessage"))
    assert len(arrivals) == 30
    most = max(sum(1 for other in arrivals if start <= other < start + 1.0) for start in arrivals)
    assert most <= rate


async def test_a_429_pauses_all_sending_then_retries() -> None:
    async with LocalBotApi(TOKEN) as api:
        budget = FloodBudget(rate=0, per_chat_interval=0, group_per_minute=0)
        async with ExtBot(TOKEN, base_url=api.base_url, rate_limiter=budget) as bot:
            api.add_chat(1)
            api.add_chat(2)
            api.fail_next("sendMessage", 429, retry_after=1, chat_id=1)
            first = asyncio.create_task(_send(bot, 1, 2))
            await api.wait_for(lambda _: budget.stats.too_many_requests >= 1)
            await _send(bot, 2, None)  # waits out the pause, although it goes elsewhere
            await first
        calls = api.calls_to("sendMessage")
    outcomes = [(c.params["chat_id"], c.ok) for c in calls]
    assert outcomes[0] == (1, False)
    assert sorted(outcomes[1:]) == [(1, True), (2, True)]
    # Nothing went out during the second Telegram asked for (a lower bound: never flaky).
    assert min(c.at for c in calls[1:]) - calls[0].at >= 0.95
    assert budget.stats.too_many_requests == 1


async def test_a_message_that_keeps_meeting_429_goes_back_to_its_caller() -> None:
    from telegram.error import RetryAfter

    async with LocalBotApi(TOKEN) as api:
        budget = FloodBudget(rate=0, per_chat_interval=0, group_per_minute=0, max_retries=1)
        async with ExtBot(TOKEN, base_url=api.base_url, rate_limiter=budget) as bot:
            api.add_chat(1)
            api.fail_next("sendMessage", 429, retry_after=1, times=2)
            with pytest.raises(RetryAfter):
                await _send(bot, 1, 2)
    assert len(api.calls_to("sendMessage")) == 2


def test_a_group_waits_once_it_had_its_messages_of_the_minute() -> None:
    budget = FloodBudget(rate=0, per_chat_interval=0, group_per_minute=3)
    now = time.monotonic()
    state = _ChatState()
    state.sent.extend([now - 50, now - 30, now - 10])
    budget._chats[-7] = state
    loop = asyncio.new_event_loop()
    try:
        waiter = _Waiter(2, 0, -7, True, loop.create_future())
        # The oldest of the three leaves the 61-second window 11 seconds from now.
        assert budget._chat_ready_at(waiter, now) == pytest.approx(now + 11)
        state.sent.popleft()
        assert budget._chat_ready_at(waiter, now) == now
    finally:
        loop.close()


def test_a_chat_waits_for_the_answer_and_the_interval() -> None:
    budget = FloodBudget(rate=0, per_chat_interval=1.0, group_per_minute=0)
    now = time.monotonic()
    budget._chats[5] = _ChatState(in_flight=1)
    loop = asyncio.new_event_loop()
    try:
        waiter = _Waiter(2, 0, 5, False, loop.create_future())
        assert budget._chat_ready_at(waiter, now) == float("inf")
        budget._release(5)
        assert budget._chat_ready_at(waiter, now) >= now + 1.0
    finally:
        loop.close()
