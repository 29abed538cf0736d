"""`digestbot sandbox`: the real bot, a local Bot API and a chat in the terminal.

A person types lines: commands and text go to the bot as a Telegram user would send them, a
button's number presses that button. The bot's messages print with their formatting readable
and their buttons numbered. With piped input every line is answered in turn and the
conversation printed, so the sandbox doubles as a demo and a test.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TextIO

from bot.app import SANDBOX_TOKEN, build_application
from bot.domain.articles import ArticleError
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from bot.runtime.lifecycle import running
from bot.runtime.ops import running_as
from bot.runtime.types import BotApp
from ingest.pipeline import ingest
from sandbox.localapi import LocalBotApi
from sandbox.transcript import Transcript
from storage.database import Database

DEFAULT_DB = Path("data") / "sandbox.db"
PERSON_ID = 1001
BOT_USERNAME = "digestbot_sandbox_bot"
QUIT = frozenset({"/quit", "/exit"})
# How long to wait for the bot to take an update before giving up on it. The wait ends as
# soon as the update is processed; this only bounds a bot that hangs.
SETTLE_TIMEOUT = 60.0
# Sandbox long polls are short so that stopping never waits on one.
SANDBOX_POLL_TIMEOUT = 5


def samples_dir() -> Path:
    """The project's own sample articles, shipped inside the `bot` package."""
    return Path(str(resources.files("sandbox") / "samples"))


# --- Reading lines without blocking the event loop ------------------------------------------


class LineReader:
    """Lines from a file descriptor (terminal, pipe or file), read in a daemon thread.

    `os.read` holds no Python-level lock, so a thread still waiting for input when the
    sandbox exits cannot stall interpreter shutdown the way a blocked `sys.stdin` read can."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        thread = threading.Thread(target=self._read, name="sandbox-stdin", daemon=True)
        thread.start()

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            pending += decoder.decode(chunk, final=not chunk)
            *lines, pending = pending.split("\n")
            for line in lines:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, line.rstrip("\r"))
            if not chunk:
                if pending:
                    self._loop.call_soon_threadsafe(self._queue.put_nowait, pending)
                self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
                return

    async def readline(self) -> str | None:
        """The next line without its line end, or None at the end of input."""
        return await self._queue.get()


# --- The session ------------------------------------------------------------------------------


async def settle(api: LocalBotApi, app: BotApp) -> None:
    """Wait until the bot has taken every update from the Bot API and finished handling it.

    An update leaves the Bot API's queue only when the next getUpdates confirms it, and PTB
    puts the updates it fetched into its own queue before asking again; `join()` then waits
    for that queue to be processed. No sleeping, no guessing."""
    await api.wait_for(lambda server: not server.pending_updates, timeout=SETTLE_TIMEOUT)
    await app.update_queue.join()


def _banner(api: LocalBotApi, db_path: Path, loaded: int, stored: int, *, own: bool) -> str:
    noun = "articles" if own else "sample articles"
    news = f"{loaded} {noun} loaded" if loaded else f"{noun} already loaded"
    return (
        f"Digestbot sandbox: the real bot, talking to a local Telegram Bot API at {api.url}.\n"
        f"Database: {db_path} ({news}; {stored} articles in all).\n"
        "Type a command such as /start or /topic Kyiv, or a button's number to press it.\n"
        "/quit or Ctrl-D leaves. Alerts and digests print as they come.\n"
        "More articles, while this runs, from another terminal:\n"
        f"  DATABASE_URL=sqlite:///{db_path} .venv/bin/digestbot ingest DIR\n"
    )


def _remove_database(db_path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)


async def run_sandbox(
    settings: Settings,
    *,
    db_path: Path = DEFAULT_DB,
    fresh: bool = False,
    clock: Callable[[], datetime],
    stdin_fd: int = 0,
    out: TextIO,
    interactive: bool = False,
    ansi: bool = False,
    articles: Sequence[str] = (),
) -> int:
    """Run the sandbox until the person quits or the input ends; return the exit status.

    `articles`: files or directories stored besides the samples (see `digestbot ingest`).
    Raises storage.locks.AlreadyRunning, before touching the database, if another process
    (another sandbox, say) uses it."""
    # Whatever .env says, the sandbox never talks to Telegram nor to the real database, and
    # serves no /metrics.
    database_url = f"sqlite+aiosqlite:///{db_path}"
    settings = settings.model_copy(
        update={"bot_token": None, "database_url": database_url, "metrics_listen": None}
    )
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    db = Database(database_url)
    # The lock first: --fresh must not remove the database from under another process.
    async with (
        running_as("sandbox", settings, db),
        LocalBotApi(SANDBOX_TOKEN, bot_username=BOT_USERNAME) as api,
    ):
        if fresh:
            _remove_database(db_path)
        api.add_chat(PERSON_ID, first_name="You")
        settings = settings.model_copy(update={"telegram_api_url": api.url})
        await db.upgrade()

        def refused(error: ArticleError) -> None:
            print(f"refused {error}", file=out, flush=True)

        report = await ingest(db, [str(samples_dir()), *articles], clock, on_refused=refused)
        async with db.transaction() as repos:
            stored = await repos.articles.count()
        app = build_application(Deps(settings=settings, db=db, clock=clock))
        async with running(app, poll_timeout=SANDBOX_POLL_TIMEOUT):
            transcript = Transcript(api, out, ansi=ansi)
            transcript.write(_banner(api, db_path, report.new, stored, own=bool(articles)))
            watcher = asyncio.create_task(transcript.watch(), name="sandbox-transcript")
            try:
                await _converse(
                    api, app, transcript, LineReader(stdin_fd), interactive=interactive
                )
                await settle(api, app)
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            transcript.show_new_calls()
    return 0


async def _converse(
    api: LocalBotApi,
    app: BotApp,
    transcript: Transcript,
    reader: LineReader,
    *,
    interactive: bool,
) -> None:
    while True:
        if interactive:
            transcript.prompt()
        line = await reader.readline()
        transcript.answered()
        if line is None:
            if interactive:
                transcript.write()
            return
        line = line.strip()
        if not line:
            continue
        if not interactive:
            transcript.write(f"you › {line}")
            transcript.write()
        if line.lower() in QUIT:
            return
        if line.isdigit() and transcript.buttons:
            button = transcript.buttons.get(int(line))
            if button is None:
                last = max(transcript.buttons)
                transcript.write(f"(there is no button [{line}]; the last one is [{last}])")
                transcript.write()
                continue
            try:
                api.press_button(button.chat_id, button.message_id, data=button.data)
            except (LookupError, ValueError):
                transcript.write("(that button is no longer there)")
                transcript.write()
                continue
        else:
            api.send_text(PERSON_ID, line)
        await settle(api, app)
        transcript.show_new_calls()
