"""The `digestbot` command: one entry point, a subcommand for each job."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.runtime.config import CannotListen, Settings, database_url, describe_error
from bot.runtime.logs import configure_logging

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def load_settings() -> Settings:
    """Read the settings; a bad value ends the program with one clear line and status 2."""
    try:
        return Settings()
    except ValidationError as error:
        print(describe_error(error), file=sys.stderr)
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


# --- ingest, search, db ------------------------------------------------------------------------


async def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm  # noqa: PLC0415 - keep `--help` fast

    from bot.domain.articles import ArticleError  # noqa: PLC0415
    from ingest.pipeline import ingest  # noqa: PLC0415
    from storage.database import Database  # noqa: PLC0415

    def refused(error: ArticleError) -> None:
        tqdm.write(f"refused {error}", file=sys.stderr)

    db = Database(settings.database_url)
    try:
        await db.upgrade()
        report = await ingest(
            db,
            args.paths,
            utc_now,
            on_refused=refused,
            progress=sys.stderr.isatty(),
            parsers=args.parsers,
        )
    finally:
        await db.dispose()
    print(report.summary())
    return EXIT_REFUSED if report.refused else EXIT_OK


async def _search(settings: Settings, args: argparse.Namespace) -> int:
    from storage.database import Database  # noqa: PLC0415

    db = Database(settings.database_url)
    try:
        await db.upgrade()
        async with db.read() as repos:
            found = await repos.articles.find(args.query, limit=args.limit)
    finally:
        await db.dispose()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": stored.id,
                        "title": stored.article.title,
                        "tags": list(stored.article.tags),
                        "themes": list(stored.article.themes),
                        "takeaways": list(stored.article.takeaways),
                        "url": stored.article.url,
                        "published_at": stored.published_at.isoformat(),
                    }
                    for stored in found
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    if not found:
        print(f"No articles for {args.query!r}.")
    for stored in found:
        tags = " ".join(f"#{tag}" for tag in stored.article.tags)
        print(f"{stored.id:>7}  {stored.published_at:%Y-%m-%d %H:%M}  {stored.article.title}")
        if tags:
            print(f"         {tags}")
    return EXIT_OK


async def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    from storage.database import Database  # noqa: PLC0415

    db = Database(settings.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    print("The database schema is up to date.")
    return EXIT_OK


# --- run, sandbox, start -----------------------------------------------------------------------

NO_TOKEN_HELP = """\
BOT_TOKEN is not set, so there is no Telegram bot to run.

To get a token:
  1. In Telegram, open a chat with @BotFather and send /newbot.
  2. Choose a display name, then a username that ends in "bot".
     BotFather answers with a token such as 123456789:AAH...
  3. Put it in a file named .env in this directory (or export it in your shell):
       BOT_TOKEN=123456789:AAH...
  4. Run `digestbot run` (or `make run`) again.

