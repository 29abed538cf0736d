"""`digestbot bench memory`: the peak memory of a running bot with many chats.

A scratch database gets N chats (each following a few of the labels, its digest due) and a
day of articles; then a fresh process builds the bot as `digestbot worker` does, runs one
tick's planning (every chat's digest, with its articles) and claims and composes one batch,
and reports its peak resident set size (ru_maxrss). Filling the database happens in this
process, so its memory is not counted."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.population import Population, populate, scratch_database

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def _peak_mib() -> float:
    # Linux reports KiB, macOS bytes.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def _measure(url: str) -> tuple[float, float, int, int]:
    from bot.app import build_bot  # noqa: PLC0415
    from bot.runtime.config import Settings  # noqa: PLC0415
    from bot.runtime.deps import Deps  # noqa: PLC0415
    from storage.database import Database  # noqa: PLC0415

    settings = Settings(_env_file=None, database_url=url, default_timezone="Europe/Kyiv")
    db = Database(url)
    later = NOW + timedelta(minutes=1)
    pipeline = build_bot(Deps(settings=settings, db=db, clock=lambda: later)).pipeline
    started = time.perf_counter()
    report = await pipeline.plan()
    batch, contents = await pipeline.claim()  # what the sender does first
    elapsed = time.perf_counter() - started
    await db.dispose()
    return elapsed, _peak_mib(), report.digests, len(contents) if batch else 0


def _child(url: str, results: multiprocessing.Queue[tuple[float, float, int, int]]) -> None:
    results.put(asyncio.run(_measure(url)))


def memory_benchmark(chats: int, postgres_url: str | None, *, articles: int = 2000) -> int:
    """Print the peak RSS of a bot process planning the digests of `chats` chats."""
    population = Population(
        chats=chats, labels_per_chat=3, articles=articles, labels_per_article=2, vocabulary=500
    )
    kinds = ["sqlite"] + (["postgresql"] if postgres_url else [])
    print(
        f"cores: {os.cpu_count()}  chats: {chats:,} x 3 labels (of 500), all due; "
        f"{population.articles:,} articles of the last day"
    )
    for kind in kinds:

        async def run(kind: str = kind) -> tuple[float, float, int, int]:
            async with scratch_database(kind, postgres_url) as db:
                await populate(db, population, NOW)
                url = db.engine.url.render_as_string(hide_password=False)
                context = multiprocessing.get_context("spawn")
                results: multiprocessing.Queue[tuple[float, float, int, int]] = context.Queue()
                process = context.Process(target=_child, args=(url, results))
                process.start()
                outcome = await asyncio.to_thread(results.get)
                await asyncio.to_thread(process.join)
                return outcome

        elapsed, peak, digests, composed = asyncio.run(run())
        print(
            f"{kind:<11} peak RSS {peak:6.0f} MiB  (one tick: {digests:,} digests planned, "
            f"one batch of {composed} composed, {elapsed:.1f} s)"
        )
    return 0
