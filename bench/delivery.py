"""Benchmarks of digest delivery: `digestbot bench plan` and `digestbot bench delivery`.

bench plan      how long a scheduler tick's planning takes for many chats: a ledger row and
                the next slot of every due chat, and who gets which articles, on SQLite and
                PostgreSQL.
bench delivery  messages per second through the whole pipeline (plan, compose, send, record)
                against the local Bot API: with the flood budget at R/s (goal: at least 0.95 R
                and no 429), and with no budget next to a plain loop of bot.send_message.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from bench.population import FIRST_CHAT, Population, populate, scratch_database
from bot.domain.deliveries import PlanReport
from storage.database import Database
from storage.models import DeliveryRow, DigestItemRow

if TYPE_CHECKING:
    from bot.runtime.config import Settings

BOT_TOKEN = "123456789:bench-token-for-the-local-bot-api-000000"


def bench_settings(database_url: str, **values: Any) -> Settings:
    """The bot's settings in a benchmark: Kyiv time, digests due at once (no settle time)."""
    from bot.runtime.config import Settings  # noqa: PLC0415

    return Settings(
        _env_file=None,
        bot_token=BOT_TOKEN,
        database_url=database_url,
        default_timezone="Europe/Kyiv",
        digest={"settle_seconds": 0},
        **values,
    )


_CHUNK = 5000


# --- bench plan ------------------------------------------------------------------------------


async def _plan_once(
    kind: str, postgres_url: str | None, population: Population
) -> tuple[float, PlanReport, int, int]:
    """Time one scheduler tick's planning (DeliveryPipeline.plan: one transaction, committed)
    with every chat due; return (seconds, report, digest items, digests)."""
    from bot.app import build_bot  # noqa: PLC0415
    from bot.runtime.deps import Deps  # noqa: PLC0415

    now = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    async with scratch_database(kind, postgres_url) as db:
        await populate(db, population, now)
        settings = bench_settings(db.url)
        pipeline = build_bot(Deps(settings=settings, db=db, clock=lambda: now)).pipeline
        started = time.perf_counter()
        report = await pipeline.plan()
        elapsed = time.perf_counter() - started
        async with db.transaction() as repos:
            matches = int(
                await repos.session.scalar(select(func.count()).select_from(DigestItemRow)) or 0
            )
            planned = int(
                await repos.session.scalar(select(func.count()).select_from(DeliveryRow)) or 0
            )
    return elapsed, report, matches, planned


def plan_benchmark(
    *,
    chats: int,
    labels_per_chat: int,
    articles: int,
    labels_per_article: int,
    vocabularies: list[int],
    postgres_url: str | None,
) -> int:
    """Print the planning time on SQLite (and PostgreSQL) for each vocabulary size."""
    kinds = ["sqlite"] + (["postgresql"] if postgres_url else [])
    load_before = os.getloadavg()[0]
    print(
        f"cores: {os.cpu_count()}  chats: {chats:,} x {labels_per_chat} labels  "
        f"new articles: {articles:,} x {labels_per_article} labels\n"
        "whole pass: what a scheduler tick does to plan, in its one transaction, committed:\n"
        "  ledger   a ledger row for each due digest\n"
        "  slots    every due chat moved on to its next slot\n"
        "  matching who gets what: the join from the new articles to the due digests, stored "
        "as their items\n"
        "  rest     the planning lock, interrupted sends, finding the due chats, alerts, the "
        "commit"
    )
    for vocabulary in vocabularies:
        population = Population(chats, labels_per_chat, articles, labels_per_article, vocabulary)
        for kind in kinds:
            elapsed, report, matches, planned = asyncio.run(
                _plan_once(kind, postgres_url, population)
            )
            parts = report.recording_seconds + report.scheduling_seconds + report.matching_seconds
            print(
                f"{kind:<11} labels in use {vocabulary:>6,}  matches {matches:>9,}  "
                f"digests {planned:>7,}  whole pass {elapsed:5.2f} s  = ledger "
                f"{report.recording_seconds:4.2f} + slots {report.scheduling_seconds:4.2f} + "
                f"matching {report.matching_seconds:4.2f} + rest {elapsed - parts:4.2f}"
            )
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0


# --- bench delivery -------------------------------------------------------------------------


async def start_local_api(*options: str) -> tuple[asyncio.subprocess.Process, str]:
    """The local Bot API in a process of its own, so it does not share our event loop, with
    `python -m sandbox.localapi` options; return the process and the URL it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox.localapi",
        "--port",
        "0",
        *options,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    url = line.decode().strip()
    if not url.startswith("http"):
        raise SystemExit("the local Bot API did not start")
    return process, url


async def _control(url: str, action: str, calls: list[dict[str, Any]]) -> list[Any]:
    """Drive the local Bot API's control surface: one POST per keyword-argument dict."""
    import httpx  # noqa: PLC0415

    results = []
    async with httpx.AsyncClient(timeout=120) as client:
        for kwargs in calls:
            response = await client.post(f"{url}/_local/{action}", json=kwargs)
            response.raise_for_status()
            results.append(response.json()["result"])
    return results


