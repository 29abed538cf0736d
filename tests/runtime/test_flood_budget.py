"""The flood budget on its own, in front of the local Bot API: replies jump the queue, no
second holds more than the rate, and a 429 that comes anyway pauses all sending."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.runtime.flood import FloodBudget, _ChatState, _Waiter
from sandbox.localapi import LocalBotApi
from tests.driver import TOKEN

pytestmark = pytest.mark.usefixtures("ptb_timedelta")


@asynccontextmanager
async def budgeted(
    chats: Iterable[int], **limits: Any
) -> AsyncIterator[tuple[LocalBotApi, FloodBudget, ExtBot[Any]]]:
    """A bot behind a FloodBudget (no limits but `limits`), and the local Bot API with
    `chats`."""
    async with LocalBotApi(TOKEN) as api:
        for chat_id in chats:
            api.add_chat(chat_id)
        budget = FloodBudget(
            **{"rate": 0, "per_chat_interval": 0, "group_per_minute": 0, **limits}
        )
        async with ExtBot(TOKEN, base_url=api.base_url, rate_limiter=budget) as bot:
            yield api, budget, bot


async def _send(bot: ExtBot[Any], chat_id: int, priority: int | None) -> None:
    await bot.send_message(chat_id, f"to {chat_id}", rate_limit_args=priority)


async def test_interactive_replies_go_before_queued_bulk_sends() -> None:
    async with budgeted(range(1, 13), rate=20) as (api, _, bot):
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
    async with budgeted(range(1, 31), rate=rate) as (api, _, bot):
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
    async with budgeted([1, 2]) as (api, budget, bot):
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

    async with budgeted([1], max_retries=1) as (api, _, bot):
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
