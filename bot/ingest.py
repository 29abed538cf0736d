"""`digestbot ingest`: read article files, refuse bad ones with a reason, store the rest."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from tqdm import tqdm

from bot.domain.articles import Article, ArticleError
from bot.reading import expand_paths, read_articles
from storage.database import Database

# Articles per transaction: one commit per batch keeps ingest fast, and a process killed
# mid-run loses only an uncommitted batch, which the next run stores (ingest is idempotent).
BATCH_SIZE = 1000


@dataclass(slots=True)
class IngestReport:
    """What one ingest run did."""

    new: int = 0
    known: int = 0
    refused: list[str] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """Return the closing line: new, already known, refused."""
        return f"{self.new} new, {self.known} already known, {len(self.refused)} refused"


async def ingest(
    db: Database,
    paths: Iterable[str],
    now: Callable[[], datetime],
    *,
    stdin: IO[bytes] | None = None,
    on_refused: Callable[[ArticleError], None] | None = None,
    progress: bool = False,
) -> IngestReport:
    """Store every valid article under `paths`; report refusals through `on_refused`."""
    report = IngestReport()
    label_cache: dict[tuple[str, str], int] = {}
    stream = stdin if stdin is not None else sys.stdin.buffer

    async def store(articles: list[Article]) -> None:
        async with db.transaction() as repos:
            moment = now()
            outcome = await repos.articles.add_many(articles, moment, label_cache)
            # In the same transaction: the scheduler's tick turns them into alerts.
            await repos.deliveries.queue_alerts(outcome.new_ids, moment)
        report.new += len(outcome.new_ids)
        report.known += outcome.known
        report.new_ids.extend(outcome.new_ids)

    # One batch is written while the next is parsed: the database driver works in its own
    # thread. At most one batch is in flight, which keeps memory flat however many files.
    writing: asyncio.Task[None] | None = None
    batch: list[Article] = []

    async def take(items: Iterable[Article | ArticleError]) -> None:
        nonlocal writing, batch
        for item in items:
            if isinstance(item, Article):
                batch.append(item)
                continue
            report.refused.append(str(item))
            if on_refused is not None:
                on_refused(item)
        if len(batch) >= BATCH_SIZE:
            if writing is not None:
                await writing
            writing, batch = asyncio.create_task(store(batch)), []

    bar = tqdm(unit=" files", disable=not progress, file=sys.stderr, mininterval=0.5)
    try:
        for source in expand_paths(paths):
            if isinstance(source, ArticleError):
                await take([source])
            else:
                await take(read_articles(source, stream))
                # Let the writer's Python side run between files.
                await asyncio.sleep(0)
            bar.update()
        if writing is not None:
            await writing
            writing = None
        if batch:
            await store(batch)
    finally:
        bar.close()
        if writing is not None:
            writing.cancel()
    return report
