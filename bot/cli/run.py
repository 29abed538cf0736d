"""`digestbot run`, `run --webhook`, `worker`, `sandbox` and `start`: the bot's processes.

Each builds the application through the composition root (bot.app) and hands it to the one
lifecycle, bot.runtime.lifecycle; here are only what each mode needs first and what its
failures look like to the person who started it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, utc_now
from bot.runtime.config import Settings

if TYPE_CHECKING:
    from bot.runtime.deps import Deps
    from bot.runtime.lifecycle import Mode
    from bot.runtime.types import BotApp

log = logging.getLogger(__name__)

NO_TOKEN_HELP = """\
BOT_TOKEN is not set, so there is no Telegram bot to run.

To get a token:
  1. In Telegram, open a chat with @BotFather and send /newbot.
  2. Choose a display name, then a username that ends in "bot".
     BotFather answers with a token such as 123456789:AAH...
  3. Put it in a file named .env in this directory (or export it in your shell):
       BOT_TOKEN=123456789:AAH...
  4. Run `digestbot run` (or `make run`) again.

To try the bot without a token, run `make sandbox` (or `.venv/bin/digestbot sandbox`): it
starts a local Telegram Bot API and lets you chat with the bot in this terminal."""


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `run`, `sandbox`, `start` and `worker`."""
    run = commands.add_parser(
        "run",
        help="run the bot (long polling against TELEGRAM_API_URL)",
        description="Run the bot with long polling against TELEGRAM_API_URL until SIGINT or "
        "SIGTERM. Upgrades the database schema and registers the command menu on start. Needs "
        "BOT_TOKEN; without it, explains how to get one and exits with status 2.",
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on WEBHOOK_LISTEN from Telegram posting to WEBHOOK_URL, instead "
        "of polling; several such processes can run side by side on PostgreSQL",
    )
    run.set_defaults(handler=_run)

    sandbox = commands.add_parser(
        "sandbox",
        help="chat with the bot in this terminal, through a local Bot API (no token needed)",
        description="Start a local Telegram Bot API, the bot and a chat in this terminal, on an "
        "SQLite database loaded with the sample articles. Type commands; type a button's "
        "number to press it; /quit or Ctrl-D leaves. Piped input is answered line by line.",
    )
    sandbox.add_argument(
        "--db",
        metavar="PATH",
        help=f"the sandbox's SQLite file (default: {Path('data') / 'sandbox.db'})",
    )
    sandbox.add_argument("--fresh", action="store_true", help="start from an empty database")
    _add_articles(sandbox)
    sandbox.set_defaults(handler=_sandbox)

    start = commands.add_parser(
        "start",
        help="what `make run` does: the bot when BOT_TOKEN is set, else the local sandbox",
    )
    _add_articles(start)
    start.set_defaults(handler=_start)

    worker = commands.add_parser(
        "worker",
        help="the digest scheduler and sender only (no updates)",
        description="Plan due digests and alerts and send them; never receives updates. "
        "Several workers (beside one `run` or any number of `run --webhook` processes) share "
        "one PostgreSQL database: each claims batches of due deliveries with a lease "
        "(DELIVERY__LEASE_SECONDS); a worker that dies has its claims taken over once the lease "
        "runs out; the flood budget FLOOD__RATE holds for the bot as a whole, shared among the "
        "live senders. On SQLite a worker is refused while another process uses the database "
        "(SQLite is the single-process embedded mode). SIGINT or SIGTERM stop it cleanly.",
    )
    worker.set_defaults(handler=_worker)


def _add_articles(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--articles",
        action="append",
        default=[],
        metavar="PATH",
        help="article files or directories (as `digestbot ingest` takes them) to store in the "
        "sandbox's database besides the samples; may be repeated. While the sandbox runs, "
        "`DATABASE_URL=sqlite:///data/sandbox.db digestbot ingest PATH` adds more",
    )


