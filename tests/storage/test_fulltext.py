"""Free-text search on SQLite FTS5 and PostgreSQL tsvector: the same answers on both."""

from __future__ import annotations

import asyncio
import json
import random
import unicodedata
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.domain.articles import Article
from storage import fulltext
from storage.database import Database
from storage.fulltext import RANK_WINDOW
from tests.conftest import FIXED_NOW, POSTGRES_URL, postgres_admin


def article(
    title: str,
    *,
    takeaways: tuple[str, ...] = ("Nothing else to add.",),
    retelling: tuple[str, ...] = ("No details yet.",),
    tags: tuple[str, ...] = ("News",),
    hours_ago: int = 0,
) -> Article:
    return Article(
        title=title,
        tags=tags,
        takeaways=takeaways,
        retelling=retelling,
        published_at=FIXED_NOW - timedelta(hours=hours_ago),
    )


HEATING = article(
    "Київ відновив опалення",
    takeaways=("Бригади працювали всю ніч.", "Heating is back in most districts."),
    retelling=("«Укренерго» каже, що мережа стабільна.", "Ремонт тривав дві доби."),
    hours_ago=1,
)
GRAIN = article(
    "Grain corridor reopens at Odesa",
    takeaways=("Ships leave the port again.",),
    retelling=('Officials called the convoy "a test" (off the coast) - 50% loaded.',),
    hours_ago=2,
)
CAFE = article(
    "Café owners in Straße district",
    retelling=("Ёлка стоит на площади; Łódź sends greetings.",),
    hours_ago=3,
)


async def store(db: Database, *articles: Article) -> list[int]:
    async with db.transaction() as repos:
        outcome = await repos.articles.add_many(list(articles), FIXED_NOW)
    return list(outcome.new_ids)


async def titles(db: Database, query: str, *, limit: int = 10, offset: int = 0) -> list[str]:
    async with db.transaction() as repos:
        found = await repos.articles.search_text(query, limit=limit, offset=offset)
    return [stored.article.title for stored in found]


FREE_TEXT = [
    ("grain", [GRAIN.title]),
    ("ships port", [GRAIN.title]),  # takeaways
    ("convoy coast", [GRAIN.title]),  # retelling
    ("ships kyiv", [GRAIN.title]),  # any word finds an article
    ("heating", [HEATING.title]),  # English takeaway of a Ukrainian article
    ("corridors", [GRAIN.title]),  # stems, not words
    ("corr", []),  # not prefixes
]


async def test_free_text_finds_words_in_title_takeaways_and_retelling(db: Database) -> None:
    await store(db, HEATING, GRAIN, CAFE)
    found = {query: await titles(db, query) for query, _ in FREE_TEXT}
    assert found == dict(FREE_TEXT)


CYRILLIC_QUERIES = [
    "КИЇВ",
    "київ",
    "КиЇв",
    "ОПАЛЕННЯ київ",
    "укренерго",
    "УКРЕНЕРГО!",
    "«Київ»",
    unicodedata.normalize("NFD", "КИЇВ"),
    "бригади ніч",
]


async def test_cyrillic_matches_in_any_case(db: Database) -> None:
    await store(db, HEATING, GRAIN, CAFE)
    found = {query: await titles(db, query) for query in CYRILLIC_QUERIES}
    assert found == {key: [HEATING.title] for key in CYRILLIC_QUERIES}


async def test_text_stored_decomposed_is_found_by_composed_queries(db: Database) -> None:
    decomposed = article(unicodedata.normalize("NFD", "Йод і їжак у Києві"))
    await store(db, decomposed)
    for query in ("ЙОД", "їжак", "києві"):
        assert await titles(db, query) == [decomposed.title], query


FOLDED_QUERIES = ["cafe", "CAFÉ", "strasse", "STRASSE", "straße", "елка", "ЁЛКА", "lodz", "ŁÓDŹ"]


async def test_latin_diacritics_sharp_s_and_yo_fold_alike(db: Database) -> None:
    await store(db, HEATING, GRAIN, CAFE)
    found = {query: await titles(db, query) for query in FOLDED_QUERIES}
    assert found == {key: [CAFE.title] for key in FOLDED_QUERIES}


HOSTILE = [
    "",
    "   ",
    '"',
    '""',
    "'",
    "\\",
    "*",
    "^",
    ":",
    "-",
    "+",
    "(",
    ")",
    "()",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(a b, 2)",
    "x OR",
    "OR OR OR",
    "NOT NOT",
    "title:",
    "{title retelling}:",
    "%",
    "_",
    "%_%",
    "!",
    "&",
    "|",
    "<->",
    "& | ! <-> <2> :* :A",
    "'; DROP TABLE articles; --",
    "\x00",
    "🔥🔥",
    "\u200d\ufe0f",
    "ﷺ",
    "x" * 5000,
    " ".join(["word"] * 500),
    "\ud800",
]


