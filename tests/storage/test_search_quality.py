"""Search quality on a small set of articles written for it: the expected article first, on
SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.articles import Article
from storage.database import Database
from tests.conftest import FIXED_NOW


def article(title: str, retelling: str, hours_ago: int) -> Article:
    return Article(
        title=title,
        tags=("News",),
        takeaways=("See the retelling.",),
        retelling=(retelling,),
        published_at=FIXED_NOW - timedelta(hours=hours_ago),
    )


# Older articles hold more of the words; newer ones hold some, to be ranked below.
ARTICLES = [
    article("Barges carry grain down the Danube", "Grain barges left Izmail at dawn.", 50),
    article("Grain prices", "Grain was cheaper this week.", 2),
    article("River traffic", "Barges queued at the locks.", 3),
    article("Drone attacks on the grid", "Engineers repaired the substations.", 40),
    article("Power cuts", "The grid was stable by night.", 1),
    article("Баржі із зерном вийшли з Ізмаїла", "Зерно везуть баржами Дунаєм.", 30),
    article("Ціни на зерно", "Зерно подешевшало.", 4),
    article("Баржи с зерном прошли шлюзы", "Зерновые баржи идут по Дунаю.", 20),
    article("Цены на зерно", "Зерно подешевело.", 5),
    article(
        "Insurance for ships calling at Odesa falls again",
        "War-risk premiums for vessels calling at Ukrainian ports fell for a third month.",
        60,
    ),
    article("Ships", "Ships were seen.", 6),
]

QUERIES = [
    ("grain barges", "Barges carry grain down the Danube"),
    ("barge", "River traffic"),  # "Barges": a stem, and the newest of those holding it
    ("repairs drones", "Drone attacks on the grid"),
    ("баржа зерно Ізмаїл", "Баржі із зерном вийшли з Ізмаїла"),
    ("зерновые баржи шлюзы", "Баржи с зерном прошли шлюзы"),
    # Ukrainian and Russian share the stems of these words: the newest of both comes first.
    ("баржами", "Баржи с зерном прошли шлюзы"),
    (
        "Are insurance premiums for ships calling at the ports of Odesa still falling this "
        "year, now that the war-risk is lower than it was a few months ago?",
        "Insurance for ships calling at Odesa falls again",
    ),
]


@pytest.mark.parametrize(("query", "best"), QUERIES)
async def test_the_expected_article_ranks_first(db: Database, query: str, best: str) -> None:
    async with db.transaction() as repos:
        await repos.articles.add_many(ARTICLES, FIXED_NOW)
    async with db.transaction() as repos:
        found, total = await repos.articles.search_page(query, limit=3)
    assert found, query
    assert found[0].article.title == best
    assert total >= len(found)


async def test_both_databases_rank_alike_newest_first_among_equals(db: Database) -> None:
    async with db.transaction() as repos:
        await repos.articles.add_many(ARTICLES, FIXED_NOW)
        found, total = await repos.articles.search_page("grain barges", limit=10)
    assert [stored.article.title for stored in found] == [
        "Barges carry grain down the Danube",  # both words
        "Grain prices",  # one word each, newest first
        "River traffic",
    ]
    assert total == 3
