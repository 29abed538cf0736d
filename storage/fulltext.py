"""Full-text search on both databases: what the index holds and how it is queried.

SQLite keeps a contentless FTS5 table `article_search` (rowid = article id, columns title,
takeaways, retelling) ranked with bm25: it holds the index only, not a second copy of the
text, so forgetting an article means telling FTS5 the folded text it was indexed with
(FORGET_SQL). PostgreSQL keeps `article_search(article_id, document tsvector)` with a GIN
index, ranked with ts_rank. Both index text folded in Python by bot.domain.search, so case and
Unicode folding never depend on the database's locale; the ingest path writes the index rows
with one driver-level executemany (see add_index_rows).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.rows import index_fields

# Relative weight of a match in the title, the takeaways and the retelling. On PostgreSQL the
# same order comes from setweight: A (1.0), B (0.4) and D (0.1) with ts_rank's defaults.
BM25_WEIGHTS = (10.0, 4.0, 1.0)
# Only the newest this many matches of a query are ranked: a word found in half a million
# articles would otherwise cost a rank computation for each of them. Readers of news want the
# best of the recent matches (33 pages of /topic cards), and this bounds every query's work.
RANK_WINDOW = 100
# How many of the newest articles are looked at to tell how common a word or query is.
PROBE = 64
# PostgreSQL: what reading one row costs against putting one match in a bitmap.
_DENSE_COST_RATIO = 36

# The document of one article on PostgreSQL, from its folded title, takeaways and retelling.
PG_DOCUMENT_SQL = (
    "setweight(to_tsvector('simple'::regconfig, {title}), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, {takeaways}), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, {retelling}), 'D')"
)

_INDEX_SQL = {
    "sqlite": "INSERT INTO article_search (rowid, title, takeaways, retelling) "
    "VALUES (?, ?, ?, ?)",
    "postgresql": "INSERT INTO article_search (article_id, document) VALUES ($1, "
    + PG_DOCUMENT_SQL.format(title="$2", takeaways="$3", retelling="$4")
    + ")",
}

_WEIGHTS = ", ".join(str(weight) for weight in BM25_WEIGHTS)

# SQLite. Every query walks the matches newest first and stops after the window. bm25 is
# lower for better matches.
_SQLITE_RANKED = f"""
    SELECT c.id FROM (
        SELECT rowid AS id, bm25(article_search, {_WEIGHTS}) AS score
        FROM article_search WHERE article_search MATCH :match
        ORDER BY rowid DESC LIMIT :window
    ) AS c JOIN articles AS a ON a.id = c.id
    ORDER BY c.score, a.sort_at DESC, a.id DESC
    LIMIT :limit OFFSET :offset
"""
# When some words are common (see _common_words): the window holds every word, but bm25 looks
# at the other words only, over the window's id range.
_SQLITE_RANKED_BY_SOME = f"""
    WITH c AS MATERIALIZED (
        SELECT rowid AS id FROM article_search WHERE article_search MATCH :match
        ORDER BY rowid DESC LIMIT :window
    ), r AS MATERIALIZED (
        SELECT rowid AS id, bm25(article_search, {_WEIGHTS}) AS score
        FROM article_search WHERE article_search MATCH :ranked
        AND rowid >= (SELECT min(id) FROM c)
    )
    SELECT c.id FROM c JOIN r ON r.id = c.id JOIN articles AS a ON a.id = c.id
    ORDER BY r.score, a.sort_at DESC, a.id DESC
    LIMIT :limit OFFSET :offset
"""
# When every word is common there is nothing to rank by: newest first.
_SQLITE_NEWEST = """
    SELECT c.id FROM (
        SELECT rowid AS id FROM article_search WHERE article_search MATCH :match
        ORDER BY rowid DESC LIMIT :window
    ) AS c JOIN articles AS a ON a.id = c.id
    ORDER BY a.sort_at DESC, a.id DESC
    LIMIT :limit OFFSET :offset
"""

# PostgreSQL. The probe counts the query's matches among the newest articles, a bounded walk
# down the primary key (ts_match_vq is the @@ operator in a form no index answers). For a rarer
# query it also switches plain index scans off, and generic plans, for the transaction's next
# statements: the window query must read the GIN index, not walk the primary key through a
# large id range, whatever its parameters (_PG_USE_INDEX does the same when a walk falls
# short). _PG_RANK_RESTORING switches both back.
_PG_QUERY = "plainto_tsquery('simple'::regconfig, :words)"
_PG_PROBE = f"""
    WITH newest AS (
        SELECT article_id, ts_match_vq(document, {_PG_QUERY}) AS hit
        FROM article_search ORDER BY article_id DESC LIMIT :probe
    ), probe AS (
        SELECT max(article_id) AS newest, count(*) FILTER (WHERE hit) AS found,
            current_setting('enable_indexscan') AS indexscan,
            current_setting('plan_cache_mode') AS plan_cache
        FROM newest
    )
    SELECT newest, found, indexscan, plan_cache,
        set_config('enable_indexscan', CASE WHEN found * found * newest >= :dense
            THEN indexscan ELSE 'off' END, true),
        set_config('plan_cache_mode', CASE WHEN found * found * newest >= :dense
            THEN plan_cache ELSE 'force_custom_plan' END, true)
    FROM probe
