"""Full-text search on both databases: what the index holds and how it is queried.

SQLite keeps a contentless FTS5 table `article_search` (rowid = article id, columns title,
takeaways, retelling): it holds the index only, not a second copy of the text, so forgetting
an article means telling FTS5 the text it was indexed with (FORGET_SQL). PostgreSQL keeps
`article_search(article_id, document tsvector)` with a GIN index over each document and the
ranges of ids it falls in (RANGED_SQL). Both index the stems of the words, made in Python by
bot.domain.search, so folding and stemming never depend on the database, and both rank alike:
by how many of a query's stems an article holds, then newest first (ranked_ids). The ingest
path writes the index rows with one driver-level executemany (see add_index_rows).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.rows import index_fields

# Only the newest this many articles holding all of a query's stems, and as many holding any,
# are ranked, and at most this many results come back: a word found in half a million
# articles would otherwise cost a look at each of them. Readers of news want the best of the
# recent matches (33 pages of /topic cards), and this bounds every query's work.
RANK_WINDOW = 100

# The document of one article on PostgreSQL, from the stems of its title, takeaways and
# retelling. The weights no longer rank; they stay so the stored documents keep their form.
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

_PG_QUERY = "to_tsquery('simple'::regconfig, :query)"
# One try, one round trip: the newest id and the newest RANK_WINDOW matches among the ids
# covered by the blocks of 2 ** :shift ids that hold the newest :span ids. Ordering by
# `article_id + 0` keeps the planner off the primary key: walking it down from the newest
# article would test every article it passes.
_PG_TRY = """
    WITH newest AS MATERIALIZED (SELECT max(article_id) AS id FROM article_search),
    found AS MATERIALIZED (
        SELECT article_id FROM article_search WHERE {ranged} @@ {match}
        ORDER BY article_id + 0 DESC LIMIT :window
    )
    SELECT newest.id, found.article_id FROM newest LEFT JOIN found ON true
"""
_PG_BLOCKS = """(
    SELECT string_agg(quote_literal(CAST(:prefix AS text) || block), ' | ')::tsquery
    FROM newest, generate_series(
        greatest(newest.id - CAST(:span AS bigint), 0) >> CAST(:shift AS integer),
        newest.id >> CAST(:shift AS integer)
    ) AS block
)"""
_PG_RANGE_TRY = _PG_TRY.format(ranged=RANGED_SQL, match=f"({_PG_QUERY} && {_PG_BLOCKS})")
# Past the largest blocks: every id.
_PG_LAST_TRY = _PG_TRY.format(ranged=RANGED_SQL, match=_PG_QUERY)


def index_row(
    dialect: str, article_id: int, title: str, takeaways: Sequence[str], retelling: Sequence[str]
) -> tuple[int, str, str, str]:
    """Return the index row of one article: its id and its three fields' stems."""
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


# What the index holds of an article: (dialect, title, takeaways, retelling) -> three fields.
Fields = Callable[[str, str, Sequence[str], Sequence[str]], tuple[str, str, str]]


def rebuild_index(
    connection: Connection, dialect: str, *, batch: int = 2000, fields: Fields = index_fields
) -> None:
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
                (
                    article_id,
                    *fields(dialect, title, _listed(takeaways), retelling.split("\n")),
                )
                for article_id, title, takeaways, retelling in rows
            ],
        )
        after = rows[-1][0]


def _listed(takeaways: str | list[str]) -> list[str]:
    # JSON arrives as text from SQLite's driver and already decoded from asyncpg's.
    return list(json.loads(takeaways)) if isinstance(takeaways, str) else takeaways


def match_expression(words: Sequence[str], operator: str = " ") -> str:
    """Return an FTS5 query for words (all of them, or any with operator " OR "): each is
    quoted, so none is syntax."""
    return operator.join('"' + word.replace('"', '""') + '"' for word in words)


async def ranked_ids(session: AsyncSession, dialect: str, stems: Sequence[str]) -> list[int]:
    """Return ids of articles holding any of the stems: those holding more of them first,
    newest first among equals; at most RANK_WINDOW.

    The candidates are the newest RANK_WINDOW articles holding every stem and the newest
    RANK_WINDOW holding any, so every query's work is bounded, and an article holding all
    stems is found however many newer articles hold only some. Both databases pick the same
    candidates and order them the same way."""
    if not stems:
        return []
    if dialect == "postgresql":
        candidates = await _postgres_window(session, " & ".join(stems))
        if len(stems) > 1 and len(candidates) < RANK_WINDOW:
            # A full window of articles holding every stem outranks any that hold fewer.
            candidates += await _postgres_window(session, " | ".join(stems))
        return await _postgres_order(session, candidates, stems)
    params: dict[str, object] = {
        "all": match_expression(stems),
        "any": match_expression(stems, " OR "),
        "window": RANK_WINDOW,
    }
    params.update({f"s{number}": match_expression([one]) for number, one in enumerate(stems)})
    result = await session.execute(text(_sqlite_ranked(len(stems))), params)
    return [int(article_id) for article_id in result.scalars()]


