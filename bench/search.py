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
import contextlib
import functools
import itertools
import json
import math
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.domain.labels import fold_label
from bot.domain.search import query_words
from storage.database import Database
from storage.fulltext import PG_DOCUMENT_SQL, index_row, index_sql
from storage.rows import sort_key_of

# Bump when the generated data changes, or when a migration would rebuild much of a cached
# load, so cached databases are loaded afresh (2: SQLite's search index became contentless;
# 3: the index holds stems).
GENERATOR_VERSION = 3
CACHE_DIR = Path(tempfile.gettempdir()) / "digestbot-bench-search"
POPULAR_LABEL = "Ukraine"
POPULAR_SHARE = 0.3
RARE_LABELS = 50
# One article in this many carries one of the rare labels.
RARE_EVERY = 1000
TAIL_LABELS = 20_000
THEMES = 40
VOCABULARY = 40_000
SENTENCES = 100_000
# /topic shows this many cards at a time (handlers.topics.PAGE_SIZE).
DEFAULT_LIMIT = 3
CHUNK = 20_000
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)

# Syllables of the made-up words, Latin and Cyrillic.
_LATIN_SYLLABLES = "ka ro mi te lo vin gar del son pra bri nek tor val mos chi zen dar lu fe an"
_CYRILLIC_SYLLABLES = "ко ра ми те ло вин гар дел сон пра бри нек тор вал мос чі зен дар лу фе ї"
_LATIN = _LATIN_SYLLABLES.split()
_CYRILLIC = _CYRILLIC_SYLLABLES.split()


# --- the synthetic corpus -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Corpus:
    """What articles are made of: sentences, hashtags and themes."""

    words: list[str]
    sentences: list[str]
    tail_labels: list[str]
    rare_labels: list[str]
    themes: list[str]


def _zipf_rank(rng: random.Random, size: int) -> int:
    """Return a rank in [0, size) with probability falling as 1 / rank (log-uniform)."""
    return min(int(size ** rng.random()) - 1, size - 1)


@functools.cache
def build_corpus(sentence_count: int = SENTENCES, seed: int = 11) -> Corpus:
    """Return the deterministic vocabulary, sentence pool and labels of the benchmark."""
    rng = random.Random(seed)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        syllables = _CYRILLIC if rng.random() < 0.25 else _LATIN
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    sentences = []
    for _ in range(sentence_count):
        picked = [words[_zipf_rank(rng, VOCABULARY)] for _ in range(rng.randint(6, 18))]
        if rng.random() < 0.3:
            at = rng.randrange(len(picked))
            picked[at] = rng.choice(("«{}»", "“{}”", "{},", "({})")).format(picked[at])
        sentences.append(" ".join(picked).capitalize() + rng.choice(".....!?"))
    labels: list[str] = []
    keys = {fold_label(POPULAR_LABEL)}
    while len(labels) < TAIL_LABELS + RARE_LABELS + THEMES:
        name = " ".join(rng.choice(words).capitalize() for _ in range(rng.randint(1, 2)))
        if fold_label(name) not in keys:
            keys.add(fold_label(name))
            labels.append(name)
    return Corpus(
        words=words,
        sentences=sentences,
        tail_labels=labels[:TAIL_LABELS],
        rare_labels=labels[TAIL_LABELS : TAIL_LABELS + RARE_LABELS],
        themes=labels[TAIL_LABELS + RARE_LABELS :],
    )


@dataclass(frozen=True, slots=True)
class Generated:
    """One article as rows: its fields, its labels (kind, name) in order, and its times."""

    id: int
    title: str
    takeaways: list[str]
    retelling: list[str]
    labels: list[tuple[str, str]]
    published_at: datetime
    ingested_at: datetime


