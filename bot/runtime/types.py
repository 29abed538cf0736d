"""Types the runtime, the handlers and the delivery pipeline share without importing the
composition root (bot/app.py), which imports them all."""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram.ext import Application, ContextTypes, ExtBot, JobQueue

# The Application type with python-telegram-bot's default context, as bot/app.py builds it.
BotApp: TypeAlias = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