def _sqlite_ranked(stems: int) -> str:
    """The SQLite query of ranked_ids for a query of this many stems: one round trip.

    An article of the first window holds every stem; one found only by the second holds at
    least one and at most all but one, so only those are counted, one rowid lookup per stem
    (none for two stems), and only when the first window is not full."""
    some = (
        " + ".join(
            f"EXISTS (SELECT 1 FROM article_search WHERE article_search MATCH :s{number} "
            "AND rowid = o.id)"
            for number in range(stems)
        )
        if stems > 2
        else "1"
    )
    return f"""
        WITH every AS MATERIALIZED (
            SELECT rowid AS id FROM article_search WHERE article_search MATCH :all
            ORDER BY rowid DESC LIMIT :window
        ), c(id, hits) AS (
            SELECT id, {stems} FROM every
            UNION ALL
            SELECT o.id, {some} FROM (
                SELECT rowid AS id FROM article_search WHERE article_search MATCH :any
                ORDER BY rowid DESC LIMIT :window
            ) AS o
            WHERE {stems} > 1 AND (SELECT count(*) FROM every) < :window
            AND o.id NOT IN (SELECT id FROM every)
        )
        SELECT c.id FROM c JOIN articles AS a ON a.id = c.id
        ORDER BY c.hits DESC, a.sort_at DESC, a.id DESC
        LIMIT :window
    """


async def _postgres_order(
    session: AsyncSession, candidates: Sequence[int], stems: Sequence[str]
) -> list[int]:
    """Order candidates as ranked_ids does, by the stems each one's document holds."""
    if not candidates:
        return []
    hits = " + ".join(
        f"(s.document @@ to_tsquery('simple'::regconfig, :s{number}))::int"
        for number in range(len(stems))
    )
    sql = text(
        "SELECT s.article_id FROM article_search AS s JOIN articles AS a ON a.id = s.article_id "
        f"WHERE s.article_id IN :ids ORDER BY {hits} DESC, a.sort_at DESC, a.id DESC "
        "LIMIT :window"
    ).bindparams(bindparam("ids", expanding=True))
    params: dict[str, object] = {"ids": sorted(set(candidates)), "window": RANK_WINDOW}
    params.update({f"s{number}": one for number, one in enumerate(stems)})
    return [int(article_id) for article_id in (await session.execute(sql, params)).scalars()]


async def _postgres_window(session: AsyncSession, query: str) -> list[int]:
    """Return the newest RANK_WINDOW ids matching a tsquery of stems (`a & b`, `a | b`).

    Each try reads the index entries of a range of the newest ids; one that falls short tells
    how common the query is, and so how far back the next must reach."""
    params: dict[str, object] = {"query": query, "window": RANK_WINDOW}
    span = FIRST_SPAN
    newest = None
    while True:
        shift = next((shift for shift in RANGE_SHIFTS if span <= 2 << shift), None)
        if shift is None or (newest is not None and span * WIDEST_RANGE >= newest):
            return (await _window_try(session, _PG_LAST_TRY, params))[1]
        # At most three blocks: the span fits in two, which may straddle a third.
        newest, found = await _window_try(
            session,
            _PG_RANGE_TRY,
            {**params, "span": span, "shift": shift, "prefix": f"_{shift}_"},
        )
        if newest is None:
            return []
        first = (max(newest - span, 0) >> shift) << shift
        if len(found) == RANK_WINDOW or first == 0:
            return found
        covered = newest - first + 1
        # Twice the span the matches found say the window needs, and at least four times
        # this one (sixteen when nothing matched), so the tries are few.
        span = covered * (max(4, math.ceil(2 * RANK_WINDOW / len(found))) if found else 16)


async def _window_try(
    session: AsyncSession, sql: str, params: dict[str, object]
) -> tuple[int | None, list[int]]:
    """Run one try: return the newest id and the matches found."""
    rows = (await session.execute(text(sql), params)).all()
    return rows[0][0], [int(row[1]) for row in rows if row[1] is not None]
