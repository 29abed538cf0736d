"""The flood budget in a digest run: against the local Bot API's flood limits it never meets
a 429, and people's replies jump the queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

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
