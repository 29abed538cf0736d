"""The `digestbot` command: one entry point, a module for each group of subcommands.

run.py: run, run --webhook, worker, sandbox, start; articles.py: ingest, search; ops.py: db
upgrade, healthcheck; bench.py: the benchmarks. Heavy modules are imported by the subcommand
that needs them, so `digestbot --help` stays fast.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from bot.cli import articles, bench, ops, run
from bot.cli.common import EXIT_USAGE, Command, load_settings, utc_now
from bot.runtime.config import CannotListen
from bot.runtime.logs import configure_logging

__all__ = ["build_parser", "load_settings", "main", "utc_now"]

# Packages the CLI runs from a source checkout only: the production image leaves them out.
SOURCE_ONLY = frozenset({"sandbox", "bench"})


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `digestbot` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="digestbot",
        description="A Telegram bot that delivers news digests. Settings come from the "
        "environment or .env (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The order of `digestbot --help`.
    run.add_commands(commands)
    articles.add_commands(commands)
    ops.add_commands(commands)
    bench.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `digestbot` command."""
    args = build_parser().parse_args(argv)
    try:
        sync_handler = getattr(args, "sync_handler", None)
        if sync_handler is not None:
            raise SystemExit(sync_handler(args))
        settings = load_settings()
        secrets = [
            s.get_secret_value() for s in (settings.bot_token, settings.webhook_secret) if s
        ]
        configure_logging(settings.log_level_number, as_json=settings.log_json, secrets=secrets)
        handler: Command = args.handler
        raise SystemExit(_run(handler(settings, args)))
    except ModuleNotFoundError as error:
        # The sandbox and the benchmarks come with a source checkout, not with the image.
        package = (error.name or "").partition(".")[0]
        if package not in SOURCE_ONLY:
            raise
        print(
            f"digestbot: `digestbot {args.command}` needs the {package}/ folder of a source "
            "checkout, which this installation does not include (see README, Quick start).",
            file=sys.stderr,
        )
        raise SystemExit(EXIT_USAGE) from None


def _run(coro: Coroutine[Any, Any, int]) -> int:
    from storage.locks import AlreadyRunning  # noqa: PLC0415 - keep `--help` fast

    try:
        return asyncio.run(coro)
    except KeyboardInterrupt:
        return 130
    except (AlreadyRunning, CannotListen) as error:
        # Another process uses the database in a way this one cannot run beside, or holds
        # the port a setting names.
        print(f"digestbot: {error}", file=sys.stderr)
        return EXIT_USAGE
