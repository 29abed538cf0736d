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
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from bot.app import SANDBOX_TOKEN, build_application
from bot.domain.articles import ArticleError
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from bot.runtime.lifecycle import running
from bot.runtime.ops import running_as
from bot.runtime.types import BotApp
from ingest.pipeline import ingest
from sandbox.localapi import Call, LocalBotApi
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
_INDENT = "      "


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


# --- Showing messages -----------------------------------------------------------------------

_PLAIN_MARKS = {
    "bold": ("**", "**"),
    "italic": ("_", "_"),
    "underline": ("__", "__"),
    "strikethrough": ("~~", "~~"),
    "spoiler": ("||", "||"),
    "code": ("`", "`"),
    "pre": ("```\n", "\n```"),
}
_ANSI_MARKS = {
    "bold": ("\x1b[1m", "\x1b[22m"),
    "italic": ("\x1b[3m", "\x1b[23m"),
    "underline": ("\x1b[4m", "\x1b[24m"),
    "strikethrough": ("\x1b[9m", "\x1b[29m"),
    "spoiler": ("\x1b[2m", "\x1b[22m"),
    "code": ("\x1b[2m`", "`\x1b[22m"),
    "pre": ("\x1b[2m", "\x1b[22m"),
    "hashtag": ("\x1b[36m", "\x1b[39m"),
    "bot_command": ("\x1b[36m", "\x1b[39m"),
    "url": ("\x1b[4;36m", "\x1b[24;39m"),
    "mention": ("\x1b[36m", "\x1b[39m"),
    "text_link": ("\x1b[4;36m", "\x1b[24;39m"),
}


def _code_point_offsets(text: str) -> list[int]:
    """Map each UTF-16 offset (Telegram's unit) to a code point index."""
    offsets = []
    for index, ch in enumerate(text):
        offsets.append(index)
        if ord(ch) > 0xFFFF:
            offsets.append(index)
    offsets.append(len(text))
    return offsets


def format_text(text: str, entities: list[dict[str, Any]], *, ansi: bool) -> str:
    """Return a message's text with its formatting shown: **bold**, _italic_, links' URLs."""
    marks = _ANSI_MARKS if ansi else _PLAIN_MARKS
    offsets = _code_point_offsets(text)
    inserts: list[tuple[int, int, int, str]] = []
    for entity in entities:
        kind = entity.get("type", "")
        start16, length16 = int(entity["offset"]), int(entity["length"])
        start = offsets[min(start16, len(offsets) - 1)]
        end = offsets[min(start16 + length16, len(offsets) - 1)]
        opening, closing = marks.get(kind, ("", ""))
        if kind == "text_link":
            closing += f" ({entity.get('url', '')})"
        if opening:
            # Openings of outer entities first, closings of inner entities first.
            inserts.append((start, 1, -end, opening))
        if closing:
            inserts.append((end, 0, -start, closing))
    inserts.sort(key=lambda item: item[:3])
    pieces: list[str] = []
    position = 0
    for index, _, _, mark in inserts:
        pieces.append(text[position:index])
        pieces.append(mark)
        position = index
    pieces.append(text[position:])
    return "".join(pieces)


@dataclass(frozen=True, slots=True)
class NumberedButton:
    """A button printed as `[n]`, and where to press it."""

    chat_id: int
    message_id: int
    data: str


class Transcript:
    """Prints what the bot does in the person's chat, numbering buttons as it goes."""

    def __init__(self, api: LocalBotApi, out: TextIO, *, ansi: bool) -> None:
        self._api = api
        self._out = out
        self._ansi = ansi
        self._seen = len(api.calls)
        # Whether the prompt is the last thing on the screen, waiting for the person's line.
        self._prompting = False
        # Numbers grow through the session, so a number printed once keeps meaning the same
        # button, whichever message was printed last.
        self.buttons: dict[int, NumberedButton] = {}

    def write(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    def prompt(self) -> None:
        print("you › ", end="", file=self._out, flush=True)
        self._prompting = True

    def answered(self) -> None:
        """The person ended their line: the prompt is no longer the last thing shown."""
        self._prompting = False

    async def watch(self) -> None:
        """Print what the bot sends the moment it sends it, typed for or not (alerts,
        digests), until cancelled."""
        while True:
            try:
                await self._api.wait_for(lambda api: len(api.calls) > self._seen, timeout=3600)
            except TimeoutError:
                continue
            self.show_new_calls()

    def show_new_calls(self) -> None:
        """Print every message, edit and notice since the last call shown; a prompt waiting
        for the person's line is cleared first and shown again after."""
        calls = self._api.calls[self._seen :]
        self._seen += len(calls)
        if not any(_shown(call) for call in calls):
            return
        prompting = self._prompting
        if prompting:
            # Back to the start of the prompt's line and clear it (a new line without ANSI):
            # what the bot sent goes above, then the prompt comes back.
            print(
                "\r\x1b[K" if self._ansi else "",
                end="" if self._ansi else "\n",
                file=self._out,
                flush=True,
            )
            self._prompting = False
        self._show(calls)
        if prompting:
            self.prompt()

    def _show(self, calls: list[Call]) -> None:
        for call in calls:
            if not call.ok:
                if call.method != "getUpdates":
                    self.write(f"⚠️  the Bot API refused {call.method}: {call.description}")
                continue
            if call.method == "sendMessage":
                self._show_message(call.result, "bot ›")
            elif call.method in ("editMessageText", "editMessageReplyMarkup") and isinstance(
                call.result, dict
            ):
                self._show_message(call.result, "bot (edited) ›")
            elif call.method == "answerCallbackQuery" and call.params.get("text"):
                kind = "alert" if call.params.get("show_alert") in (True, "true") else "notice"
                self.write(f"bot ({kind}) › {call.params['text']}")
                self.write()
            elif call.method == "deleteMessage":
                self.write(f"bot › (deleted message {call.params.get('message_id')})")
                self.write()

    def _show_message(self, message: dict[str, Any], who: str) -> None:
        text = format_text(message.get("text", ""), message.get("entities", []), ansi=self._ansi)
        lines = text.split("\n")
        self.write(f"{who} {lines[0]}")
        for line in lines[1:]:
            self.write(f"{_INDENT}{line}" if line else "")
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for row in rows:
            labels = []
            for button in row:
                number = len(self.buttons) + 1
                if "callback_data" in button:
                    self.buttons[number] = NumberedButton(
                        message["chat"]["id"], message["message_id"], button["callback_data"]
                    )
                    labels.append(f"[{number}] {button['text']}")
                else:
                    labels.append(f"[{button['text']}]")
            self.write(_INDENT + "   ".join(labels))
        self.write()


def _shown(call: Call) -> bool:
    """Whether the transcript prints something for this call."""
    if not call.ok:
        return call.method != "getUpdates"
    if call.method == "answerCallbackQuery":
        return bool(call.params.get("text"))
    return call.method in _SHOWN_METHODS


_SHOWN_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage"}
)


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