"""
# A common query (see _postgres_dense): walk the primary key down from the newest article.
_PG_WINDOW_DENSE = f"""
    SELECT article_id FROM article_search
    WHERE ts_match_vq(document, {_PG_QUERY}) AND article_id > :since
    ORDER BY article_id DESC LIMIT :window
"""
_PG_USE_INDEX = (
    "SELECT set_config('enable_indexscan', 'off', true), "
    "set_config('plan_cache_mode', 'force_custom_plan', true)"
)
# A rarer one: the GIN index over the newest ids, in a range that should hold a window of
# matches (the range's bitmap ANDed with the index's), or over every id.
_PG_WINDOW_SINCE = f"""
    SELECT article_id FROM article_search
    WHERE document @@ {_PG_QUERY} AND article_id > :since
    ORDER BY article_id DESC LIMIT :window
"""
_PG_WINDOW_ALL = f"""
    SELECT article_id FROM article_search WHERE document @@ {_PG_QUERY}
    ORDER BY article_id DESC LIMIT :window
"""
# The one-row left side runs the restoring set_config exactly once, even with nothing to rank.
# Both tables are looked up by the ids (plain index scans are still off while it is planned).
_PG_RANK_RESTORING = f"""
    SELECT ranked.article_id FROM (
        SELECT set_config('enable_indexscan', :indexscan, true),
            set_config('plan_cache_mode', :plan_cache, true)
    ) AS restored LEFT JOIN (
        SELECT s.article_id FROM article_search AS s JOIN articles AS a ON a.id = s.article_id
        WHERE s.article_id = ANY(:ids) AND a.id = ANY(:ids)
        ORDER BY ts_rank(s.document, {_PG_QUERY}) DESC, a.sort_at DESC, a.id DESC
        LIMIT :limit OFFSET :offset
    ) AS ranked ON true
"""


def index_row(
    dialect: str, article_id: int, title: str, takeaways: Sequence[str], retelling: Sequence[str]
) -> tuple[int, str, str, str]:
    """Return the index row of one article: its id and its three fields, folded."""
    return (article_id, *index_fields(dialect, title, takeaways, retelling))


# SQLite: take an article out of the contentless index. FTS5 needs the very values the row was
# indexed with, which index_row gives again from the stored article.
FORGET_SQL = (
    "INSERT INTO article_search (article_search, rowid, title, takeaways, retelling) "
    "VALUES ('delete', ?, ?, ?, ?)"
)


def index_sql(dialect: str) -> str:
    """Return the driver-level INSERT of index rows, for executemany."""
    return _INDEX_SQL[dialect]


async def add_index_rows(
    connection: AsyncConnection, dialect: str, rows: Iterable[tuple[int, str, str, str]]
) -> None:
    """Add articles to the search index (rows from index_row) with one executemany."""
    batch = list(rows)
    if batch:
        await connection.exec_driver_sql(index_sql(dialect), batch)


def rebuild_index(connection: Connection, dialect: str, *, batch: int = 2000) -> None:
    """Index every stored article again (for migrations; the index must start empty)."""
    after = 0
    while True:
        rows = connection.execute(
            text(
                "SELECT id, title, takeaways, retelling FROM articles "
                "WHERE id > :after ORDER BY id LIMIT :batch"
            ),
            {"after": after, "batch": batch},
        ).all()
        if not rows:
            return
        connection.exec_driver_sql(
            index_sql(dialect),
            [
                index_row(dialect, article_id, title, _listed(takeaways), retelling.split("\n"))
                for article_id, title, takeaways, retelling in rows
            ],
        )
        after = rows[-1][0]


def _listed(takeaways: str | list[str]) -> list[str]:
    # JSON arrives as text from SQLite's driver and already decoded from asyncpg's.
    return list(json.loads(takeaways)) if isinstance(takeaways, str) else takeaways


def match_expression(words: Sequence[str]) -> str:
    """Return an FTS5 query that needs every word: each is quoted, so none is syntax."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


async def matching_ids(
    session: AsyncSession, dialect: str, words: Sequence[str], *, limit: int, offset: int
) -> list[int]:
    """Return ids of articles holding every word, best match first, newest among equals.

    Only the newest RANK_WINDOW matches are ranked."""
    if dialect == "postgresql":
        return await _postgres_ids(session, " ".join(words), limit=limit, offset=offset)
    return await _sqlite_ids(session, words, limit=limit, offset=offset)


