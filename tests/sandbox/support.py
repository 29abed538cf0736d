"""What the local Bot API's tests share: the token, the people in the chats, small helpers."""

from __future__ import annotations

import datetime as dtm

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter

from sandbox.localapi import LocalBotApi

TOKEN = "123456:LOCAL-TEST-TOKEN"
ALICE = 1001
GROUP = -2002


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d)] for d in data])


def retry_after_of(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


def last_error(api: LocalBotApi) -> str | None:
    """The exact description the server answered (PTB rewrites it a little)."""
    return api.calls[-1].description