async def test_hostile_syntax_never_raises(db: Database) -> None:
    await store(db, HEATING, GRAIN, CAFE)
    for query in HOSTILE:
        assert await titles(db, query) == [], repr(query)
        async with db.transaction() as repos:
            assert await repos.articles.find(query, limit=3) == [], repr(query)
    # A query of nothing but common words still looks for them: GRAIN says "a test".
    assert await titles(db, "a OR") == [GRAIN.title]


WRAPPED_QUERIES = [
    '"grain',
    'grain"',
    "grain*",
    "^grain",
    "-grain",
    "+grain",
    "grain:",
    "{}: grain",
    "grain:*",
    "grain <~> corridor",
    "grain & !corridor",
    "(grain",
    "grain <-> corridor",
    "GRAIN!!!",
    "'grain'",
    "%grain%",
    "grain\x00",
    "corridor, grain.",
]


async def test_syntax_around_words_is_only_punctuation(db: Database) -> None:
    await store(db, HEATING, GRAIN, CAFE)
    found = {query: await titles(db, query) for query in WRAPPED_QUERIES}
    assert found == {key: [GRAIN.title] for key in WRAPPED_QUERIES}


async def test_random_garbage_never_raises(db: Database) -> None:
    await store(db, HEATING, GRAIN, CAFE)
    alphabet = list("\"'*^:-+(){}[]%_!&|<>~@#$\\/.,;=?` \t\nAORNTkiyvКИЇВїé0123456789🔥")
    alphabet += ["AND", "OR", "NOT", "NEAR", "<->", ":*", "grain", "київ"]
    rng = random.Random(5)
    async with db.transaction() as repos:
        for _ in range(300):
            query = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
            await repos.articles.search_text(query, limit=5)
            await repos.articles.find(query, limit=5)


async def test_more_words_rank_first_and_newest_first_among_equals(db: Database) -> None:
    both = article("Drone strike on the port", hours_ago=30)
    twice = article(
        "Night report",
        takeaways=("A drone fell; another drone was stopped.",),
        hours_ago=20,
    )
    older = article("Morning report", retelling=("One drone was seen.",), hours_ago=10)
    newer = article("Evening report", retelling=("Drones were seen.",), hours_ago=5)
    await store(db, both, twice, older, newer)
    # How often a word occurs, or where, does not count: how many of the words do.
    assert await titles(db, "drone") == [newer.title, older.title, twice.title, both.title]
    assert await titles(db, "drones port") == [
        both.title,
        newer.title,
        older.title,
        twice.title,
    ]
    assert await titles(db, "DRONE", limit=2, offset=2) == [twice.title, both.title]
    assert await titles(db, "drone", limit=2, offset=4) == []


async def test_deleted_articles_leave_the_index(db: Database) -> None:
    grain_id, *_ = await store(db, GRAIN, HEATING, CAFE)
    async with db.transaction() as repos:
        assert await repos.articles.delete(grain_id)
    assert await titles(db, "grain") == []
    assert await titles(db, "київ") == [HEATING.title]


async def test_an_article_ingested_twice_is_indexed_once(db: Database) -> None:
    await store(db, GRAIN)
    await store(db, GRAIN, GRAIN)
    assert await titles(db, "grain") == [GRAIN.title]


async def test_pages_end_at_the_rank_window(db: Database) -> None:
    await store(db, GRAIN)
    assert await titles(db, "grain", offset=RANK_WINDOW) == []
    assert await titles(db, "grain", limit=0) == []


async def test_find_prefers_a_known_label_and_falls_back_to_free_text(db: Database) -> None:
    tagged = article("Quiet day", tags=("Odesa",), hours_ago=5)
    await store(db, GRAIN, tagged, HEATING)
    async with db.transaction() as repos:
        by_label = await repos.articles.find("#ODESA", limit=5)
        by_text = await repos.articles.find("odesa corridor", limit=5)
        by_unknown_label = await repos.articles.find("КИЇВ", limit=5)
    # "Odesa" names a hashtag: its articles, not the one that only mentions the city.
    assert [s.article.title for s in by_label] == [tagged.title]
    assert [s.article.title for s in by_text] == [GRAIN.title]
    assert [s.article.title for s in by_unknown_label] == [HEATING.title]


# --- the migration fills the index from articles stored before it ------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no schema at all."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    name = f"digestbot_search_{uuid.uuid4().hex[:12]}"

    try:
        asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def old_db(empty_url: str) -> AsyncIterator[Database]:
    """A database migrated only to the schema before full-text search."""
    database = Database(empty_url)
    await database.upgrade("0001")
    yield database
    await database.dispose()