To try the bot without a token, run `digestbot sandbox`: it starts a local Telegram Bot API
and lets you chat with the bot in this terminal."""


async def _run_bot(settings: Settings, _args: argparse.Namespace) -> int:
    if settings.bot_token is None:
        print(NO_TOKEN_HELP, file=sys.stderr)
        return EXIT_USAGE
    from telegram.error import InvalidToken, NetworkError  # noqa: PLC0415 - keep `--help` fast

    from bot.app import build_application  # noqa: PLC0415
    from bot.runtime.deps import Deps  # noqa: PLC0415
    from bot.runtime.ops import running_as  # noqa: PLC0415
    from bot.runtime.runner import run_until_signalled  # noqa: PLC0415
    from storage.database import Database  # noqa: PLC0415

    deps = Deps(settings=settings, db=Database(settings.database_url), clock=utc_now)
    app = build_application(deps)
    try:
        # One poller per database (a second one exits with status 2), /healthz and /metrics.
        async with running_as("polling", settings, deps.db):
            await run_until_signalled(app)
    except InvalidToken:
        print(
            f"{settings.telegram_api_url} refused BOT_TOKEN: check it with @BotFather "
            "(/mybots, API Token).",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    except NetworkError as error:
        print(f"Cannot reach {settings.telegram_api_url}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK


async def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from sandbox.terminal import DEFAULT_DB, run_sandbox  # noqa: PLC0415 - keep `--help` fast

    interactive = sys.stdin.isatty()
    return await run_sandbox(
        settings,
        db_path=Path(getattr(args, "db", None) or DEFAULT_DB),
        fresh=bool(getattr(args, "fresh", False)),
        clock=utc_now,
        stdin_fd=sys.stdin.fileno(),
        out=sys.stdout,
        interactive=interactive,
        ansi=sys.stdout.isatty() and not os.environ.get("NO_COLOR"),
    )


async def _start(settings: Settings, args: argparse.Namespace) -> int:
    if settings.bot_token is None:
        print("BOT_TOKEN is not set: starting the local sandbox (`digestbot run` explains how")
        print("to get a token for the real bot).\n")
        return await _sandbox(settings, args)
    return await _run_bot(settings, args)


async def _run_webhook(settings: Settings, _args: argparse.Namespace) -> int:
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
    from telegram.error import InvalidToken, NetworkError  # noqa: PLC0415 - keep `--help` fast

    from bot.app import build_application  # noqa: PLC0415
    from bot.runtime.deps import Deps  # noqa: PLC0415
    from bot.runtime.ops import running_as  # noqa: PLC0415
    from bot.runtime.webhook import serving_webhook, wait_for_signal  # noqa: PLC0415
    from storage.database import Database  # noqa: PLC0415

    db = Database(settings.database_url)
    deps = Deps(settings=settings, db=db, clock=utc_now)
    try:
        async with (
            running_as("webhook", settings, db),
            serving_webhook(build_application(deps), deps),
        ):
            await wait_for_signal()
    except InvalidToken:
        print(f"{settings.telegram_api_url} refused BOT_TOKEN.", file=sys.stderr)
        return EXIT_REFUSED
    except NetworkError as error:
        print(f"Cannot reach {settings.telegram_api_url}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        await db.dispose()
    return EXIT_OK


async def _worker(settings: Settings, _args: argparse.Namespace) -> int:
    if settings.bot_token is None:
        print("digestbot worker needs BOT_TOKEN: it sends the bot's digests.", file=sys.stderr)
        return EXIT_USAGE
    from telegram.error import InvalidToken, NetworkError  # noqa: PLC0415 - keep `--help` fast

    from bot.runtime.worker import run_worker  # noqa: PLC0415

    try:
        await run_worker(settings, utc_now)
    except InvalidToken:
        print(f"{settings.telegram_api_url} refused BOT_TOKEN.", file=sys.stderr)
        return EXIT_REFUSED
    except NetworkError as error:
        print(f"Cannot reach {settings.telegram_api_url}: {error}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK


async def _run_mode(settings: Settings, args: argparse.Namespace) -> int:
    if getattr(args, "webhook", False):
        return await _run_webhook(settings, args)
    return await _run_bot(settings, args)


def _healthcheck(_args: argparse.Namespace) -> int:
    from bot.runtime.healthcheck import check_health  # noqa: PLC0415

    try:
        listen = Settings().metrics_listen
    except ValidationError as error:
        print(describe_error(error).replace("\n", "; "))
        return EXIT_REFUSED
    if listen is None:
        print("METRICS_LISTEN is not set, so there is no /healthz to ask")
        return EXIT_REFUSED
    healthy, line = check_health(listen)
    print(line)
    return EXIT_OK if healthy else EXIT_REFUSED


def _bench_ingest(args: argparse.Namespace) -> int:
    from bench.ingest import ingest_benchmark  # noqa: PLC0415

    return ingest_benchmark(args.count, keep=args.keep)


def _bench_plan(args: argparse.Namespace) -> int:
    from bench.delivery import plan_benchmark  # noqa: PLC0415

    return plan_benchmark(
        chats=args.chats,
        labels_per_chat=args.labels_per_chat,
        articles=args.articles,
        labels_per_article=args.labels_per_article,
        vocabularies=args.labels_in_use,
        postgres_url=args.postgres,
    )


def _bench_memory(args: argparse.Namespace) -> int:
    from bench.memory import memory_benchmark  # noqa: PLC0415

    return memory_benchmark(args.chats, args.postgres)


def _bench_delivery(args: argparse.Namespace) -> int:
    from bench.delivery import delivery_benchmark  # noqa: PLC0415

    return delivery_benchmark(
        chats=args.chats, rate=args.rate, rate_chats=args.rate_chats, postgres_url=args.postgres
    )


def _bench_search(args: argparse.Namespace) -> int:
    from bench.search import search_benchmark  # noqa: PLC0415

    return search_benchmark(
        args.count, args.database, repeat=args.repeat, scan_repeat=args.scan_repeat
    )


# --- parser ------------------------------------------------------------------------------------

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `digestbot` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="digestbot",
        description="A Telegram bot that delivers news digests. Settings come from the "
        "environment or .env (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    run.set_defaults(handler=_run_mode)

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
    sandbox.set_defaults(handler=_sandbox)

    start = commands.add_parser(
        "start",
        help="what `make run` does: the bot when BOT_TOKEN is set, else the local sandbox",
    )
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

    ingest = commands.add_parser(
        "ingest",
        help="store article files",
        description="Store article files: files, directories (recursively, *.txt and *.jsonl) "
        "or - for standard input. Exit status 0 when all were accepted, 1 when any was refused.",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument(
        "--parsers",
        type=_count,
        metavar="N",
        help="processes that read and parse the files of a large batch beside the one that "
        "writes (default: one per core beyond the first, at most 4); 0 parses in the writing "
        "process",
    )
    ingest.set_defaults(handler=_ingest)

    search = commands.add_parser(
        "search",
        help="newest articles with a hashtag or theme, or free-text search",
        description="Print the newest articles carrying a hashtag or theme. The label is "
        "folded: 'peace-talks', '#Peace_talks' and 'PEACE TALKS' are the same. Text that names "
        "no label is searched for in titles, takeaways and retellings: every word must match, "
        "in any case; quotes, operators and punctuation are ignored.",
    )
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--limit", type=_positive, default=10, metavar="N")
    search.add_argument("--json", action="store_true", help="print a JSON list")
    search.set_defaults(handler=_search)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser(
        "upgrade", help="migrate the schema to the newest version (the bot also does on start)"
    )
    upgrade.set_defaults(handler=_db_upgrade)

    healthcheck = commands.add_parser(
        "healthcheck",
        help="ask /healthz on METRICS_LISTEN (the Docker HEALTHCHECK)",
        description="Exit with status 0 if the process serving METRICS_LISTEN reports itself "
        "healthy, else 1; print one line saying why.",
    )
    healthcheck.set_defaults(sync_handler=_healthcheck)

    bench = commands.add_parser("bench", help="benchmarks (see README)")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="NAME")
    bench_ingest = bench_commands.add_parser(
        "ingest",
        help="ingest rate against a plain executemany load",
        description="Generate N synthetic article files, ingest them into a fresh SQLite "
        "database, and compare with a plain load of the same files into one table.",
    )
    bench_ingest.add_argument("--count", type=_positive, default=10_000, metavar="N")
    bench_ingest.add_argument("--keep", action="store_true", help="keep the generated files")
    bench_ingest.set_defaults(sync_handler=_bench_ingest)
    bench_plan = bench_commands.add_parser(
        "plan",
        help="digest planning time for many chats (who gets which articles)",
        description="Fill a scratch database with chats following labels and new articles, "
        "make every chat's digest due, and time what one scheduler tick does to plan them: a "
        "ledger row and the next slot of every chat, and the articles of every digest, "
        "committed; each part's time is printed too. Runs on SQLite, and on PostgreSQL with "
        "--postgres.",
    )
    bench_plan.add_argument("--chats", type=_positive, default=100_000, metavar="N")
    bench_plan.add_argument("--labels-per-chat", type=_positive, default=5, metavar="N")
    bench_plan.add_argument("--articles", type=_positive, default=2_000, metavar="N")
    bench_plan.add_argument("--labels-per-article", type=_positive, default=5, metavar="N")
    bench_plan.add_argument(
        "--labels-in-use",
        type=_positive,
        nargs="+",
        default=[20_000, 5_000],
        metavar="N",
        help="how many distinct labels chats and articles draw from; fewer means more "
        "matches (default: 20000 5000, to show the time follows the matches)",
    )
    bench_plan.add_argument(
        "--postgres",
        type=_postgres,
        metavar="URL",
        help="a PostgreSQL server (postgresql+asyncpg://user@host/db) to run on as well; a "
        "scratch database is created there and dropped afterwards",
    )
    bench_plan.set_defaults(sync_handler=_bench_plan)
    bench_delivery = bench_commands.add_parser(
        "delivery",
        help="messages/s through the digest pipeline against the local Bot API",
        description="Start the local Bot API in its own process; send one digest to each of "
        "N chats with a plain loop of bot.send_message, then through the whole pipeline (plan, "
        "compose, send, record) with no flood budget; then through the pipeline with the budget "
        "at R messages/s against the local Bot API's flood limits, counting 429 answers.",
    )
    bench_delivery.add_argument("--chats", type=_positive, default=2_000, metavar="N")
    bench_delivery.add_argument(
        "--rate", type=_positive, default=25, metavar="R", help="the budget in messages/s"
    )
    bench_delivery.add_argument(
        "--rate-chats", type=_positive, metavar="N", help="chats for the budget run (20 R)"
    )
    bench_delivery.add_argument(
        "--postgres",
        type=_postgres,
        metavar="URL",
        help="use a scratch PostgreSQL database on this server",
    )
    bench_delivery.set_defaults(sync_handler=_bench_delivery)
    bench_memory = bench_commands.add_parser(
        "memory",
        help="peak memory of a bot with many chats",
        description="Fill a scratch database with N chats (3 labels each, every digest due) "
        "and a day of articles, then in a fresh process plan one tick and compose one batch as "
        "`digestbot worker` does, and print that process's peak resident set size.",
    )
    bench_memory.add_argument("--chats", type=_positive, default=100_000, metavar="N")
    bench_memory.add_argument(
        "--postgres",
        type=_postgres,
        metavar="URL",
        help="use a scratch PostgreSQL database on this server too",
    )
    bench_memory.set_defaults(sync_handler=_bench_memory)
    bench_search = bench_commands.add_parser(
        "search",
        help="/topic query latency at scale against a LIKE scan",
        description="Fill a database with N synthetic articles (once: the SQLite file is "
        "cached in the temp directory, a PostgreSQL database keeps its load), then print the "
        "median and 95th percentile latency of /topic's query for a popular label, rare labels "
        "and free text, beside the same query done as a plain LIKE scan.",
    )
    bench_search.add_argument("--count", type=_positive, default=1_000_000, metavar="N")
    bench_search.add_argument(
        "--database",
        type=_database,
        metavar="URL",
        help="sqlite+aiosqlite:///PATH or postgresql+asyncpg://... (a database of its own; "
        "created if missing); default: the cached SQLite file",
    )
    bench_search.add_argument(
        "--repeat", type=_positive, default=200, metavar="N", help="indexed runs per query kind"
    )
    bench_search.add_argument(
        "--scan-repeat", type=_positive, default=5, metavar="N", help="scan runs per query kind"
    )
    bench_search.set_defaults(sync_handler=_bench_search)
    _add_bench_interactive(bench_commands)
    return parser


# --- bench interactive -------------------------------------------------------------------------


def _bench_interactive(args: argparse.Namespace) -> int:
    from bench.interactive import interactive_benchmark  # noqa: PLC0415

    return interactive_benchmark(
        users=args.users, postgres_url=args.postgres, digest_chats=args.digest_chats
    )


def _add_bench_interactive(bench_commands: Any) -> None:
    interactive = bench_commands.add_parser(
        "interactive",
        help="how long people wait for /topic when many ask at once",
        description="Start the local Bot API in its own process with Telegram's flood limits "
        "and the bot long polling it; N people type /topic at the same moment, then press "
        "More. Prints per round the wait from each action to the chat's last reply message "
        "(p50, p95, max), the bound the flood budget sets, and the 429 answers.",
    )
    interactive.add_argument("--users", type=_positive, default=20, metavar="N")
    interactive.add_argument(
        "--digest-chats",
        type=_count,
        default=0,
        metavar="N",
        help="a digest run to N chats sends at the same time",
    )
    interactive.add_argument(
        "--postgres",
        type=_postgres,
        metavar="URL",
        help="use a scratch PostgreSQL database on this server",
    )
    interactive.set_defaults(sync_handler=_bench_interactive)


def _database(text: str) -> str:
    try:
        return database_url(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error} (got {text!r})") from None


def _postgres(text: str) -> str:
    try:
        url = database_url(text)
    except ValueError:
        url = ""
    if not url.startswith("postgresql+asyncpg://"):
        raise argparse.ArgumentTypeError(
            f"expected a PostgreSQL URL (postgresql://user@host/db), got {text!r}"
        )
    return url


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a number of at least {minimum}, got {value}"
            )
        return value

    return parse


_count = _whole_number(0)
_positive = _whole_number(1)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `digestbot` command."""
    args = build_parser().parse_args(argv)
    sync_handler = getattr(args, "sync_handler", None)
    if sync_handler is not None:
        raise SystemExit(sync_handler(args))
    settings = load_settings()
    secrets = [s.get_secret_value() for s in (settings.bot_token, settings.webhook_secret) if s]
    configure_logging(settings.log_level_number, as_json=settings.log_json, secrets=secrets)
    handler: Command = args.handler
    raise SystemExit(_run(handler(settings, args)))
