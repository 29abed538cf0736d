"""The bot and the `digestbot` command in processes of their own (and the command in this
one), for the tests that start, stop and kill them.

`run_bot(env)` is the real bot (long polling, the scheduler's tick) and
`run_worker(env, sender_id)` what `digestbot worker` runs, each configured from the
environment like the command. Tests start them through a multiprocessing fork server that has
imported the bot once (tests/warm_bot.py), so each of their many starts takes about a second
instead of a full interpreter start of several."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from multiprocessing.process import BaseProcess
from typing import Any

import pytest

from bot.app import build_application
from bot.cli import load_settings, main, utc_now
from bot.cli.run import run_as
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from sandbox.localapi import LocalBotApi
from storage.database import Database
from tests.driver import TOKEN


def warm_up() -> None:
    """Build (and drop) an application once, so that the modules python-telegram-bot,
    APScheduler and SQLAlchemy import on first use are loaded before the fork server forks."""
    settings = Settings(
        _env_file=None,
        bot_token=TOKEN,
        database_url="sqlite+aiosqlite:///:memory:",
    )
    build_application(Deps(settings=settings, db=Database(settings.database_url), clock=utc_now))
    import aiosqlite  # noqa: F401
    import alembic.runtime.migration  # noqa: F401
    import asyncpg  # type: ignore[import-untyped]  # noqa: F401
    import sqlalchemy.dialects.postgresql.asyncpg
    import sqlalchemy.dialects.sqlite.aiosqlite  # noqa: F401


def _configure(env: dict[str, str]) -> Settings:
    os.environ.update(env)
    # `kill -USR1 <pid>` prints where every thread is, should a run ever hang.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level_number)
    return settings


def run_bot(env: dict[str, str]) -> None:
    """Run the bot with `env` added to the environment, until SIGTERM (or SIGKILL)."""
    settings = _configure(env)
    app = build_application(
        Deps(settings=settings, db=Database(settings.database_url), clock=utc_now)
    )
    app.run_polling(poll_interval=0.0, timeout=5)


def run_worker(env: dict[str, str], sender_id: str) -> None:
    """Run `digestbot worker` as `sender_id` with `env` added to the environment."""
    settings = _configure(env)
    asyncio.run(run_as("worker", settings, utc_now, sender_id=sender_id))


def fork_server() -> multiprocessing.context.ForkServerContext:
    """A fork server with the bot imported once: each bot process starts in a blink."""
    context = multiprocessing.get_context("forkserver")
    # "__main__" too: else every child imports the main module (pytest) again.
    context.set_forkserver_preload(["__main__", "tests.warm_bot"])
    return context


@asynccontextmanager
async def local_api_with(chat_ids: Iterable[int], **options: Any) -> AsyncIterator[LocalBotApi]:
    """The local Bot API (options as LocalBotApi takes them) with the chats `chat_ids`."""
    async with LocalBotApi(TOKEN, **options) as server:
        for chat_id in chat_ids:
            server.add_chat(chat_id)
        yield server


def bot_env(api: LocalBotApi, db_url: str, **settings: str) -> dict[str, str]:
    """The environment of a bot process on `api` and `db_url` that ticks twice a second and
    sends in batches of 50; `settings` as NAME=value (FLOOD__RATE="0", ...) on top."""
    return {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.url,
        "DATABASE_URL": db_url,
        "LOG_LEVEL": "ERROR",
        "DIGEST__TICK_SECONDS": "0.5",
        "DIGEST__SETTLE_SECONDS": "0",
        "DELIVERY__BATCH": "50",
        **settings,
    }


class Deliveries:
    """Successful sendMessage calls, as the local Bot API records them: (chat, when) each."""

    def __init__(self, api: LocalBotApi) -> None:
        self.api = api
        self.seen = 0
        self.sent: list[tuple[int, float]] = []
        self.per_chat: Counter[int] = Counter()

    def total(self) -> int:
        """How many there have been so far."""
        calls = self.api.calls
        for call in calls[self.seen :]:
            if call.method == "sendMessage" and call.ok:
                chat_id = call.result["chat"]["id"]
                self.sent.append((chat_id, call.at))
                self.per_chat[chat_id] += 1
        self.seen = len(calls)
        return len(self.sent)

    def duplicates(self) -> int:
        return sum(count - 1 for count in self.per_chat.values() if count > 1)


async def wait_until(condition: Callable[[], Awaitable[bool]], within: float) -> None:
    """Return once `condition()` holds, which another process makes true (a database row,
    a process gone); TimeoutError after `within` seconds."""
    async with asyncio.timeout(within):
        # Another process changes what `condition` reads: there is no event to wait on.
        while True:
            if await condition():
                return
            await asyncio.sleep(0.05)


async def drained(db: Database, within: float = 60) -> None:
    """Return once the ledger has nothing left to send."""

    async def nothing_pending() -> bool:
        async with db.transaction() as repos:
            return await repos.ledger.pending() == 0

    await wait_until(nothing_pending, within)


async def kill(process: BaseProcess) -> float:
    """SIGKILL: the process gets no chance to clean up. Return when the signal went, on the
    clock the local Bot API stamps its calls with (time.monotonic)."""
    assert process.pid is not None
    assert process.is_alive()
    os.kill(process.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    await asyncio.to_thread(process.join)
    assert process.exitcode == -signal.SIGKILL
    return killed_at


async def stop(processes: list[BaseProcess]) -> None:
    """SIGTERM to each, and each ends cleanly."""
    for process in processes:
        assert process.pid is not None
        os.kill(process.pid, signal.SIGTERM)
    for process in processes:
        await asyncio.to_thread(process.join, 30)
        assert process.exitcode == 0


def exit_status(args: list[str]) -> int:
    """Run `digestbot args` in this process; return its exit status."""
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    code = exit_info.value.code
    assert isinstance(code, int)
    return code


@asynccontextmanager
async def child(*command: str, **options: Any) -> AsyncIterator[asyncio.subprocess.Process]:
    """`command` in a process of its own (options as asyncio.create_subprocess_exec takes
    them), killed on the way out if the block left it running."""
    process = await asyncio.create_subprocess_exec(*command, **options)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def terminate(process: asyncio.subprocess.Process) -> tuple[bytes, bytes]:
    """SIGTERM, as a service manager stops the bot; return what it printed to stdout and
    stderr (those it was given pipes for) once it has ended."""
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    return out or b"", err or b""