async def _sqlite_ids(
    session: AsyncSession, words: Sequence[str], *, limit: int, offset: int
) -> list[int]:
    params: dict[str, object] = {
        "match": match_expression(words),
        "window": RANK_WINDOW,
        "limit": limit,
        "offset": offset,
    }
    common = await _common_words(session, words)
    if not common:
        sql = _SQLITE_RANKED
    elif len(common) == len(words):
        sql = _SQLITE_NEWEST
    else:
        sql = _SQLITE_RANKED_BY_SOME
        params["ranked"] = match_expression([word for word in words if word not in common])
    result = await session.execute(text(sql), params)
    return [int(article_id) for article_id in result.scalars()]


async def _common_words(session: AsyncSession, words: Sequence[str]) -> set[str]:
    """Return the words found in more than one in eight of the newest articles ("the", "і").

    They still have to match, but they do not rank. bm25 gives them little weight (an inverse
    document frequency under 2, against 5 to 12 for the words that tell articles apart; none at
    all past one in two), yet FTS5 counts every article holding a word to work it out, some
    40 ms for a word in every article of a million. The probe takes a few steps per word."""
    probes = ", ".join(
        "(SELECT rowid FROM article_search WHERE article_search MATCH "
        f":w{number} ORDER BY rowid DESC LIMIT 1 OFFSET {PROBE - 1})"
        for number in range(len(words))
    )
    params = {f"w{number}": match_expression([word]) for number, word in enumerate(words)}
    row = (
        await session.execute(text(f"SELECT (SELECT max(id) FROM articles), {probes}"), params)
    ).one()
    newest = row[0]
    # PROBE matches among the newest 8 * PROBE articles: more than one in eight.
    return {
        word
        for word, found in zip(words, row[1:], strict=True)
        if newest is not None and found is not None and newest - found < 8 * PROBE
    }


async def _postgres_ids(
    session: AsyncSession, words: str, *, limit: int, offset: int
) -> list[int]:
    params: dict[str, object] = {
        "words": words,
        "probe": PROBE,
        "dense": _DENSE_COST_RATIO * RANK_WINDOW * PROBE * PROBE,
        "window": RANK_WINDOW,
        "limit": limit,
        "offset": offset,
    }
    newest, found, indexscan, plan_cache, *_ = (
        await session.execute(text(_PG_PROBE), params)
    ).one()
    ids = [] if newest is None else await _postgres_window(session, params, newest, found)
    params.update(ids=ids, indexscan=indexscan, plan_cache=plan_cache)
    result = await session.execute(text(_PG_RANK_RESTORING), params)
    return [int(article_id) for article_id in result.scalars() if article_id is not None]


def _postgres_dense(found: int, newest: int) -> bool:
    """Return whether walking the primary key beats reading the GIN index for a query found
    `found` times among the newest PROBE of `newest` articles.

    With a share d of articles matching, the walk reads RANK_WINDOW / d rows, while the index
    puts every match, d * newest of them, in a bitmap; a row costs _DENSE_COST_RATIO times a
    bitmap entry (about 5 against 0.14 microseconds, measured). At a million articles the walk
    wins from about one article in sixteen."""
    return found * found * newest >= _DENSE_COST_RATIO * RANK_WINDOW * PROBE * PROBE


async def _postgres_window(
    session: AsyncSession, params: dict[str, object], newest: int, found: int
) -> list[int]:
    """Return the ids of the newest RANK_WINDOW matches, newest first."""
    if _postgres_dense(found, newest):
        # Walk down at most twice as far as the probe says the window reaches.
        walk = 2 * RANK_WINDOW * PROBE // found
        ids = await _ids(session, _PG_WINDOW_DENSE, {**params, "since": newest - walk})
        if len(ids) == RANK_WINDOW or newest - walk <= 0:
            return ids
        # The newest articles made the query look commoner than it is: use the index after all.
        await session.execute(text(_PG_USE_INDEX))
        span = walk * max(4, 2 * RANK_WINDOW // max(len(ids), 1))
    else:
        # A range expected to hold twice the window (four times when the probe found none).
        span = (2 if found else 4) * RANK_WINDOW * PROBE // max(found, 1)
    # Each try reads the index entries of every word again, so a try should rarely fall short:
    # the next range is where the matches found so far say the window is.
    while newest - span > 0:
        ids = await _ids(session, _PG_WINDOW_SINCE, {**params, "since": newest - span})
        if len(ids) == RANK_WINDOW:
            return ids
        span *= max(4, 2 * RANK_WINDOW // max(len(ids), 1))
    return await _ids(session, _PG_WINDOW_ALL, params)


async def _ids(session: AsyncSession, sql: str, params: dict[str, object]) -> list[int]:
    return [int(article_id) for article_id in (await session.execute(text(sql), params)).scalars()]
