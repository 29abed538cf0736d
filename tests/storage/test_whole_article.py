"""The whole article in the store: every section kept, and a later file updating it in place."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from bot.domain.articles import (
    QA,
    Analysis,
    Article,
    Connection,
    EntityKind,
    Graph,
    identity_key,
    parse_article,
)
from storage.database import Database
from storage.rows import article_rows
from storage.staging import write_stage
from tests.conftest import FIXED_NOW
from tests.storage.old_rows import add_old_article

DATA = Path(__file__).parents[1] / "data" / "articles"
LATER = FIXED_NOW + timedelta(hours=5)


def rich() -> Article:
    return parse_article((DATA / "zelensky-energy-ministers.txt").read_text(encoding="utf-8"))


def simple() -> Article:
    return parse_article((DATA / "energy-strikes-kyiv.txt").read_text(encoding="utf-8"))


def re_exported(article: Article) -> Article:
    """The same article rendered again: a grown graph, a new analysis, other tags."""
    assert article.graph is not None
    graph = Graph(
        article.graph.main,
        (
            *(row._replace(shared=row.shared + 1) for row in article.graph.connections),
            Connection("Kaja Kallas", EntityKind.PERSON, 2),
        ),
    )
    analysis = Analysis(why_it_matters="Heat in winter.", faq=(QA("Who pays?", "The EU fund."),))
    tags = tuple(tag for tag in article.tags if tag != "Ukrenergo")
    return dataclasses.replace(
        article, graph=graph, analysis=analysis, tags=(*tags, "Kaja Kallas"), content_hash=""
    )


async def test_every_section_of_a_rich_article_reads_back(db: Database) -> None:
    article = rich()
    async with db.transaction() as repos:
        outcome = await repos.articles.add_many([article, simple()], FIXED_NOW)
    async with db.read() as repos:
        stored = await repos.articles.get_many(outcome.new_ids)
        entities = (
            await repos.session.execute(
                text("SELECT role, name FROM article_entities ORDER BY role, position")
            )
        ).all()
        rows = (
            await repos.session.execute(
                text("SELECT main, name, kind, shared FROM article_connections ORDER BY position")
            )
        ).all()
    assert [s.article for s in stored] == [article, simple()]
    assert (
        stored[0].article.source
        == "https://www.example-news.com/world/zelensky-energy-ministers-grid"
    )
    assert ("related", "Volodymyr Zelensky") in [tuple(row) for row in entities]
    assert tuple(rows[0]) == ("Volodymyr Zelensky", "Donald Trump", "person", 14)


async def test_a_re_export_updates_the_article_in_place(db: Database) -> None:
    first = rich()
    async with db.transaction() as repos:
        (article_id,) = (await repos.articles.add_many([first], FIXED_NOW)).new_ids
    second = re_exported(first)
    assert identity_key(second) == identity_key(first)
    async with db.transaction() as repos:
        outcome = await repos.articles.add_many([second], LATER)
        again = await repos.articles.add_many([second], LATER)
    async with db.read() as repos:
        stored = await repos.articles.get(article_id)
        count = await repos.articles.count()
        by_new_tag = await repos.articles.find("#Kaja Kallas", limit=5)
        by_old_tag = await repos.articles.find("#Ukrenergo", limit=5)
        by_text = await repos.articles.search_text("Zelensky ministers", limit=5)
    assert (outcome.new_ids, outcome.updated, outcome.known) == ((), 1, 0)
    assert (again.new_ids, again.updated, again.known) == ((), 0, 1)
    assert stored is not None
    assert count == 1
    assert stored.article == second
    assert stored.ingested_at == FIXED_NOW
    assert stored.published_at == FIXED_NOW
    assert [s.id for s in by_new_tag] == [article_id]
    assert [s.id for s in by_old_tag] == []
    assert [s.id for s in by_text] == [article_id]


async def test_several_files_of_one_article_in_a_batch_keep_the_last(db: Database) -> None:
    first = rich()
    async with db.transaction() as repos:
        outcome = await repos.articles.add_many([first, re_exported(first)], FIXED_NOW)
        stored = await repos.articles.get(outcome.new_ids[0])
    assert (len(outcome.new_ids), outcome.updated, outcome.known) == (1, 1, 0)
    assert stored is not None
    assert stored.article == re_exported(first)


async def test_a_staged_re_export_updates_the_article_in_place(tmp_path: Path) -> None:
    # SQLite only: staging files are how parser processes hand their rows to a SQLite store.
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'staged.db'}")
    await db.upgrade()
    first = rich()

    async def load(name: str, articles: list[Article], now: object) -> tuple[int, int, int]:
        staged = write_stage(str(tmp_path / name), [article_rows("sqlite", a) for a in articles])
        async with db.transaction(trusted=True, stage=staged.path) as repos:
            outcome = await repos.articles.add_staged(staged, now)  # type: ignore[arg-type]
        return len(outcome.new_ids), outcome.updated, outcome.known

    try:
        assert await load("1.db", [first, simple()], FIXED_NOW) == (2, 0, 0)
        assert await load("2.db", [re_exported(first), simple()], LATER) == (0, 1, 1)
        assert await load("3.db", [re_exported(first)], LATER) == (0, 0, 1)
        async with db.read() as repos:
            stored = await repos.articles.get(1)
            by_new_tag = await repos.articles.find("#Kaja Kallas", limit=5)
            by_text = await repos.articles.search_text("Zelensky ministers", limit=5)
            count = await repos.articles.count()
    finally:
        await db.dispose()
    assert stored is not None
    assert stored.article == re_exported(first)
    assert stored.ingested_at == FIXED_NOW
    assert count == 2
    assert [s.id for s in by_new_tag] == [1]
    assert [s.id for s in by_text] == [1]


async def test_the_migration_gives_stored_articles_their_identity(tmp_path: Path) -> None:
    # SQLite only: articles stored by revision 0105, two files of one article among them.
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await db.upgrade("0105")
    plain = dataclasses.replace(
        rich(), related=(), entities=(), graph=None, analysis=None, original=(), source=None
    )
    plain = dataclasses.replace(plain, content_hash="")
    changed = dataclasses.replace(plain, takeaways=("Corrected.",), content_hash="")
    later = dataclasses.replace(plain, graph=rich().graph, content_hash="")
    try:
        async with db.transaction() as repos:
            await add_old_article(repos.session, 1, plain)
            await add_old_article(repos.session, 2, changed)
        await db.upgrade()
        async with db.transaction() as repos:
            outcome = await repos.articles.add_many([later], LATER)
            keys = (
                await repos.session.execute(
                    text("SELECT id, identity_key FROM articles ORDER BY id")
                )
            ).all()
            stored = await repos.articles.get(1)
    finally:
        await db.dispose()
    # Without a source the identity is the title and retelling: the first stored copy keeps
    # it, and a later file of the article updates that one.
    assert [tuple(row) for row in keys] == [(1, identity_key(plain)), (2, None)]
    assert (outcome.new_ids, outcome.updated) == ((), 1)
    assert stored is not None
    assert stored.article == later
