"""/metrics after a real digest run: the scheduler's job ticks, the pipeline plans, claims and
sends through the local Bot API, and every figure the run touches has moved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram import Update

from bot.app import TICK_JOB
from bot.runtime.ops import OpsServer
from tests.delivery.conftest import ALICE, BOB, MONDAY, Bot, article

SLOT = MONDAY + timedelta(hours=6)
LATE = timedelta(minutes=5)
PERSON = 1003
# Every metric bot/runtime/metrics.py defines, as /metrics names its samples' families.
OURS = {
    "digestbot_messages_sent",
    "digestbot_messages_failed",
    "digestbot_flood_pauses",
    "digestbot_flood_pause_seconds",
    "digestbot_deliveries_due",
    "digestbot_deliveries_claimed",
    "digestbot_digest_lag_seconds",
    "digestbot_update_handling_seconds",
    "digestbot_webhook_requests",
    "digestbot_ticks",
    "digestbot_tick_duration_seconds",
    "digestbot_last_tick_timestamp_seconds",
}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def overrides() -> dict[str, Any]:
    # One tick in the test (the job's first); a short lease, so that on PostgreSQL the
    # heartbeat is ready to send after a couple of seconds.
    return {"digest": {"tick_seconds": 3600}, "delivery": {"lease_seconds": 3}}


async def scrape(port: int) -> tuple[set[str], Samples]:
    """The metric families /metrics lists, and every sample's value."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    response.raise_for_status()
    families: set[str] = set()
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        families.add(family.name)
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return families, samples


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_a_digest_run_moves_every_metric_it_touches(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.chat(BOB, ["Kyiv"])
    await bot.tick()  # works out the chats' first slots
    await bot.ingest(article("The news", "Kyiv"), at=SLOT - timedelta(hours=1))
    bot.api.block(BOB, deliver=False)  # its digest fails with 403
    bot.api.fail_next("sendMessage", 429, retry_after=1, chat_id=ALICE)
    bot.api.add_chat(PERSON)
    bot.clock.set(SLOT + LATE)
    ops = OpsServer(bot.db, "127.0.0.1", 0)
    await ops.start()
    try:
        families, before = await scrape(ops.port)
        assert families >= OURS
        # The scheduler's job ticks (its next scheduled run is an hour away); a person writes
        # meanwhile.
        await bot.app.start()
        try:
            update = bot.api.send_text(PERSON, "/alerts", deliver=False)
            await bot.app.update_queue.put(Update.de_json(update, bot.app.bot))
            assert bot.app.job_queue is not None
            (tick,) = bot.app.job_queue.get_jobs_by_name(TICK_JOB)
            await tick.run(bot.app)
            await bot.api.wait_for(
                lambda api: len(bot.digests(ALICE)) == 1 and len(bot.pushed(PERSON)) == 1,
                timeout=30,
            )
        finally:
            # Stopping waits for the sender's batch to be recorded and the update handled.
            await bot.app.stop()
            await bot.pipeline.stop()
        _, after = await scrape(ops.port)
    finally:
        await ops.stop()

    assert moved(before, after, "digestbot_ticks_total") == 1
    assert moved(before, after, "digestbot_tick_duration_seconds_count") == 1
    assert after[("digestbot_last_tick_timestamp_seconds", ())] > 0
    # After the plan, both digests were due and unsent.
    assert after[("digestbot_deliveries_due", ())] == 2
    assert moved(before, after, "digestbot_deliveries_claimed_total") == 2
    assert moved(before, after, "digestbot_messages_sent_total", kind="digest") == 1
    assert moved(before, after, "digestbot_messages_failed_total", reason="failed") == 1
    assert moved(before, after, "digestbot_flood_pauses_total") == 1
    assert moved(before, after, "digestbot_flood_pause_seconds_total") == 1
    # The digest went out five minutes after its slot (the clock stands still meanwhile).
    assert moved(before, after, "digestbot_digest_lag_seconds_count") == 1
    assert moved(before, after, "digestbot_digest_lag_seconds_sum") == LATE.total_seconds()
    assert moved(before, after, "digestbot_update_handling_seconds_count", kind="message") == 1
    # Only `digestbot run --webhook` takes webhook requests: the series is there, at rest.
    assert moved(before, after, "digestbot_webhook_requests_total", outcome="handled") == 0
    assert ("digestbot_webhook_requests_total", (("outcome", "handled"),)) in after
