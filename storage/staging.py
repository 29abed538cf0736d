"""Staged ingest on SQLite: parser processes write their rows to a scratch database file, and
the writing process copies them into the store with INSERT ... SELECT.

Rows crossing from a parser process as Python objects are pickled there, sent through a pipe,
unpickled here and bound again one value at a time: on a large ingest that costs the writing
process about as much as SQLite's own work. A staging file costs the parser one `executemany`
per table, and the writer only SQL that SQLite runs without returning to Python.

A staging file holds one job: the articles of a run of files (each content once: the parser
drops repeats within the job), the labels they carry (each (kind, key) once, with the name
first written), the links between them, and their entities and graph rows (as JSON arrays on
the article's row: the writer's SQLite expands them with json_each, which costs the parser
one value per article instead of a row per entity). `load_stage`
stores what the store lacks and updates what a later file changed, exactly as
ArticleRepository.add_rows does with the same rows (see storage.writes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from bot.domain.records import IngestOutcome
from storage.rows import ArticleRows, sort_key_of, sqlite_datetime
from storage.sections import MENTIONED, RELATED

if TYPE_CHECKING:  # parser processes write staging files without loading SQLAlchemy
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# The alias a staging file is attached under for the transaction that loads it.
STAGE = "stage"

# An article's short values first: a row is read column by column, and reading a value after
# the retelling's text would mean reading the pages it overflows to as well.
_ARTICLE_COLUMNS = (
    "n INTEGER PRIMARY KEY, content_hash TEXT NOT NULL, identity_key TEXT NOT NULL,"
    " sort_key INTEGER, published_at TEXT, url TEXT, source TEXT, entities TEXT,"
    " connections TEXT, sections TEXT, analysis TEXT, title TEXT, takeaways TEXT,"
    " retelling TEXT, entity_graph TEXT, search_title TEXT, search_takeaways TEXT,"
    " search_retelling TEXT"
)
_SCHEMA = (
    f"CREATE TABLE articles ({_ARTICLE_COLUMNS})",
    "CREATE TABLE labels (n INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,"
    " name TEXT NOT NULL)",
    "CREATE TABLE links (n INTEGER NOT NULL, position INTEGER NOT NULL, label INTEGER NOT NULL,"
    " PRIMARY KEY (n, position)) WITHOUT ROWID",
)
_ARTICLE_MARKS = ", ".join("?" * 18)


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
                row.content_hash,
                row.identity_key,
                None if published is None else sort_key_of(published),
                None if published is None else sqlite_datetime(published),
                row.url,
                row.source,
                row.entities,
                row.connections,
                row.sections,
                row.analysis,
                row.title,
                row.takeaways,
                row.retelling,
                row.entity_graph,
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
        connection.executemany(f"INSERT INTO articles VALUES ({_ARTICLE_MARKS})", articles)
        connection.executemany(
            "INSERT INTO labels VALUES (?, ?, ?, ?)",
            [(n, kind, key, name) for (kind, key), (n, name) in labels.items()],
        )
        connection.executemany("INSERT INTO links VALUES (?, ?, ?)", links)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return Staged(path, len(articles), len(rows) - len(articles))


# Long for a reason: the copy from the staging file is a sequence of INSERT … SELECT statements
# over the same attached tables, in the order the foreign keys need.
async def load_stage(session: AsyncSession, staged: Staged, now: datetime) -> IngestOutcome:
    """Store the articles of a staging file attached as STAGE (see Database.transaction) that
    the store lacks, and update those whose identity it holds (see storage.writes), with their
    labels, links, entities, graph rows and search index entries; in the caller's
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
    for table in ("unknown", "fresh", "changed", "written"):
        await run(f"DROP TABLE IF EXISTS temp.{table}")
    # The articles whose content the store lacks; of several files of one article in the job,
    # the last one (the others are counted as updates).
    await run("CREATE TEMP TABLE unknown (n INTEGER PRIMARY KEY, identity_key TEXT NOT NULL)")
    await run(
        "INSERT INTO temp.unknown (n, identity_key) SELECT n, identity_key"
        f" FROM {STAGE}.articles AS s WHERE NOT EXISTS"
        " (SELECT 1 FROM main.articles AS a WHERE a.content_hash = s.content_hash)"
    )
    await run("CREATE INDEX temp.unknown_identity ON unknown (identity_key, n)")
    superseded = (
        await run(
            "DELETE FROM temp.unknown WHERE EXISTS (SELECT 1 FROM temp.unknown AS later"
            " WHERE later.identity_key = unknown.identity_key AND later.n > unknown.n)"
        )
    ).rowcount
    await run("CREATE TEMP TABLE changed (n INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
    await run(
        "INSERT INTO temp.changed (n, id) SELECT u.n, a.id FROM temp.unknown AS u"
        " JOIN main.articles AS a ON a.identity_key = u.identity_key"
    )
    # The new articles get the next ids, in the job's order (the lock is held).
    last = (await run("SELECT coalesce(max(id), 0) FROM main.articles")).scalar_one()
    await run("CREATE TEMP TABLE fresh (n INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
    await run(
        "INSERT INTO temp.fresh (n, id) SELECT n, ? + row_number() OVER (ORDER BY n)"
        " FROM temp.unknown AS u WHERE NOT EXISTS (SELECT 1 FROM temp.changed AS c"
        " WHERE c.n = u.n)",
        (last,),
    )
    await run(
        "INSERT INTO main.articles (id, content_hash, title, takeaways, retelling,"
        " entity_graph, url, published_at, ingested_at, sort_at, identity_key, source,"
        " analysis, sections)"
        " SELECT f.id, s.content_hash, s.title, s.takeaways, s.retelling, s.entity_graph,"
        " s.url, s.published_at, ?, coalesce(s.published_at, ?), s.identity_key, s.source,"
        " s.analysis, s.sections"
        f" FROM temp.fresh AS f JOIN {STAGE}.articles AS s ON s.n = f.n ORDER BY f.id",
        (stamped, stamped),
    )
    await run(
        "CREATE TEMP TABLE written (n INTEGER PRIMARY KEY, id INTEGER NOT NULL,"
        " sort_key INTEGER NOT NULL)"
    )
    await run(
        "INSERT INTO temp.written (n, id, sort_key) SELECT f.n, f.id, coalesce(s.sort_key, ?)"
        f" FROM temp.fresh AS f JOIN {STAGE}.articles AS s ON s.n = f.n",
        (sort_key_of(now),),
    )
    changed = await _update_changed(connection)
    await _write_dependents(connection)
    new_ids = tuple((await run("SELECT id FROM temp.fresh ORDER BY id")).scalars())
    for table in ("unknown", "fresh", "changed", "written"):
        await run(f"DROP TABLE temp.{table}")
    return IngestOutcome(
        new_ids=new_ids,
        known=staged.articles + staged.repeats - len(new_ids) - changed - superseded,
        updated=changed + superseded,
    )


async def _update_changed(connection: AsyncConnection) -> int:
    """Update the stored articles in temp.changed from the job; return how many."""
    run = connection.exec_driver_sql
    found: Sequence[Sequence[int]] = (await run("SELECT n, id FROM temp.changed")).all()
    pairs = [(int(n), int(article_id)) for n, article_id in found]
    if not pairs:
        return 0
    ids = [article_id for _, article_id in pairs]
    # Rare next to new articles: the index entries to forget need Python (storage.writes).
    # Imported here: parser processes import this module to write staging files, and
    # storage.writes would load SQLAlchemy into them.
    from storage.writes import forget_articles  # noqa: PLC0415

    sort_keys = await forget_articles(connection, "sqlite", ids)
    await run(
        "UPDATE main.articles SET content_hash = s.content_hash, title = s.title,"
        " takeaways = s.takeaways, retelling = s.retelling, entity_graph = s.entity_graph,"
        " url = coalesce(s.url, main.articles.url), source = s.source, analysis = s.analysis,"
        f" sections = s.sections FROM temp.changed AS c JOIN {STAGE}.articles AS s"
        " ON s.n = c.n WHERE main.articles.id = c.id"
    )
    await run(
        "INSERT INTO temp.written (n, id, sort_key) VALUES (?, ?, ?)",
        [(n, article_id, sort_keys[article_id]) for n, article_id in pairs],
    )
    return len(pairs)


async def _write_dependents(connection: AsyncConnection) -> None:
    """Write the links, entities, graph rows and index entries of the articles in
    temp.written, from the job."""
    run = connection.exec_driver_sql
    await run(
        "INSERT INTO main.article_labels (article_id, label_id, sort_key, position)"
        " SELECT w.id, l.id, w.sort_key, k.position"
        f" FROM temp.written AS w JOIN {STAGE}.links AS k ON k.n = w.n"
        f" JOIN {STAGE}.labels AS sl ON sl.n = k.label"
        " JOIN main.labels AS l ON l.kind = sl.kind AND l.key = sl.key"
        " ORDER BY w.id, l.id"
    )
    # The JSON storage.sections.entities_json and connections_json write, expanded here. In the
    # job's order, which is the new articles' id order: no sorting for the tables' keys.
    for role, path in ((RELATED, "$[0]"), (MENTIONED, "$[1]")):
        await run(
            "INSERT INTO main.article_entities (article_id, role, position, name, description)"
            " SELECT w.id, ?, e.key, e.value ->> 0, e.value ->> 1"
            f" FROM temp.written AS w JOIN {STAGE}.articles AS s ON s.n = w.n,"
            " json_each(s.entities, ?) AS e WHERE s.entities IS NOT NULL",
            (role, path),
        )
    await run(
        "INSERT INTO main.article_connections (article_id, position, main, name, kind, shared)"
        " SELECT w.id, c.key, s.connections ->> 0, c.value ->> 0, c.value ->> 1, c.value ->> 2"
        f" FROM temp.written AS w JOIN {STAGE}.articles AS s ON s.n = w.n,"
        " json_each(s.connections, '$[1]') AS c WHERE s.connections IS NOT NULL"
    )
    await run(
        "INSERT INTO main.article_search (rowid, title, takeaways, retelling)"
        " SELECT w.id, s.search_title, s.search_takeaways, s.search_retelling"
        f" FROM temp.written AS w JOIN {STAGE}.articles AS s ON s.n = w.n ORDER BY w.id"
    )
