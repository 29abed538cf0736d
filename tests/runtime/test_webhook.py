"""`digestbot run --webhook`: the secret on every request, each update handled once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import telegram
from sqlalchemy import update as sa_update
from telegram import Update

from bot.runtime import metrics
from bot.runtime.webhook import SECRET_HEADER
from sandbox.localapi import LocalBotApi
from storage.models import ProcessedUpdateRow
from storage.updates import UPDATE_LEASE, Claim
from tests.conftest import FIXED_NOW
from tests.runtime.conftest import ADMIN, SECRET, TOKEN, Hook, webhook_bot

PATH = "/telegram/updates"


@pytest.fixture
async def hook(db_url: str, api: LocalBotApi) -> AsyncIterator[Hook]:
    async with webhook_bot(db_url, api, PATH) as running:
        yield running


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_webhook_is_registered_with_the_secret_on_start(hook: Hook) -> None:
    (call,) = hook.api.calls_to("setWebhook")
    assert call.params["url"] == hook.url
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == list(Update.ALL_TYPES)
    assert not call.params.get("drop_pending_updates")
    async with telegram.Bot(TOKEN, base_url=hook.api.base_url) as bot:
        info = await bot.get_webhook_info()
    assert info.url == hook.url
    assert info.allowed_updates == tuple(Update.ALL_TYPES)
    # Telegram itself now delivers with the secret: the update gets its answer.
    hook.api.send_text(ADMIN, "/help")
    await hook.api.wait_for(lambda api: api.counters["webhook.delivered"] == 1)
    assert len(hook.replies(ADMIN)) == 1
    assert hook.api.counters["webhook.failed"] == 0


async def test_an_update_delivered_twice_is_handled_once(hook: Hook) -> None:
    handled = sample("digestbot_update_handling_seconds_count", kind="message")
    update = hook.api.send_text(ADMIN, "/help", deliver=False)
    assert await hook.post(update) == 200
    assert await hook.post(update) == 200
    assert len(hook.replies(ADMIN)) == 1
    # Two copies at once, as two processes behind the proxy would get them: one is handled,
    # the other is asked for again later (or, if the first was quick, answered as handled).
    again = hook.api.send_text(ADMIN, "/help", deliver=False)
    answers = await asyncio.gather(hook.post(again), hook.post(again))
    assert sorted(answers) in ([200, 200], [200, 503])
    assert await hook.post(again) == 200
    assert len(hook.replies(ADMIN)) == 2
    assert sample("digestbot_update_handling_seconds_count", kind="message") == handled + 2


async def test_an_update_whose_process_stopped_mid_way_is_handled_after_the_lease(
    hook: Hook,
) -> None:
    update = hook.api.send_text(ADMIN, "/help", deliver=False)
    # A process took it and stopped before it had handled it (it never answered Telegram).
    async with hook.db.transaction() as repos:
        taken = await repos.updates.claim(update["update_id"], FIXED_NOW - UPDATE_LEASE / 2)
    assert taken is Claim.HANDLE
    # Within its lease, a copy is asked for again later, not answered 200 and dropped.
    assert await hook.post(update) == 503
    assert hook.replies(ADMIN) == []
    async with hook.db.transaction() as repos:
        await repos.session.execute(
            sa_update(ProcessedUpdateRow).values(received_at=FIXED_NOW - UPDATE_LEASE * 2)
        )
    # After it, the next copy is handled, once.
    assert await hook.post(update) == 200
    assert await hook.post(update) == 200
    assert len(hook.replies(ADMIN)) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1]])
async def test_a_request_without_the_right_secret_is_refused_and_never_handled(
    hook: Hook, secret: str | None
) -> None:
    forbidden = sample("digestbot_webhook_requests_total", outcome="forbidden")
    update = hook.api.send_text(ADMIN, "/help", deliver=False)
    assert await hook.post(update, secret=secret) == 403
    assert hook.replies(ADMIN) == []
    assert sample("digestbot_webhook_requests_total", outcome="forbidden") == forbidden + 1
    # Not even recorded: the real delivery of the same update is still handled.
    assert await hook.post(update) == 200
    assert len(hook.replies(ADMIN)) == 1


async def test_a_body_that_is_no_update_gets_400(hook: Hook) -> None:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    for body in (b"not json", json.dumps({"message": {}}).encode(), b"[1, 2]"):
        async with hook.http.post(hook.url, data=body, headers=headers) as response:
            assert response.status == 400
    assert hook.api.calls_to("sendMessage") == []
