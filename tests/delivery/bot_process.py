"""The bot in a process of its own, for the kill -9 test.

`run_bot(env)` is the real bot (build_application, long polling, the scheduler's tick),
configured from the environment like `digestbot run`. The test starts it through a
multiprocessing fork server that has imported the bot once, so each of its many starts takes
about a second instead of a full interpreter start of several."""

from __future__ import annotations

import faulthandler
import logging
import os
import signal

from bot.app import build_application
from bot.cli import load_settings, utc_now
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from storage.database import Database


def warm_up() -> None:
    """Build (and drop) an application once, so that the modules python-telegram-bot,
    APScheduler and SQLAlchemy import on first use are loaded before the fork server forks."""
    settings = Settings(
        _env_file=None,
        bot_token="123456789:warm-up-token-for-the-fork-server-000000",
        database_url="sqlite+aiosqlite:///:memory:",
    )
    build_application(Deps(settings=settings, db=Database(settings.database_url), clock=utc_now))
    import aiosqlite  # noqa: F401
    import alembic.runtime.migration  # noqa: F401
    import asyncpg  # type: ignore[import-untyped]  # noqa: F401
    import sqlalchemy.dialects.postgresql.asyncpg
    import sqlalchemy.dialects.sqlite.aiosqlite  # noqa: F401


def run_bot(env: dict[str, str]) -> None:
    """Run the bot with `env` added to the environment, until SIGTERM (or SIGKILL)."""
    os.environ.update(env)
    # `kill -USR1 <pid>` prints where every thread is, should a run ever hang.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level_number)
    app = build_application(
        Deps(settings=settings, db=Database(settings.database_url), clock=utc_now)
    )
    app.run_polling(poll_interval=0.0, timeout=5)
