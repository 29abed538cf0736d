"""Updates for the bot: long polling, offsets, conflicts and webhook delivery."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
import telegram
from aiohttp import web
from telegram import MessageEntity, Update
from telegram.error import Conflict
from telegram.ext import CommandHandler, ContextTypes

from sandbox.localapi import LocalBotApi
from tests.sandbox.support import ALICE


async def test_long_polling_answers_as_soon_as_a_person_writes(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    api.send_text(ALICE, "hello")
    updates = await poll
    assert time.monotonic() - started < 2
    messages = [u.message for u in updates if u.message]
    assert [m.text for m in messages] == ["hello"]
    assert messages[0].from_user is not None
    assert messages[0].from_user.first_name == "Alice"


async def test_offset_confirms_earlier_updates_and_limit_caps_the_batch(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    ids = [api.send_text(ALICE, f"m{i}")["update_id"] for i in range(3)]
    assert ids == sorted(set(ids))
    first = await bot.get_updates(limit=2)
    assert [u.update_id for u in first] == ids[:2]
    assert [u.update_id for u in await bot.get_updates()] == ids
    rest = await bot.get_updates(offset=ids[1] + 1)
    assert [u.update_id for u in rest] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert api.pending_updates == []


async def test_a_command_has_a_bot_command_entity_that_ptb_handlers_accept(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    update = Update.de_json(api.send_text(ALICE, "/topic@digestbot_test_bot Kyiv"), bot)
    assert update.message is not None
    assert update.message.entities == (
        MessageEntity(type=MessageEntity.BOT_COMMAND, offset=0, length=25),
    )

    async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Never called: only the matching is checked."""

    handler: CommandHandler[Any, None] = CommandHandler("topic", callback)
    check = handler.check_update(update)
    assert isinstance(check, tuple)
    assert check[0] == ["Kyiv"]


async def test_concurrent_get_updates_terminates_the_older_one(
    api: LocalBotApi, http: httpx.AsyncClient
) -> None:
    older = asyncio.create_task(http.post("getUpdates", data={"timeout": "5"}))
    await asyncio.sleep(0.05)
    newer = asyncio.create_task(http.post("getUpdates", data={"timeout": "5"}))
    response = await older
    assert response.status_code == 409
    assert response.json()["description"] == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    api.send_text(ALICE, "hi")
    assert (await newer).json()["result"][0]["message"]["text"] == "hi"


async def test_webhook_receives_updates_with_the_secret_header(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [1]

    async def hook(request: web.Request) -> web.Response:
        if failures:
            failures.pop()
            return web.Response(status=500)  # Telegram retries a failed delivery
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook"):
            await bot.get_updates()
        update = api.send_text(ALICE, "via webhook")
        await api.wait_for(lambda a: bool(received), timeout=3)
        assert received == [("s3cret", update)]
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert "500" in (info.last_error_message or "")
        assert await bot.delete_webhook()
        api.send_text(ALICE, "via polling")
        polled = await bot.get_updates()
        assert [u.message.text for u in polled if u.message] == ["via polling"]
    finally:
        await runner.cleanup()
