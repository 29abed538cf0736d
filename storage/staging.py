"""Staged ingest on SQLite: parser processes write their rows to a scratch database file, and
the writing process copies them into the store with INSERT ... SELECT.

Rows crossing from a parser process as Python objects are pickled there, sent through a pipe,
unpickled here and bound again one value at a time: on a large ingest that costs the writing
process about as much as SQLite's own work. A staging file costs the parser one `executemany`
per table, and the writer only SQL that SQLite runs without returning to Python.

A staging file holds one job: the articles of a run of files (each content once: the parser
drops repeats within the job), the labels they carry (each (kind, key) once, with the name
first written) and the links between them. `load_stage` stores what the store lacks, exactly
as ArticleRepository.add_rows does with the same rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from bot.domain.records import IngestOutcome
from storage.rows import ArticleRows, sort_key_of, sqlite_datetime

if TYPE_CHECKING:  # parser processes write staging files without loading SQLAlchemy
    from sqlalchemy.ext.asyncio import AsyncSession

# The alias a staging file is attached under for the transaction that loads it.
STAGE = "stage"

_SCHEMA = (
    "CREATE TABLE articles (n INTEGER PRIMARY KEY, content_hash TEXT NOT NULL, title TEXT,"
    " takeaways TEXT, retelling TEXT, entity_graph TEXT, url TEXT, published_at TEXT,"
    " sort_key INTEGER, search_title TEXT, search_takeaways TEXT, search_retelling TEXT)",
    "CREATE TABLE labels (n INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,"
    " name TEXT NOT NULL)",
    "CREATE TABLE links (n INTEGER NOT NULL, position INTEGER NOT NULL, label INTEGER NOT NULL,"
    " PRIMARY KEY (n, position)) WITHOUT ROWID",
)


class Staged(NamedTuple):
    """A staging file written by a parser: its path, the articles in it, and how many more
    the job held that repeated one of them."""

    path: str
    articles: int
    repeats: int


def write_stage(path: str, rows: Sequence[ArticleRows]) -> Staged:
    """Write one job's article rows (SQLite's form, see storage.rows) to a new staging file."""
    articles: list[tuple[object, ...]] = []
    labels: dict[tuple[str, str], tuple[int, str]] = {}
    links: list[tuple[int, int, int]] = []
    seen: set[str] = set()
    for row in rows:
        if row.content_hash in seen:
            continue
        seen.add(row.content_hash)
        n = len(articles)
        published = row.published_at
        articles.append(
            (
                n,
                *row[:6],
                None if published is None else sqlite_datetime(published),
                None if published is None else sort_key_of(published),
                *row.search,
            )
        )
        for position, (kind, key, name) in enumerate(row.labels):
            label = labels.setdefault((kind, key), (len(labels), name))[0]
            links.append((n, position, label))
    # A scratch file read once: no journal, no syncing.
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        for statement in _SCHEMA:
            connection.execute(statement)
        connection.executemany(f"INSERT INTO articles VALUES ({', '.join('?' * 12)})", articles)
        connection.executemany(
            "INSERT INTO labels VALUES (?, ?, ?, ?)",
            [(n, kind, key, name) for (kind, key), (n, name) in labels.items()],
        )
        connection.executemany("INSERT INTO links VALUES (?, ?, ?)", links)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return Staged(path, len(articles), len(rows) - len(articles))


async def load_stage(session: AsyncSession, staged: Staged, now: datetime) -> IngestOutcome:
    """Store the articles of a staging file attached as STAGE (see Database.transaction) that
    the store lacks, with their labels, links and search index entries; in the caller's
    transaction, which holds SQLite's write lock."""
    connection = await session.connection()
    run = connection.exec_driver_sql
    stamped = sqlite_datetime(now)
    # Labels first, in the order the job met them; a label the store has keeps its name, unless
    # it is provisional (followed ahead of any article): then it is named as its article names it.
    await run(
        f"INSERT INTO main.labels (kind, key, name) SELECT kind, key, name FROM {STAGE}.labels"
        " WHERE true ORDER BY n ON CONFLICT (kind, key) DO UPDATE"
        " SET name = excluded.name, provisional = 0 WHERE labels.provisional"
    )
    # The articles the store lacks get the next ids, in the job's order (the lock is held).
    last = (await run("SELECT coalesce(max(id), 0) FROM main.articles")).scalar_one()
    await run("DROP TABLE IF EXISTS temp.fresh")
    await run("CREATE TEMP TABLE fresh (n INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
    await run(
        "INSERT INTO temp.fresh (n, id)"
        " SELECT n, ? + row_number() OVER (ORDER BY n)"
        f" FROM {STAGE}.articles AS s WHERE NOT EXISTS"
        " (SELECT 1 FROM main.articles AS a WHERE a.content_hash = s.content_hash)",
        (last,),
    )
    await run(
        "INSERT INTO main.articles (id, content_hash, title, takeaways, retelling,"
        " entity_graph, url, published_at, ingested_at, sort_at)"
        " SELECT f.id, s.content_hash, s.title, s.takeaways, s.retelling, s.entity_graph,"
        " s.url, s.published_at, ?, coalesce(s.published_at, ?)"
        f" FROM temp.fresh AS f JOIN {STAGE}.articles AS s ON s.n = f.n ORDER BY f.id",
        (stamped, stamped),
    )
    await run(
        "INSERT INTO main.article_labels (article_id, label_id, sort_key, position)"
        " SELECT f.id, l.id, coalesce(s.sort_key, ?), k.position"
        f" FROM temp.fresh AS f JOIN {STAGE}.articles AS s ON s.n = f.n"
        f" JOIN {STAGE}.links AS k ON k.n = f.n"
        f" JOIN {STAGE}.labels AS sl ON sl.n = k.label"
        " JOIN main.labels AS l ON l.kind = sl.kind AND l.key = sl.key"
        " ORDER BY f.id, l.id",
        (sort_key_of(now),),
    )
    await run(
        "INSERT INTO main.article_search (rowid, title, takeaways, retelling)"
        " SELECT f.id, s.search_title, s.search_takeaways, s.search_retelling"
        f" FROM temp.fresh AS f JOIN {STAGE}.articles AS s ON s.n = f.n ORDER BY f.id"
    )
    new_ids = tuple((await run("SELECT id FROM temp.fresh ORDER BY id")).scalars())
    await run("DROP TABLE temp.fresh")
    return IngestOutcome(new_ids=new_ids, known=staged.articles + staged.repeats - len(new_ids))