async def run_as(
    mode: Mode,
    settings: Settings,
    clock: Callable[[], datetime],
    *,
    sender_id: str | None = None,
) -> None:
    """Run the bot in `mode` until SIGINT or SIGTERM (see bot.runtime.lifecycle).

    `sender_id` names a worker in the ledger's claims and the senders table (a random one by
    default)."""
    # Imported here to keep `--help` fast.
    from bot.app import build_application  # noqa: PLC0415
    from bot.runtime.deps import Deps  # noqa: PLC0415
    from bot.runtime.lifecycle import serve_until_signalled  # noqa: PLC0415
    from storage.database import Database  # noqa: PLC0415

    deps = Deps(settings=settings, db=Database(settings.database_url), clock=clock)
    app = _worker_application(deps, sender_id) if mode == "worker" else build_application(deps)
    await serve_until_signalled(app, deps, mode)


def _worker_application(deps: Deps, sender_id: str | None) -> BotApp:
    """The application of a worker: its digest pipeline sends as a "worker" under
    `sender_id` (a random one by default) and answers no updates."""
    from bot.app import build_bot  # noqa: PLC0415 - keep `--help` fast

    bot = build_bot(deps, role="worker", sender_id=sender_id)
    log.info("Sending digests as worker %s", bot.pipeline.sender_id)
    return bot.app


async def _serve(mode: Mode, settings: Settings, *, refused: str) -> int:
    from telegram.error import InvalidToken, NetworkError  # noqa: PLC0415 - keep `--help` fast

    try:
        await run_as(mode, settings, utc_now)
    except InvalidToken:
        print(f"{settings.telegram_api_url} refused BOT_TOKEN{refused}", file=sys.stderr)
        return EXIT_REFUSED
    except NetworkError as error:
        print(f"Cannot reach {settings.telegram_api_url}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    if getattr(args, "webhook", False):
        return await _run_webhook(settings)
    return await _run_polling(settings)


async def _run_polling(settings: Settings) -> int:
    if settings.bot_token is None:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return EXIT_USAGE
    # One poller per database (a second one exits with status 2), /healthz and /metrics.
    return await _serve(
        "polling", settings, refused=": check it with @BotFather (/mybots, API Token)."
    )


async def _run_webhook(settings: Settings) -> int:
    missing = [
        name
        for name, value in (
            ("BOT_TOKEN", settings.bot_token),
            ("WEBHOOK_URL", settings.webhook_url),
            ("WEBHOOK_SECRET", settings.webhook_secret),
        )
        if value is None
    ]
    if missing:
        print(
            f"digestbot run --webhook needs {', '.join(missing)}: WEBHOOK_URL is the public "
            "https:// URL Telegram posts to, WEBHOOK_SECRET 1 to 256 characters of A-Z a-z "
            "0-9 _ - that Telegram sends back with every update.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return await _serve("webhook", settings, refused=".")


async def _worker(settings: Settings, _args: argparse.Namespace) -> int:
    if settings.bot_token is None:
        print("digestbot worker needs BOT_TOKEN: it sends the bot's digests.", file=sys.stderr)
        return EXIT_USAGE
    return await _serve("worker", settings, refused=".")


async def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from sandbox.terminal import DEFAULT_DB, run_sandbox  # noqa: PLC0415 - keep `--help` fast

    return await run_sandbox(
        settings,
        db_path=Path(getattr(args, "db", None) or DEFAULT_DB),
        fresh=bool(getattr(args, "fresh", False)),
        clock=utc_now,
        stdin_fd=sys.stdin.fileno(),
        out=sys.stdout,
        interactive=sys.stdin.isatty(),
        ansi=sys.stdout.isatty() and not os.environ.get("NO_COLOR"),
        articles=list(getattr(args, "articles", None) or ()),
    )


async def _start(settings: Settings, args: argparse.Namespace) -> int:
    if settings.bot_token is None:
        print("BOT_TOKEN is not set: starting the local sandbox (`digestbot run` explains how")
        print("to get a token for the real bot).\n")
        return await _sandbox(settings, args)
    return await _run_polling(settings)