# About the size and markup of a digest the pipeline sends (six articles).
SAMPLE = "<b>📰 Your digest: 6 new articles since Mon 23 Nov, 08:00</b>\n\n" + "\n\n".join(
    f"<b>{n}. Article {n}: what happened</b>\nThe first takeaway of article {n}.\n"
    f"<i>#Topic_{n} · #Topic_{n + 10} · #Topic_{n + 20}</i>"
    for n in range(1, 7)
)


async def _plain_loop(url: str, chat_ids: list[int]) -> float:
    """The baseline: one bot.send_message after another, nothing else; each message like a
    digest of six articles (text, markup and a button per article)."""
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup  # noqa: PLC0415
    from telegram.constants import ParseMode  # noqa: PLC0415

    buttons = [InlineKeyboardButton(str(n), callback_data=f"dg:o:{1000 + n}") for n in range(6)]
    markup = InlineKeyboardMarkup([buttons[:5], buttons[5:]])
    async with Bot(BOT_TOKEN, base_url=f"{url}/bot") as bot:
        started = time.perf_counter()
        for chat_id in chat_ids:
            await bot.send_message(chat_id, SAMPLE, parse_mode=ParseMode.HTML, reply_markup=markup)
        return time.perf_counter() - started


async def _pipeline(
    url: str, db: Database, chats: int, flood: dict[str, float], delivery: dict[str, int]
) -> tuple[float, int, int]:
    """Plan, compose, send and record the digests of `chats` chats; return (s, sent, 429s)."""
    from bot.app import build_bot  # noqa: PLC0415
    from bot.runtime.deps import Deps  # noqa: PLC0415

    now = datetime.now(UTC)
    population = Population(chats, 3, 40, 3, 60)
    await populate(db, population, now)
    settings = bench_settings(db.url, telegram_api_url=url, flood=flood, delivery=delivery)
    built = build_bot(Deps(settings=settings, db=db, clock=lambda: now))
    app = built.app
    async with app:
        started = time.perf_counter()
        await built.pipeline.plan()
        report = await built.pipeline.drain(app.bot)
        elapsed = time.perf_counter() - started
        budget = app.bot.rate_limiter
        too_many = getattr(getattr(budget, "stats", None), "too_many_requests", 0)
    return elapsed, report.sent, too_many


async def _budgeted_pipeline(
    url: str, kind: str, postgres_url: str | None, rate: float, count: int
) -> None:
    """The pipeline under a budget of `rate` messages a second, against a flood-limited server."""
    # Telegram's limits, or proportionally more for a budget above Telegram's rate.
    limits = {
        "per_second": 30 if rate <= 25 else int(rate * 1.2) + 1,
        "per_chat_per_second": 1,
        "per_group_per_minute": 20,
    }
    await _control(url, "flood", [limits])
    await _control(url, "clear_calls", [{}])
    async with scratch_database(kind, postgres_url) as db:
        budgeted, sent, too_many = await _pipeline(
            url,
            db,
            count,
            {"rate": rate, "per_chat_interval": 1.0, "group_per_minute": 20},
            {},
        )
    (calls,) = await _control(url, "calls", [{}])
    refused = sum(1 for call in calls if call["error_code"] == 429)
    print(
        f"pipeline, budget R={rate:g}/s          {sent / budgeted:8.1f} messages/s  "
        f"= {sent / budgeted / rate:.3f} R, 429 answers: {refused} at the server, "
        f"{too_many} seen by the bot  ({sent} chats, server limit "
        f"{limits['per_second']}/s)"
    )


def delivery_benchmark(
    *, chats: int, rate: float, rate_chats: int | None, postgres_url: str | None
) -> int:
    """Print the delivery rates (see the module doc)."""

    async def run() -> None:
        server, url = await start_local_api()
        try:
            print(f"cores: {os.cpu_count()}  local Bot API: {url} (its own process)")
            count = rate_chats or int(rate * 20)
            ids = [FIRST_CHAT + n for n in range(max(chats, count))]
            await _control(url, "add_chat", [{"chat_id": chat_id} for chat_id in ids])
            kind = "postgresql" if postgres_url else "sqlite"
            plain = await _plain_loop(url, ids[:chats])
            async with scratch_database(kind, postgres_url) as db:
                unbudgeted, sent, _ = await _pipeline(
                    url,
                    db,
                    chats,
                    {"rate": 0, "per_chat_interval": 0, "group_per_minute": 0},
                    {},
                )
            print(
                f"plain loop of bot.send_message   {chats / plain:8.0f} messages/s  "
                f"({chats} chats)"
            )
            print(
                f"pipeline, no budget ({kind:<10})  {sent / unbudgeted:8.0f} messages/s  "
                f"ratio {(sent / unbudgeted) / (chats / plain):.2f}"
            )
            await _budgeted_pipeline(url, kind, postgres_url, rate, count)
        finally:
            server.terminate()
            await server.wait()

    load_before = os.getloadavg()[0]
    asyncio.run(run())
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0
