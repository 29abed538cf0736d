"""Flood limits and injected faults: 429s, error rates, lost answers, slow answers."""

from __future__ import annotations

import httpx
import pytest
import telegram
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from sandbox.localapi import FloodLimits, LocalBotApi
from tests.sandbox.support import ALICE, GROUP, retry_after_of


async def test_injected_429_raises_retry_after(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "x")
    assert retry_after_of(caught.value) == 7
    assert api.too_many_requests == 1
    await bot.send_message(ALICE, "x")
    api.add_chat(1002)
    api.fail_next("sendMessage", 403, chat_id=1002)
    await bot.send_message(ALICE, "other chats are not affected")
    with pytest.raises(Forbidden):
        await bot.send_message(1002, "x")


async def test_per_chat_flood_limit_answers_429(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.set_flood_limits(FloodLimits(per_chat_per_second=1))
    api.add_chat(1002)
    await bot.send_message(ALICE, "first")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "second")
    assert retry_after_of(caught.value) == 1
    await bot.send_message(1002, "another chat is fine")
    assert api.flood_rejections == 1
    assert [m.text for m in api.messages(ALICE)] == ["first"]


async def test_group_flood_limit_counts_a_minute(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.add_chat(GROUP, "group")
    api.set_flood_limits(FloodLimits(per_group_per_minute=2))
    await bot.send_message(GROUP, "1")
    await bot.send_message(GROUP, "2")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "3")
    assert 55 <= retry_after_of(caught.value) <= 60


async def test_fault_rate_fails_a_share_of_calls(
    api: LocalBotApi, http: httpx.AsyncClient
) -> None:
    api.set_fault_rate("sendMessage", 0.3, seed=1)
    codes = [
        (await http.post("sendMessage", data={"chat_id": ALICE, "text": "x"})).status_code
        for _ in range(100)
    ]
    assert 15 <= codes.count(429) <= 45
    assert set(codes) == {200, 429}


async def test_dropped_answer_raises_network_error_but_the_message_was_delivered(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    api.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE, "delivered anyway")
    assert [m.text for m in api.messages(ALICE)] == ["delivered anyway"]
    assert api.calls_to("sendMessage")[-1].dropped
    api.drop_next("sendMessage", hang=0.3)
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE, "slow answer", read_timeout=0.05)
    assert [m.text for m in api.messages(ALICE)][-1] == "slow answer"


async def test_slow_server_still_delivers_after_the_client_timed_out(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    api.set_delay("sendMessage", 0.3)
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE, "late", read_timeout=0.05)
    await api.wait_for(lambda a: bool(a.messages(ALICE)), timeout=2)
    assert [m.text for m in api.messages(ALICE)] == ["late"]


async def test_wait_for_call_times_out_with_the_recent_calls(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    await bot.send_message(ALICE, "one")
    assert len(await api.wait_for_call("sendmessage", chat_id=ALICE)) == 1
    with pytest.raises(TimeoutError, match=r"expected 2 sendMessage(?s:.*)sendMessage"):
        await api.wait_for_call("sendMessage", count=2, timeout=0.1)
