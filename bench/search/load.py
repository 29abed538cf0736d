"""Loading the benchmark's articles: driver-level bulk inserts (executemany on SQLite, COPY on
PostgreSQL), secondary indexes built after the load, a marker so a load is reused."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from bench.search.corpus import CHUNK, GENERATOR_VERSION, Corpus, Generated, generate, label_ids
from bot.domain.labels import fold_label
from storage.database import Database
from storage.fulltext import PG_DOCUMENT_SQL, index_row, index_sql
from storage.rows import sort_key_of

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
        await _fill_search_postgres(url, connection)
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


async def _fill_search_postgres(url: str, connection: asyncpg.Connection) -> None:
    """The ingest path's document expression, set-based, in two halves on two connections."""
    document = PG_DOCUMENT_SQL.format(title="title", takeaways="takeaways", retelling="retelling")
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


@dataclass(frozen=True, slots=True)
class Prepared:
    """A loaded benchmark database: where it is and how it came to be."""

    url: str
    where: str
    note: str


def prepare_sqlite(
    count: int,
    database: str | None,
    cache_dir: Path,
    corpus: Corpus,
    progress: Callable[[int], None],
) -> Prepared | None:
    """Reuse or load the SQLite file (cached under `cache_dir` unless `database` names one)."""
    started = time.perf_counter()
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
            return None
        partial = path.with_suffix(".loading")
        for stale in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            stale.unlink(missing_ok=True)
        print(f"loading {count:,} articles into {where} ...", flush=True)
        _load_sqlite(partial, count, corpus, progress)
        partial.rename(path)
        note = f"loaded in {time.perf_counter() - started:,.0f} s, cached for the next run"
    return Prepared(f"sqlite+aiosqlite:///{path}", where, note)


def prepare_postgres(
    count: int, database: str, corpus: Corpus, progress: Callable[[int], None]
) -> Prepared | None:
    """Reuse an earlier load or load into an empty PostgreSQL database; refuse any other."""
    started = time.perf_counter()
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
        return None
    return Prepared(database, where, note)
