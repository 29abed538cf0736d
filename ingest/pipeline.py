"""`digestbot ingest`: read article files, refuse bad ones with a reason, store the rest.

Reading and parsing is Python work, writing is SQLite's or PostgreSQL's. For a large batch
(more than PARALLEL_FROM files) other processes read and parse while this one only writes:
in one process the writer's driver thread and the parser would take turns holding the GIL
row by row, which is slower than doing one after the other. On SQLite the parsers hand over
each job as a staging file that the writer copies in with SQL (see storage.staging); on
PostgreSQL as rows. Small batches and standard input are parsed here, between writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, count, islice
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from bot.domain.articles import Article, ArticleError
from ingest.reading import (
    Parsed,
    Source,
    expand_paths,
    parse_files,
    quiet_parser,
    read_articles,
    stage_files,
)
from storage.database import Database
from storage.rows import ArticleRows, article_rows
from storage.staging import Staged

log = logging.getLogger(__name__)

# Articles per transaction: one commit per batch keeps ingest fast, and a process killed
# mid-run loses only an uncommitted batch, which the next run stores (ingest is idempotent).
BATCH_SIZE = 2000
# From this many files on, parsing happens in other processes.
PARALLEL_FROM = 64
# Files per parse job. Jobs in flight: two batches' worth, so the parsers go on while the
# writer stores a batch, and at least a few per parser; few enough that memory stays flat
# however many files there are.
FILES_PER_JOB = 200
JOBS_PER_PARSER = 3
JOBS_AHEAD = BATCH_SIZE // FILES_PER_JOB

Items = list[ArticleRows | ArticleError | Staged]


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


# Long for a reason: `store` and the batching loop share the report and the label cache; one
# function shows the whole way from files to transactions.
async def ingest(
    db: Database,
    paths: Iterable[str],
    now: Callable[[], datetime],
    *,
    stdin: IO[bytes] | None = None,
    on_refused: Callable[[ArticleError], None] | None = None,
    progress: bool = False,
    parsers: int | None = None,
) -> IngestReport:
    """Store every valid article under `paths`; report refusals through `on_refused`.

    `parsers`: processes that parse a large batch (default: parser_count(); 0: here)."""
    if parsers is None:
        parsers = parser_count()
    report = IngestReport()
    label_cache: dict[tuple[str, str], int] = {}
    stream = stdin if stdin is not None else sys.stdin.buffer

    async def store(work: list[ArticleRows] | Staged) -> None:
        """Store a batch of rows, or a parser's staging file (see storage.staging)."""
        staged = work if isinstance(work, Staged) else None
        # Trusted: links and queue rows refer to the articles just written, and to labels,
        # which are never deleted.
        async with db.transaction(trusted=True, stage=staged and staged.path) as repos:
            # Before the stamp: /digest now ends its span at the newest committed article.
            await repos.plans.lock_for_ingest()
            moment = now()
            if isinstance(work, Staged):
                outcome = await repos.articles.add_staged(work, moment)
            else:
                outcome = await repos.articles.add_rows(work, moment, label_cache)
            # In the same transaction: the scheduler's tick turns them into alerts.
            await repos.plans.queue_alerts(outcome.new_ids, moment)
        report.new += len(outcome.new_ids)
        report.known += outcome.known
        report.new_ids.extend(outcome.new_ids)
        if staged is not None:
            with contextlib.suppress(OSError):
                os.unlink(staged.path)

    sources = expand_paths(paths)
    head = list(islice(sources, PARALLEL_FROM))
    with contextlib.ExitStack() as scratch:
        if len(head) == PARALLEL_FROM and parsers > 0:
            stage_dir = None
            if db.dialect == "sqlite":
                stage_dir = scratch.enter_context(_stage_directory())
            chunks = _parsed_elsewhere(
                head, sources, stream, db.dialect, parsers=parsers, stage_dir=stage_dir
            )
        else:
            chunks = _parsed_here(chain(head, sources), stream, db.dialect)
        batch: list[ArticleRows] = []
        with tqdm(unit=" files", disable=not progress, file=sys.stderr, mininterval=0.5) as bar:
            async for items, files in chunks:
                for item in items:
                    if isinstance(item, ArticleRows):
                        batch.append(item)
                        continue
                    if isinstance(item, Staged):
                        if batch:
                            await store(batch)
                            batch = []
                        await store(item)
                        continue
                    report.refused.append(str(item))
                    if on_refused is not None:
                        on_refused(item)
                if len(batch) >= BATCH_SIZE:
                    await store(batch)
                    batch = []
                bar.update(files)
            if batch:
                await store(batch)
    return report


