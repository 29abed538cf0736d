"""Full-text search on both databases: what the index holds and how it is queried.

SQLite keeps a contentless FTS5 table `article_search` (rowid = article id, columns title,
takeaways, retelling) ranked with bm25: it holds the index only, not a second copy of the
text, so forgetting an article means telling FTS5 the folded text it was indexed with
(FORGET_SQL). PostgreSQL keeps `article_search(article_id, document tsvector)` with a GIN
index over each document and the ranges of ids it falls in (RANGED_SQL), ranked with ts_rank.
Both index text folded in Python by bot.domain.search, so case and Unicode folding never
depend on the database's locale; the ingest path writes the index rows with one driver-level
executemany (see add_index_rows).
"""

from __future__ import annotations

import json
import math
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
# SQLite: how many of the newest articles are looked at to tell how common a word is.
PROBE = 64

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

# PostgreSQL. The GIN index is over each document plus a few "range lexemes" (RANGED_SQL):
# for each shift in RANGE_SHIFTS, one names the block of 2 ** shift consecutive ids the article
# is in ("_14_61": ids 999,424 to 1,015,807). A query ANDed with the blocks that cover the
# newest ids costs about as much as reading the entries of that many ids, however common its
# words are, where the words alone would read every entry they have (a tenth of a million for
# a word in one article of ten, at a million articles): GIN steps through the shorter side of
# an AND and skips ahead in the longer. No folded word holds "_", so no query a person types
# can name a block. Migration 0104 builds the index from this very expression: the two must
# not differ, or the planner cannot use the index.
RANGE_SHIFTS = (10, 12, 14, 16, 18, 20)
RANGED_SQL = (
    "(document || array_to_tsvector(ARRAY["
    + ", ".join(f"'_{shift}_' || (article_id >> {shift})::text" for shift in RANGE_SHIFTS)
    + "]))"
)
# The first try looks at about this many of the newest ids; a common query finds its window
# there, a rarer one tells how far back the next try must reach.
FIRST_SPAN = 2048
# A try over more than 1 / WIDEST_RANGE of the ids reads every id instead. The blocks' own
# entries cost about as much as the words' by then, or the words are rare enough that reading
# all their entries is cheap (as for a query with fewer matches than a window).
WIDEST_RANGE = 8

_PG_QUERY = "plainto_tsquery('simple'::regconfig, :words)"
# One try, one round trip: the newest RANK_WINDOW matches among the ids covered by the blocks
# of 2 ** :shift ids that hold the newest :span ids, how many there are, the newest id, and
# the requested page of them ranked, but only if that many matches is the whole window or
# the blocks cover every id (otherwise the next try ranks). Ordering by `article_id + 0`
# keeps the planner off the primary key: walking it down from the newest article would test
# every article it passes.
_PG_TRY = """
    WITH newest AS MATERIALIZED (SELECT max(article_id) AS id FROM article_search),
    found AS MATERIALIZED (
        SELECT article_id FROM article_search WHERE {ranged} @@ {match}
        ORDER BY article_id + 0 DESC LIMIT :window
    ), counted AS MATERIALIZED (SELECT count(*) AS n FROM found)
    SELECT newest.id, counted.n, ranked.article_id
    FROM newest CROSS JOIN counted LEFT JOIN LATERAL (
        SELECT s.article_id FROM found AS f
        JOIN article_search AS s ON s.article_id = f.article_id
        JOIN articles AS a ON a.id = f.article_id
        WHERE {last}
        ORDER BY ts_rank(s.document, {query}) DESC, a.sort_at DESC, a.id DESC
        LIMIT :limit OFFSET :offset
    ) AS ranked ON true
"""
_PG_BLOCKS = """(
    SELECT string_agg(quote_literal(CAST(:prefix AS text) || block), ' | ')::tsquery
    FROM newest, generate_series(
        greatest(newest.id - CAST(:span AS bigint), 0) >> CAST(:shift AS integer),
        newest.id >> CAST(:shift AS integer)
    ) AS block
)"""
_PG_RANGE_TRY = _PG_TRY.format(
    ranged=RANGED_SQL,
    match=f"({_PG_QUERY} && {_PG_BLOCKS})",
    query=_PG_QUERY,
    last="counted.n = :window OR greatest(newest.id - CAST(:span AS bigint), 0) "
    ">> CAST(:shift AS integer) = 0",
)
# Past the largest blocks: every id, and always ranked.
_PG_LAST_TRY = _PG_TRY.format(ranged=RANGED_SQL, match=_PG_QUERY, query=_PG_QUERY, last="true")


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
    """Return the requested page of the newest RANK_WINDOW matches, ranked.

    Each try reads the index entries of a range of the newest ids; one that falls short tells
    how common the query is, and so how far back the next must reach."""
    params: dict[str, object] = {
        "words": words,
        "window": RANK_WINDOW,
        "limit": limit,
        "offset": offset,
    }
    span = FIRST_SPAN
    newest = None
    while True:
        shift = next((shift for shift in RANGE_SHIFTS if span <= 2 << shift), None)
        if shift is None or (newest is not None and span * WIDEST_RANGE >= newest):
            return (await _ranked(session, _PG_LAST_TRY, params))[2]
        # At most three blocks: the span fits in two, which may straddle a third.
        newest, found, ranked = await _ranked(
            session,
            _PG_RANGE_TRY,
            {**params, "span": span, "shift": shift, "prefix": f"_{shift}_"},
        )
        if newest is None:
            return []
        first = (max(newest - span, 0) >> shift) << shift
        if found == RANK_WINDOW or first == 0:
            return ranked
        covered = newest - first + 1
        # Twice the span the matches found say the window needs, and at least four times
        # this one (sixteen when nothing matched), so the tries are few.
        span = covered * (max(4, math.ceil(2 * RANK_WINDOW / found)) if found else 16)


async def _ranked(
    session: AsyncSession, sql: str, params: dict[str, object]
) -> tuple[int | None, int, list[int]]:
    """Run one try: return the newest id, the matches found and the page ranked (if any)."""
    rows = (await session.execute(text(sql), params)).all()
    newest, found = rows[0][0], rows[0][1]
    return newest, found, [int(row[2]) for row in rows if row[2] is not None]
