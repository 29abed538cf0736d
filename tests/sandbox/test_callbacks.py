"""Button presses: callback queries, their one answer, and buttons that do not exist."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram import Update
from telegram.error import BadRequest

from sandbox.localapi import LocalBotApi
from tests.sandbox.support import ALICE, keyboard, last_error


async def test_callback_query_can_be_answered_once(api: LocalBotApi, bot: telegram.Bot) -> None:
    sent = await bot.send_message(ALICE, "pick", reply_markup=keyboard("kyiv", "lviv"))
    update = Update.de_json(api.press_button(ALICE, sent.message_id, text="lviv"), bot)
    query = update.callback_query
    assert query is not None
    assert query.data == "lviv"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    with pytest.raises(BadRequest):
        await query.answer("x" * 201)
    assert last_error(api) == "Bad Request: MESSAGE_TOO_LONG"
    assert await query.answer("Saved")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("again")
    assert api.callback_answer(query.id) == {
        "text": "Saved",
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("123")


async def test_late_callback_answer_is_refused(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.callback_timeout = 0.05
    sent = await bot.send_message(ALICE, "pick", reply_markup=keyboard("a"))
    query_id = api.press_button(ALICE, sent.message_id, data="a")["callback_query"]["id"]
    await asyncio.sleep(0.1)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_pressing_a_missing_button_explains_what_exists(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(ALICE, "pick", reply_markup=keyboard("a"))
    with pytest.raises(LookupError, match=r"no button with data='b'.*'callback_data': 'a'"):
        api.press_button(ALICE, sent.message_id, data="b")