async def test_the_migration_indexes_articles_stored_before_it(old_db: Database) -> None:
    # Articles stored with the old schema: the index does not exist yet, so skip it.
    insert = text(
        "INSERT INTO articles (content_hash, title, takeaways, retelling, ingested_at, sort_at) "
        "VALUES (:hash, :title, :takeaways, :retelling, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    async with old_db.engine.begin() as connection:
        for stored in (GRAIN, HEATING):
            await connection.execute(
                insert,
                {
                    "hash": stored.content_hash,
                    "title": stored.title,
                    "takeaways": json.dumps(list(stored.takeaways), ensure_ascii=False),
                    "retelling": "\n".join(stored.retelling),
                },
            )
    await old_db.upgrade()
    assert await titles(old_db, "КИЇВ") == [HEATING.title]
    assert await titles(old_db, "ships") == [GRAIN.title]
    assert await titles(old_db, "convoy") == [GRAIN.title]
    # The rebuilt index forgets a deleted article like one indexed at ingest.
    async with old_db.transaction() as repos:
        (grain,) = await repos.articles.search_text("convoy", limit=1)
        assert await repos.articles.delete(grain.id)
    assert await titles(old_db, "convoy") == []
    assert await titles(old_db, "КИЇВ") == [HEATING.title]


# --- every way a query is answered ---------------------------------------------------------------


def numbered(number: int) -> Article:
    """Article `number` of 100, each hour newer than the one before; equal in length."""
    words = (
        "mid" if number % 4 == 0 else "pad",
        "tenth" if number % 10 == 0 else "pad",
        "rare" if number in {1, 2} else "pad",
        "burst" if number in {10, 11, 98, 99} else "pad",
    )
    return article(
        f"Report {number}", retelling=(f"common {' '.join(words)}",), hours_ago=100 - number
    )


PLANS = [
    # SQLite: in every article, no ranking. PostgreSQL: the first try's newest ids hold three.
    ("common", [99, 98, 97]),
    # SQLite: one in four, no ranking either. PostgreSQL: a second try, as far back as the one
    # match of the first says.
    ("mid", [96, 92, 88]),
    # PostgreSQL: none among the newest, so the next try reaches sixteen times further.
    ("tenth", [90, 80, 70]),
    ("common TENTH", [90, 80, 70]),  # both words before one
    ("rare", [2, 1]),  # fewer than a window anywhere: every id
    ("burst", [99, 98, 11]),  # looks common among the newest, is not: three tries
    ("rare tenth", [90, 80, 70]),  # none holds both: the newest holding either
    ("rare common", [2, 1, 99]),  # both rare ones hold both words, found however old
]
# PostgreSQL: ids this far apart, so the tries cover different articles (see RANGE_SHIFTS).
ID_GAP = 500


async def store_numbered(db: Database) -> None:
    for number in range(100):
        if db.dialect == "postgresql":
            async with db.transaction() as repos:
                await repos.session.execute(
                    text("SELECT setval(pg_get_serial_sequence('articles', 'id'), :id)"),
                    {"id": number * ID_GAP + 1},
                )
        await store(db, numbered(number))


async def plan_results(db: Database) -> dict[str, list[int]]:
    found = {}
    async with db.transaction() as repos:
        for query, _ in PLANS:
            articles = await repos.articles.search_text(query, limit=10)
            found[query] = [int(stored.article.title.split()[1]) for stored in articles]
        if db.dialect == "postgresql":
            # No plan setting outlives a search.
            settings = await repos.session.execute(
                text(
                    "SELECT current_setting('enable_indexscan'), "
                    "current_setting('plan_cache_mode')"
                )
            )
            assert tuple(settings.one()) == ("on", "auto")
    return found


async def test_every_plan_returns_the_newest_matches_of_the_window(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fulltext, "RANK_WINDOW", 3)
    await store_numbered(db)
    assert await plan_results(db) == dict(PLANS)
    # PostgreSQL: ranges as wide as every id, then past the largest blocks (every id at once).
    monkeypatch.setattr(fulltext, "WIDEST_RANGE", 1)
    assert await plan_results(db) == dict(PLANS)
    monkeypatch.setattr(fulltext, "RANGE_SHIFTS", (10,))
    assert await plan_results(db) == dict(PLANS)


@pytest.mark.postgres
async def test_postgres_tries_read_the_ranged_index(postgres_url: str) -> None:
    # The index is built by migration 0104 from its own copy of RANGED_SQL: were the two to
    # differ, the planner could not use it and every search would read the whole table.
    database = Database(postgres_url)
    params: dict[str, object] = {"query": "grain", "window": 3}
    params.update(span=2048, shift=10, prefix="_10_")
    try:
        async with database.transaction() as repos:
            await repos.session.execute(text("SET LOCAL enable_seqscan = off"))
            for sql in (fulltext._PG_RANGE_TRY, fulltext._PG_LAST_TRY):
                plan = await repos.session.execute(text(f"EXPLAIN {sql}"), params)
                assert "ix_article_search_ranged" in "\n".join(plan.scalars()), sql
    finally:
        await database.dispose()