async def _parsed_here(
    sources: Iterable[Source | ArticleError], stream: IO[bytes], dialect: str
) -> AsyncIterator[tuple[Items, int]]:
    for source in sources:
        yield _parsed_job([source], stream, dialect), 1


def _parsed_job(job: list[Source | ArticleError], stream: IO[bytes], dialect: str) -> Items:
    items: Items = []
    for source in job:
        if isinstance(source, ArticleError):
            items.append(source)
            continue
        for item in read_articles(source, stream):
            items.append(article_rows(dialect, item) if isinstance(item, Article) else item)
    return items


# Long for a reason: the pool, the look-ahead queue and the fallback when a parser dies share
# `pending` and `broken`; split apart, they would hand all of it back and forth.
async def _parsed_elsewhere(
    head: list[Source | ArticleError],
    rest: Iterator[Source | ArticleError],
    stream: IO[bytes],
    dialect: str,
    *,
    parsers: int,
    stage_dir: str | None,
) -> AsyncIterator[tuple[Items, int]]:
    """Parse the inputs in a pool of processes, in input order: BATCH_SIZE files a job into
    a staging file in `stage_dir` (SQLite), or FILES_PER_JOB files a job into rows.

    If the pool cannot start or a parser dies, the jobs it had are parsed here instead."""
    sources = chain(head, rest)
    size, ahead = (
        (BATCH_SIZE, parsers + 1)
        if stage_dir is not None
        else (FILES_PER_JOB, max(parsers * JOBS_PER_PARSER, JOBS_AHEAD))
    )
    jobs = count()
    # spawn, not fork: this process has the database driver's threads running.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(parsers, mp_context=context, initializer=quiet_parser) as pool:
        pending: deque[tuple[Future[Any] | None, list[Source | ArticleError]]] = deque()
        broken = False

        def submit() -> bool:
            job = list(islice(sources, size))
            if not job:
                return False
            paths = [s.path for s in job if isinstance(s, Source) and s.path is not None]
            # A job holding a refusal from expand_paths is parsed here, in its place.
            future: Future[Any] | None = None
            if len(paths) == len(job) and not broken:
                if stage_dir is None:
                    future = pool.submit(parse_files, paths, dialect)
                else:
                    stage = os.path.join(stage_dir, f"{next(jobs)}.db")
                    future = pool.submit(stage_files, paths, stage)
            pending.append((future, job))
            return True

        while len(pending) < ahead and submit():
            pass
        while pending:
            future, job = pending.popleft()
            parsed: Any = None
            if future is not None:
                try:
                    parsed = await asyncio.wrap_future(future)
                except BrokenProcessPool as error:
                    if not broken:
                        log.warning("parsing in this process: the parsers stopped (%s)", error)
                    broken = True
            submit()
            if parsed is None:
                yield _parsed_job(job, stream, dialect), len(job)
            elif stage_dir is None:
                yield [_item(entry) for entry in parsed], len(job)
            else:
                staged, refused = parsed
                yield [staged, *(_item(entry) for entry in refused)], len(job)


def _item(entry: Parsed) -> ArticleRows | ArticleError:
    return entry if isinstance(entry, ArticleRows) else ArticleError(*entry)


def _stage_directory() -> tempfile.TemporaryDirectory[str]:
    """A scratch directory for staging files, named after this process. The directories an
    ingest killed outright left behind are removed first."""
    prefix = "digestbot-ingest-"
    for entry in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
        pid = entry.name.removeprefix(prefix).split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)
    return tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def parser_count() -> int:
    """One parser per core beyond the writer's own, at most four; none on a single core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, min(4, (cores or 1) - 1))
