"""A later file of a stored article, through `digestbot ingest`: updated in place, counted as
updated, never alerted or put in a digest a second time."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.articles import Article, Connection, EntityKind, Graph, format_article
from bot.domain.articles import parse_article as parse
from ingest.pipeline import PARALLEL_FROM, ingest
from sandbox.localapi import StoredMessage
from tests.delivery.conftest import ALICE, BOB, MONDAY, Bot, article

DATA = Path(__file__).parents[1] / "data" / "articles"
RICH = (DATA / "zelensky-energy-ministers.txt").read_text(encoding="utf-8")
SIMPLE = (DATA / "energy-strikes-kyiv.txt").read_text(encoding="utf-8")
RICH_TITLE = "Zelensky Meets Energy Ministers as Grid Repairs Race Winter"
SIMPLE_TITLE = "Russia Resumes Attacks on Ukraine’s Energy System Ahead of Peace Talks"
MON_SLOT = MONDAY + timedelta(hours=6)  # 08:00 in Kyiv


def grown(article: Article) -> Article:
    """The article rendered again after its graph grew."""
    assert article.graph is not None
    rows = (*article.graph.connections, Connection("Kaja Kallas", EntityKind.PERSON, 2))
    return dataclasses.replace(article, graph=Graph(article.graph.main, rows), content_hash="")


def titles(messages: list[StoredMessage]) -> list[str]:
    return [m.text.split("\n", 1)[0] for m in messages]


def folder(root: Path, name: str, files: dict[str, str]) -> str:
    path = root / name
    path.mkdir()
    for file, text in files.items():
        (path / file).write_text(text, encoding="utf-8")
    return str(path)


async def test_a_re_export_updates_in_place_and_is_never_alerted_again(
    bot: Bot, tmp_path: Path
) -> None:
    await bot.chat(BOB, ["Kyiv"], alerts=True)
    await bot.tick()
    bot.clock.set(MONDAY + timedelta(hours=2))
    report = await ingest(bot.db, [folder(tmp_path, "1", {"rich.txt": RICH})], bot.clock)
    assert report.summary() == "1 new, 0 updated, 0 already known, 0 refused"
    (article_id,) = report.new_ids
    await bot.tick()
    assert titles(bot.pushed(BOB)) == [RICH_TITLE]

    bot.clock.advance(hours=1)
    later = folder(
        tmp_path, "2", {"rich.txt": format_article(grown(parse(RICH))), "simple.txt": SIMPLE}
    )
    report = await ingest(bot.db, [later], bot.clock)
    assert report.summary() == "1 new, 1 updated, 0 already known, 0 refused"
    await bot.tick()
    await bot.tick()
    # The seed article is alerted; the rich one, already alerted, is not alerted again.
    assert titles(bot.pushed(BOB)) == [RICH_TITLE, SIMPLE_TITLE]
    async with bot.db.read() as repos:
        stored = await repos.articles.get(article_id)
        count = await repos.articles.count()
    assert stored is not None
    assert stored.article.graph == grown(parse(RICH)).graph
    assert stored.ingested_at == MONDAY + timedelta(hours=2)
    assert count == 2

    again = await ingest(bot.db, [later], bot.clock)
    assert again.summary() == "0 new, 0 updated, 2 already known, 0 refused"


async def test_a_re_export_is_never_in_a_digest_a_second_time(bot: Bot, tmp_path: Path) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    bot.clock.set(MON_SLOT - timedelta(hours=1))
    await ingest(bot.db, [folder(tmp_path, "1", {"rich.txt": RICH})], bot.clock)
    bot.clock.set(MON_SLOT)
    await bot.tick()
    (digest,) = bot.digests(ALICE)
    assert RICH_TITLE in digest.text
    bot.clock.set(MON_SLOT + timedelta(hours=1))
    later = folder(tmp_path, "2", {"rich.txt": format_article(grown(parse(RICH)))})
    report = await ingest(bot.db, [later], bot.clock)
    assert report.updated == 1
    bot.clock.set(MON_SLOT + timedelta(days=1))
    await bot.tick()
    assert len(bot.digests(ALICE)) == 1


@pytest.mark.parametrize("parsers", [0, 1])
async def test_a_large_batch_counts_updates_whichever_way_it_is_parsed(
    bot: Bot, tmp_path: Path, parsers: int
) -> None:
    # At PARALLEL_FROM files and more, parser processes hand over staging files (SQLite) or
    # rows (PostgreSQL); with no parsers, this process parses. Every way stores the same.
    await bot.chat(BOB, ["Kyiv"], alerts=True)
    await bot.tick()
    others = {
        f"{n:03}.txt": format_article(article(f"Story {n}", "Sports"))
        for n in range(PARALLEL_FROM)
    }
    first = folder(tmp_path, "1", {**others, "rich.txt": RICH, "simple.txt": SIMPLE})
    report = await ingest(bot.db, [first], bot.clock, parsers=parsers)
    assert report.summary() == f"{PARALLEL_FROM + 2} new, 0 updated, 0 already known, 0 refused"
    await bot.tick()
    assert sorted(titles(bot.pushed(BOB))) == sorted([RICH_TITLE, SIMPLE_TITLE])

    bot.clock.advance(hours=1)
    # Two later files of the rich article in one batch: the last one is kept.
    once = format_article(grown(parse(RICH)))
    twice = format_article(dataclasses.replace(grown(parse(RICH)), themes=(), content_hash=""))
    later = folder(tmp_path, "2", {**others, "rich.txt": once, "zz-rich.txt": twice})
    report = await ingest(bot.db, [later], bot.clock, parsers=parsers)
    assert report.summary() == f"0 new, 2 updated, {PARALLEL_FROM} already known, 0 refused"
    await bot.tick()
    assert len(bot.pushed(BOB)) == 2
    async with bot.db.read() as repos:
        (stored,) = await repos.articles.find(RICH_TITLE, limit=1)
    assert stored.article == parse(twice)