def generate(corpus: Corpus, start: int, stop: int, count: int) -> Iterator[Generated]:
    """Yield articles start..stop-1 (ids from 1) of a corpus of `count`, deterministically."""
    step = SPAN / count
    sentences = corpus.sentences
    for number in range(start, stop):
        rng = random.Random(number)
        picks = rng.choices(sentences, k=12)
        tags = [("tag", POPULAR_LABEL)] if rng.random() < POPULAR_SHARE else []
        tags += [
            ("tag", corpus.tail_labels[_zipf_rank(rng, TAIL_LABELS)])
            for _ in range(rng.randint(3, 5))
        ]
        if number % RARE_EVERY == 0:
            tags.append(("tag", corpus.rare_labels[(number // RARE_EVERY) % RARE_LABELS]))
        tags += [("theme", corpus.themes[_zipf_rank(rng, THEMES)]) for _ in range(2)]
        published = START + step * number + timedelta(minutes=rng.uniform(-360, 360))
        yield Generated(
            id=number + 1,
            title=picks[0].rstrip(".!?"),
            takeaways=picks[1:4],
            retelling=[" ".join(picks[4:8]), " ".join(picks[8:12])],
            labels=list(dict.fromkeys(tags)),
            published_at=published,
            ingested_at=published + timedelta(minutes=rng.uniform(1, 120)),
        )


def label_ids(corpus: Corpus) -> dict[tuple[str, str], int]:
    """Return the id of every label the articles use, keyed by (kind, name)."""
    names = [("tag", POPULAR_LABEL)]
    names += [("tag", name) for name in corpus.tail_labels + corpus.rare_labels]
    names += [("theme", name) for name in corpus.themes]
    return {label: number for number, label in enumerate(names, start=1)}


def _label_keys(corpus: Corpus) -> set[str]:
    names = [POPULAR_LABEL, *corpus.tail_labels, *corpus.rare_labels, *corpus.themes]
    return {fold_label(name) for name in names}


def free_text_queries(corpus: Corpus, count: int, how_many: int = 20) -> list[str]:
    """Return queries a reader types: two neighbouring words of a stored article's sentence,
    in any case."""
    rng = random.Random(3)
    common = set(corpus.words[:30])
    labels = _label_keys(corpus)
    queries: list[str] = []
    while len(queries) < how_many:
        number = rng.randrange(count)
        article = next(generate(corpus, number, number + 1, count))
        words = query_words(rng.choice([article.title, *article.takeaways, *article.retelling]))
        pairs = [
            (a, b)
            for a, b in itertools.pairwise(words)
            if not {a, b} & common and fold_label(f"{a} {b}") not in labels
        ]
        if pairs:
            first, second = rng.choice(pairs)
            queries.append(f"{first.upper()} {second.capitalize()}")
    return queries


def single_words(corpus: Corpus, how_many: int = 20) -> list[str]:
    """Return words of every frequency, from one in six articles down to one in a thousand,
    spread evenly over their rank's logarithm."""
    labels = _label_keys(corpus)
    words = []
    for step in range(how_many):
        rank = round(20 * 1000 ** (step / (how_many - 1)))
        word = next(word for word in corpus.words[rank:] if fold_label(word) not in labels)
        words.append(word.capitalize())
    return words


def common_word(corpus: Corpus) -> str:
    """Return one of the most frequent words (in nearly every article) that names no label."""
    labels = _label_keys(corpus)
    return next(word for word in corpus.words[2:] if fold_label(word) not in labels).upper()


# --- loading -------------------------------------------------------------------------------------

_ARTICLE_COLUMNS = (
    "id",
    "content_hash",
    "title",
    "takeaways",
    "retelling",
    "published_at",
    "ingested_at",
    "sort_at",
)
_LINK_COLUMNS = ("article_id", "label_id", "sort_key", "position")
_LOADED_TABLES = ("articles", "article_labels", "article_search")


def _rows(
    dialect: str, batch: list[Generated], ids: dict[tuple[str, str], int]
) -> tuple[list[tuple[object, ...]], list[tuple[int, int, int, int]], list[tuple[object, ...]]]:
    articles: list[tuple[object, ...]] = []
    links: list[tuple[int, int, int, int]] = []
    search: list[tuple[object, ...]] = []
    stamp: Callable[[datetime], object] = (
        (lambda moment: moment)
        if dialect == "postgresql"
        else (lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S.%f"))
    )
    for item in batch:
        articles.append(
            (
                item.id,
                f"{item.id:064x}",
                item.title,
                json.dumps(item.takeaways, ensure_ascii=False),
                "\n".join(item.retelling),
                stamp(item.published_at),
                stamp(item.ingested_at),
                stamp(item.published_at),
            )
        )
        sort_key = sort_key_of(item.published_at)
        links += [
            (item.id, ids[label], sort_key, position) for position, label in enumerate(item.labels)
        ]
        search.append(index_row(dialect, item.id, item.title, item.takeaways, item.retelling))
    return articles, links, search


def _load_sqlite(path: Path, count: int, corpus: Corpus, progress: Callable[[int], None]) -> None:
    asyncio.run(_upgrade(f"sqlite+aiosqlite:///{path}"))
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-1000000")
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN {_LOADED_TABLES!r}"
    ).fetchall()
    for name, _ in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    ids = label_ids(corpus)
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO labels (id, kind, key, name) VALUES (?, ?, ?, ?)",
        [(number, kind, fold_label(name), name) for (kind, name), number in ids.items()],
    )
    marks = ", ".join("?" for _ in _ARTICLE_COLUMNS)
    for start in range(0, count, CHUNK):
        articles, links, search = _rows(
            "sqlite", list(generate(corpus, start, min(start + CHUNK, count), count)), ids
        )
        connection.executemany(
            f"INSERT INTO articles ({', '.join(_ARTICLE_COLUMNS)}) VALUES ({marks})", articles
        )
        connection.executemany(
            f"INSERT INTO article_labels ({', '.join(_LINK_COLUMNS)}) VALUES (?, ?, ?, ?)",
            links,
        )
        connection.executemany(index_sql("sqlite"), search)
        progress(len(articles))
    for _, sql in indexes:
        connection.execute(sql)
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    _mark_loaded_sqlite(connection, count)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.close()


def _mark_loaded_sqlite(connection: sqlite3.Connection, count: int) -> None:
    connection.execute("CREATE TABLE bench_meta (articles INTEGER, generator INTEGER)")
    connection.execute("INSERT INTO bench_meta VALUES (?, ?)", (count, GENERATOR_VERSION))


def _sqlite_loaded(path: Path, count: int) -> bool:
    if not path.exists():
        return False
    connection = sqlite3.connect(path)
    try:
        row = connection.execute("SELECT articles, generator FROM bench_meta").fetchone()
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    return tuple(row or ()) == (count, GENERATOR_VERSION)


async def _upgrade(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _postgres_state(url: str, count: int) -> str:
    """Return "loaded", "empty" (safe to load into) or why the database cannot be used."""
    name = make_url(url).database
    try:
        connection = await asyncpg.connect(_asyncpg_dsn(url))
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(_asyncpg_dsn(url, "postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return "empty"
    try:
        if await connection.fetchval("SELECT to_regclass('bench_meta') IS NOT NULL"):
            row = await connection.fetchrow("SELECT articles, generator FROM bench_meta")
            if row is not None and tuple(row) == (count, GENERATOR_VERSION):
                return "loaded"
            return f"it holds another benchmark load ({tuple(row or ())}); drop it first"
        has_articles = await connection.fetchval("SELECT to_regclass('articles') IS NOT NULL")
        if has_articles and await connection.fetchval("SELECT EXISTS (SELECT 1 FROM articles)"):
            return "it already holds articles; give the benchmark a database of its own"
        return "empty"
    finally:
        await connection.close()


async def _load_postgres(
    url: str, count: int, corpus: Corpus, progress: Callable[[int], None]
) -> None:
    await _upgrade(url)
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute("SET maintenance_work_mem = '1GB'")
        # Skips the foreign-key checks of the bulk load where allowed (a superuser); the rows
        # are consistent by construction.
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await connection.execute("SET session_replication_role = replica")
        indexes = await connection.fetch(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes AS i
            WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
              AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conname = i.indexname)
            """,
            list(_LOADED_TABLES),
        )
        for row in indexes:
            await connection.execute(f'DROP INDEX "{row["indexname"]}"')
        ids = label_ids(corpus)
        await connection.copy_records_to_table(
            "labels",
            records=[(n, kind, fold_label(name), name) for (kind, name), n in ids.items()],
            columns=["id", "kind", "key", "name"],
        )
        await connection.execute(
            "CREATE UNLOGGED TABLE bench_search_text "
            "(article_id bigint, title text, takeaways text, retelling text)"
        )
        for start in range(0, count, CHUNK):
            batch = list(generate(corpus, start, min(start + CHUNK, count), count))
            articles, links, search = _rows("postgresql", batch, ids)
            await connection.copy_records_to_table(
                "articles", records=articles, columns=list(_ARTICLE_COLUMNS)
            )
            await connection.copy_records_to_table(
                "article_labels", records=links, columns=list(_LINK_COLUMNS)
            )
            await connection.copy_records_to_table("bench_search_text", records=search)
            progress(len(articles))
        # The ingest path's document expression, set-based, in two halves on two connections.
        document = PG_DOCUMENT_SQL.format(
            title="title", takeaways="takeaways", retelling="retelling"
        )
        fill = (
            f"INSERT INTO article_search (article_id, document) SELECT article_id, {document} "
            "FROM bench_search_text WHERE article_id % 2 = $1"
        )
        other = await asyncpg.connect(_asyncpg_dsn(url))
        try:
            with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
                await other.execute("SET session_replication_role = replica")
            await asyncio.gather(connection.execute(fill, 0), other.execute(fill, 1))
        finally:
            await other.close()
        await connection.execute("DROP TABLE bench_search_text")
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('articles', 'id'), $1)", count
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('labels', 'id'), $1)", len(ids)
        )
        for row in indexes:
            await connection.execute(row["indexdef"])
        await connection.execute("VACUUM ANALYZE")
        await connection.execute(
            "CREATE TABLE bench_meta (articles integer, generator integer);"
            f"INSERT INTO bench_meta VALUES ({count}, {GENERATOR_VERSION})"
        )
    finally:
        await connection.close()


# --- measuring -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """Latencies of one kind of query, in milliseconds."""

    median: float
    p95: float


def _timing(samples: Sequence[float]) -> Timing:
    ordered = sorted(samples)
    index = max(math.ceil(0.95 * len(ordered)) - 1, 0)
    return Timing(median=statistics.median(ordered) * 1000, p95=ordered[index] * 1000)


async def _measure(
    run: Callable[[str], Awaitable[object]], queries: Sequence[str], repeat: int, warm: int
) -> Timing:
    for query in queries[:warm]:  # warm the caches, as a running bot's are
        await run(query)
    samples = []
    for number in range(repeat):
        started = time.perf_counter()
        await run(queries[number % len(queries)])
        samples.append(time.perf_counter() - started)
    return _timing(samples)


def _scan_sql(dialect: str, kind: str, words: int) -> str:
    like = "ILIKE" if dialect == "postgresql" else "LIKE"
    if kind == "label":
        not_indexed = "" if dialect == "postgresql" else " NOT INDEXED"
        return (
            f"SELECT al.article_id FROM article_labels AS al{not_indexed} "
            "JOIN labels AS l ON l.id = al.label_id WHERE l.key LIKE :key ESCAPE '\\' "
            "ORDER BY al.sort_key DESC, al.article_id DESC LIMIT :limit"
        )
    takeaways = "takeaways::text" if dialect == "postgresql" else "takeaways"
    conditions = " AND ".join(
        f"(title {like} :w{n} OR {takeaways} {like} :w{n} OR retelling {like} :w{n})"
        for n in range(words)
    )
    return (
        f"SELECT id FROM articles WHERE {conditions} ORDER BY sort_at DESC, id DESC LIMIT :limit"
    )


@dataclass(frozen=True, slots=True)
class Case:
    """One row of the report: a kind of /topic query, its queries and its scan."""

    name: str
    queries: list[str]
    scan_kind: str  # "label" or "text"


async def _run_cases(
    db: Database, cases: list[Case], limit: int, repeat: int, scan_repeat: int
) -> list[tuple[Case, Timing, Timing, int]]:
    async def indexed(query: str) -> object:
        async with db.transaction() as repos:
            return await repos.articles.find(query, limit=limit)

    results = []
    for case in cases:
        sample = await indexed(case.queries[0])
        assert isinstance(sample, list)

        async def scan(query: str, case: Case = case) -> object:
            async with db.transaction() as repos:
                if db.dialect == "postgresql":
                    # The plain scan: no index may answer it.
                    for setting in (
                        "enable_indexscan",
                        "enable_bitmapscan",
                        "enable_indexonlyscan",
                    ):
                        await repos.session.execute(text(f"SET LOCAL {setting} = off"))
                if case.scan_kind == "label":
                    key = fold_label(query)
                    for special in ("\\", "%", "_"):
                        key = key.replace(special, "\\" + special)
                    params: dict[str, object] = {"key": key}
                    sql = _scan_sql(db.dialect, "label", 0)
                else:
                    words = query_words(query)
                    params = {f"w{n}": f"%{word}%" for n, word in enumerate(words)}
                    sql = _scan_sql(db.dialect, "text", len(words))
                params["limit"] = limit
                ids = (await repos.session.execute(text(sql), params)).scalars().all()
                return await repos.articles.get_many(ids)

        fast = await _measure(indexed, case.queries, repeat, warm=5)
        slow = await _measure(scan, case.queries, scan_repeat, warm=1)
        results.append((case, fast, slow, len(sample)))
    return results


async def _label_count(db: Database, name: str) -> int:
    async with db.transaction() as repos:
        labels = await repos.labels.find(name)
        return await repos.articles.count_for_labels([label.id for label in labels])


async def _report(
    url: str, corpus: Corpus, *, count: int, limit: int, repeat: int, scan_repeat: int
) -> None:
    # The machine may be shared: the load beside the figures says how much to trust the tails.
    load_before = os.getloadavg()[0]
    db = Database(url)
    try:
        cases = [
            Case(f"popular label #{POPULAR_LABEL}", [f"#{POPULAR_LABEL}"], "label"),
            Case(f"rare labels ({len(corpus.rare_labels)})", corpus.rare_labels, "label"),
            Case("free text, 2 words", free_text_queries(corpus, count), "text"),
            Case("free text, 1 word (any rank)", single_words(corpus), "text"),
            Case("free text, 1 very common word", [common_word(corpus)], "text"),
        ]
        popular = await _label_count(db, POPULAR_LABEL)
        rare = await _label_count(db, corpus.rare_labels[0])
        started = time.perf_counter()
        async with db.transaction() as repos:
            await repos.articles.count_for_labels(
                [label.id for label in await repos.labels.find(POPULAR_LABEL)]
            )
        count_ms = (time.perf_counter() - started) * 1000
        results = await _run_cases(db, cases, limit, repeat, scan_repeat)
    finally:
        await db.dispose()
    print(
        f"articles with #{POPULAR_LABEL}: {popular:,}; with each rare label: about {rare}; "
        f"free-text queries: {', '.join(cases[2].queries[:3])}, ...; "
        f"single words: {', '.join(cases[3].queries[:3])}, ...; "
        f"common word: {cases[4].queries[0]}"
    )
    print(
        f"{'query (limit ' + str(limit) + ')':<32}{'indexed median':>15}{'p95':>9}"
        f"{'scan median':>13}{'p95':>10}{'speed-up':>10}  goal"
    )
    for case, fast, slow, found in results:
        speedup = slow.median / fast.median
        met = fast.p95 < 20 and speedup >= 50
        print(
            f"{case.name:<32}{fast.median:>12.2f} ms{fast.p95:>6.2f} ms"
            f"{slow.median:>10.0f} ms{slow.p95:>7.0f} ms{speedup:>9,.0f}x  "
            f"{'met' if met else 'MISSED'}{'' if found else ' (found nothing)'}"
        )
    print(
        f"goal: p95 under 20 ms and a median at least 50x under the scan's; "
        f"{repeat} indexed and {scan_repeat} scan runs per row. "
        f"count_for_labels(#{POPULAR_LABEL}), which /topic also runs: {count_ms:.0f} ms"
    )
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")


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
        if database is None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            path = cache_dir / f"search-{count}-v{GENERATOR_VERSION}.db"
        else:
            path = Path(make_url(database).database or "")
        where = f"SQLite {path}"
        if _sqlite_loaded(path, count):
            note = "reused the cached load"
            asyncio.run(_upgrade(f"sqlite+aiosqlite:///{path}"))
        else:
            if path.exists() and database is not None:
                print(f"refusing to load into {path}: it exists and is no benchmark load")
                return 2
            partial = path.with_suffix(".loading")
            for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
                stale.unlink(missing_ok=True)
            print(f"loading {count:,} articles into {where} ...", flush=True)
            _load_sqlite(partial, count, corpus, progress)
            partial.rename(path)
            note = f"loaded in {time.perf_counter() - started:,.0f} s, cached for the next run"
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = database
        where = f"PostgreSQL {make_url(database).render_as_string(hide_password=True)}"
        state = asyncio.run(_postgres_state(database, count))
        if state == "loaded":
            note = "reused the earlier load"
        elif state == "empty":
            print(f"loading {count:,} articles into {where} ...", flush=True)
            asyncio.run(_load_postgres(database, count, corpus, progress))
            note = f"loaded in {time.perf_counter() - started:,.0f} s, kept for the next run"
        else:
            print(f"refusing to load into {where}: {state}")
            return 2
    print(f"cores: {os.cpu_count()}  articles: {count:,}  database: {where} ({note})")
    asyncio.run(
        _report(url, corpus, count=count, limit=limit, repeat=repeat, scan_repeat=scan_repeat)
    )
    return 0
