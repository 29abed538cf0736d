"""`digestbot bench ...`: the benchmarks the README quotes (the bench package, not shipped)."""

from __future__ import annotations

import argparse

from bot.cli.common import count, database, positive, postgres


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `bench` and its benchmarks."""
    bench = commands.add_parser("bench", help="benchmarks (see README)")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="NAME")
    bench_ingest = bench_commands.add_parser(
        "ingest",
        help="ingest rate against a plain executemany load",
        description="Generate N synthetic article files, ingest them into a fresh SQLite "
        "database, and compare with a plain load of the same files into one table.",
    )
    bench_ingest.add_argument("--count", type=positive, default=10_000, metavar="N")
    bench_ingest.add_argument("--keep", action="store_true", help="keep the generated files")
    bench_ingest.add_argument(
        "--rich",
        action="store_true",
        help="also ingest files with every section (entities, graph, analysis, source) of "
        "about the same size, and print their rate against the simple files'",
    )
    bench_ingest.add_argument(
        "--repeat",
        type=positive,
        default=3,
        metavar="N",
        help="load each corpus N times, taking turns, and report the median (default 3)",
    )
    bench_ingest.set_defaults(sync_handler=_bench_ingest)
    _add_plan(bench_commands)
    _add_delivery(bench_commands)
    bench_memory = bench_commands.add_parser(
        "memory",
        help="peak memory of a bot with many chats",
        description="Fill a scratch database with N chats (3 labels each, every digest due) "
        "and a day of articles, then in a fresh process plan one tick and compose one batch as "
        "`digestbot worker` does, and print that process's peak resident set size.",
    )
    bench_memory.add_argument("--chats", type=positive, default=100_000, metavar="N")
    _postgres_option(
        bench_memory,
        "use a scratch PostgreSQL database on this server too",
    )
    bench_memory.set_defaults(sync_handler=_bench_memory)
    _add_search(bench_commands)
    _add_interactive(bench_commands)


def _add_plan(bench_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench_plan = bench_commands.add_parser(
        "plan",
        help="digest planning time for many chats (who gets which articles)",
        description="Fill a scratch database with chats following labels and new articles, "
        "make every chat's digest due, and time what one scheduler tick does to plan them: a "
        "ledger row and the next slot of every chat, and the articles of every digest, "
        "committed; each part's time is printed too. Runs on SQLite, and on PostgreSQL with "
        "--postgres.",
    )
    bench_plan.add_argument("--chats", type=positive, default=100_000, metavar="N")
    bench_plan.add_argument("--labels-per-chat", type=positive, default=5, metavar="N")
    bench_plan.add_argument("--articles", type=positive, default=2_000, metavar="N")
    bench_plan.add_argument("--labels-per-article", type=positive, default=5, metavar="N")
    bench_plan.add_argument(
        "--labels-in-use",
        type=positive,
        nargs="+",
        default=[20_000, 5_000],
        metavar="N",
        help="how many distinct labels chats and articles draw from; fewer means more "
        "matches (default: 20000 5000, to show the time follows the matches)",
    )
    _postgres_option(
        bench_plan,
        "a PostgreSQL server (postgresql+asyncpg://user@host/db) to run on as well; a "
        "scratch database is created there and dropped afterwards",
    )
    bench_plan.set_defaults(sync_handler=_bench_plan)


def _add_delivery(bench_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench_delivery = bench_commands.add_parser(
        "delivery",
        help="messages/s through the digest pipeline against the local Bot API",
        description="Start the local Bot API in its own process; send one digest to each of "
        "N chats with a plain loop of bot.send_message, then through the whole pipeline (plan, "
        "compose, send, record) with no flood budget; then through the pipeline with the budget "
        "at R messages/s against the local Bot API's flood limits, counting 429 answers.",
    )
    bench_delivery.add_argument("--chats", type=positive, default=2_000, metavar="N")
    bench_delivery.add_argument(
        "--rate", type=positive, default=25, metavar="R", help="the budget in messages/s"
    )
    bench_delivery.add_argument(
        "--rate-chats", type=positive, metavar="N", help="chats for the budget run (20 R)"
    )
    _postgres_option(
        bench_delivery,
        "use a scratch PostgreSQL database on this server",
    )
    bench_delivery.set_defaults(sync_handler=_bench_delivery)


def _add_search(bench_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench_search = bench_commands.add_parser(
        "search",
        help="/topic query latency at scale against a LIKE scan",
        description="Fill a database with N synthetic articles (once: the SQLite file is "
        "cached in the temp directory, a PostgreSQL database keeps its load), then print the "
        "median and 95th percentile latency of /topic's query for a popular label, rare labels "
        "and free text, beside the same query done as a plain LIKE scan.",
    )
    bench_search.add_argument("--count", type=positive, default=1_000_000, metavar="N")
    bench_search.add_argument(
        "--database",
        type=database,
        metavar="URL",
        help="sqlite+aiosqlite:///PATH or postgresql+asyncpg://... (a database of its own; "
        "created if missing); default: the cached SQLite file",
    )
    bench_search.add_argument(
        "--repeat", type=positive, default=200, metavar="N", help="indexed runs per query kind"
    )
    bench_search.add_argument(
        "--scan-repeat", type=positive, default=5, metavar="N", help="scan runs per query kind"
    )
    bench_search.set_defaults(sync_handler=_bench_search)


def _bench_ingest(args: argparse.Namespace) -> int:
    from bench.ingest import ingest_benchmark  # noqa: PLC0415 - keep `--help` fast

    return ingest_benchmark(args.count, keep=args.keep, rich=args.rich, repeat=args.repeat)


def _bench_plan(args: argparse.Namespace) -> int:
    from bench.delivery import plan_benchmark  # noqa: PLC0415 - keep `--help` fast

    return plan_benchmark(
        chats=args.chats,
        labels_per_chat=args.labels_per_chat,
        articles=args.articles,
        labels_per_article=args.labels_per_article,
        vocabularies=args.labels_in_use,
        postgres_url=args.postgres,
    )


def _bench_memory(args: argparse.Namespace) -> int:
    from bench.memory import memory_benchmark  # noqa: PLC0415 - keep `--help` fast

    return memory_benchmark(args.chats, args.postgres)


def _bench_delivery(args: argparse.Namespace) -> int:
    from bench.delivery import delivery_benchmark  # noqa: PLC0415 - keep `--help` fast

    return delivery_benchmark(
        chats=args.chats, rate=args.rate, rate_chats=args.rate_chats, postgres_url=args.postgres
    )


def _bench_search(args: argparse.Namespace) -> int:
    from bench.search import search_benchmark  # noqa: PLC0415 - keep `--help` fast

    return search_benchmark(
        args.count, args.database, repeat=args.repeat, scan_repeat=args.scan_repeat
    )


def _add_interactive(
    bench_commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    interactive = bench_commands.add_parser(
        "interactive",
        help="how long people wait for /topic when many ask at once",
        description="Start the local Bot API in its own process with Telegram's flood limits "
        "and the bot long polling it; N people type /topic at the same moment, then press "
        "More. Prints per round the wait from each action to the chat's last reply message "
        "(p50, p95, max), the bound the flood budget sets, and the 429 answers.",
    )
    interactive.add_argument("--users", type=positive, default=20, metavar="N")
    interactive.add_argument(
        "--digest-chats",
        type=count,
        default=0,
        metavar="N",
        help="a digest run to N chats sends at the same time",
    )
    _postgres_option(
        interactive,
        "use a scratch PostgreSQL database on this server",
    )
    interactive.set_defaults(sync_handler=_bench_interactive)


def _bench_interactive(args: argparse.Namespace) -> int:
    from bench.interactive import interactive_benchmark  # noqa: PLC0415 - keep `--help` fast

    return interactive_benchmark(
        users=args.users, postgres_url=args.postgres, digest_chats=args.digest_chats
    )


def _postgres_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """Add the `--postgres URL` option a benchmark runs a scratch PostgreSQL database with."""
    parser.add_argument("--postgres", type=postgres, metavar="URL", help=help_text)
