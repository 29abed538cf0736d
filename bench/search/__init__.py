"""`digestbot bench search`: /topic query latency at scale, beside a plain LIKE scan.

The benchmark fills a database with synthetic articles (once: the SQLite file is cached under
the temp directory, and a PostgreSQL database keeps its load), then times the query /topic
runs (`ArticleRepository.find`) for a popular label, rare labels and free text, and the same
questions answered by scanning with LIKE, in the same run.

The articles: word frequencies follow Zipf's law over a vocabulary of Latin and Cyrillic
words; sentences are drawn from a pool, so each recurs in about a hundred articles, the way a
story is retold. One hashtag is on 30% of the articles, thousands more follow a long tail, and
each rare hashtag is on count / 50,000 articles. Rows are written with driver-level bulk
inserts (executemany on SQLite, COPY on PostgreSQL), secondary indexes built after the load.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.search.corpus import CACHE_DIR, DEFAULT_LIMIT, SENTENCES, build_corpus
from bench.search.load import prepare_postgres, prepare_sqlite
from bench.search.measure import report

__all__ = ["search_benchmark"]


def search_benchmark(
    count: int,
    database: str | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    repeat: int = 200,
    scan_repeat: int = 5,
    cache_dir: Path = CACHE_DIR,
) -> int:
    """Load (or reuse) `count` synthetic articles, then print /topic latencies and scans."""
    # Small loads (tests) need fewer sentences; from a million articles on the pool is full.
    corpus = build_corpus(min(SENTENCES, max(2000, count // 10)))
    started = time.perf_counter()
    loaded = 0

    def progress(rows: int) -> None:
        nonlocal loaded
        loaded += rows
        if loaded % 100_000 < rows:
            rate = loaded / (time.perf_counter() - started)
            print(f"  loaded {loaded:,} of {count:,} ({rate:,.0f} articles/s)", flush=True)

    if database is None or make_url(database).get_backend_name() == "sqlite":
        prepared = prepare_sqlite(count, database, cache_dir, corpus, progress)
    else:
        prepared = prepare_postgres(count, database, corpus, progress)
    if prepared is None:
        return 2
    print(
        f"cores: {os.cpu_count()}  articles: {count:,}  "
        f"database: {prepared.where} ({prepared.note})"
    )
    asyncio.run(
        report(
            prepared.url, corpus, count=count, limit=limit, repeat=repeat, scan_repeat=scan_repeat
        )
    )
    return 0
