from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.domain.articles import Article
from storage.database import Database
from tests.conftest import FIXED_NOW


def make_article(title: str, tags: tuple[str, ...] = ("Kyiv",), **extra: object) -> Article:
    fields: dict[str, object] = {
        "title": title,
        "tags": tags,
        "takeaways": (f"{title}: first takeaway", "second takeaway"),
        "retelling": (f"{title} paragraph one.", 'Paragraph two with <b> & "quotes".'),
        "themes": ("Energy Security",),
    }
    fields.update(extra)
    return Article(**fields)  # type: ignore[arg-type]


async def test_same_article_ingested_twice_is_stored_once(db: Database) -> None:
    article = make_article("Strikes on the grid")
    async with db.transaction() as repos:
        first = await repos.articles.add_many([article], FIXED_NOW)
    async with db.transaction() as repos:
        second = await repos.articles.add_many([article, article], FIXED_NOW)
        count = await repos.articles.count()
    assert len(first.new_ids) == 1
    assert first.known == 0
    assert second.new_ids == ()
    assert second.known == 2
    assert count == 1


async def test_stored_article_reads_back_as_written(db: Database) -> None:
    article = make_article(
        "Київ <script>alert(1)</script> & more",
        tags=("Київ", "Russia-Ukraine War", "Power grid"),
        entity_graph="No entity connections available yet for this article.",
    )
    async with db.transaction() as repos:
        outcome = await repos.articles.add_many([article], FIXED_NOW)
    async with db.transaction() as repos:
        stored = await repos.articles.get(outcome.new_ids[0])
    assert stored is not None
    assert stored.article == article
    assert stored.article.content_hash == article.content_hash
    assert stored.ingested_at == FIXED_NOW


@pytest.mark.parametrize("query", ["peace-talks", "#Peace_talks", "PEACE TALKS", "peace  talks"])
async def test_search_folds_the_label_however_it_is_typed(db: Database, query: str) -> None:
    async with db.transaction() as repos:
        await repos.articles.add_many(
            [
                make_article("Talks resume", tags=("Peace talks", "Geneva")),
                make_article("Unrelated", tags=("Sports",)),
            ],
            FIXED_NOW,
        )
    async with db.transaction() as repos:
        found = await repos.articles.search(query, limit=10)
    assert [stored.article.title for stored in found] == ["Talks resume"]


@pytest.mark.parametrize("query", ["КИЇВ", "київ", "#Київ", "Київ"])
async def test_cyrillic_labels_fold_beyond_ascii(db: Database, query: str) -> None:
    async with db.transaction() as repos:
        await repos.articles.add_many([make_article("Столиця", tags=("Київ",))], FIXED_NOW)
    async with db.transaction() as repos:
        found = await repos.articles.search(query, limit=10)
    assert [stored.article.title for stored in found] == ["Столиця"]


async def test_search_finds_themes_and_returns_newest_first(db: Database) -> None:
    articles = [
        make_article(f"Story {n}", tags=(f"tag{n}",), published_at=FIXED_NOW - timedelta(hours=n))
        for n in range(5)
    ]
    async with db.transaction() as repos:
        await repos.articles.add_many(articles, FIXED_NOW)
    async with db.transaction() as repos:
        found = await repos.articles.search("energy-security", limit=3)
        page_two = await repos.articles.search("ENERGY SECURITY", limit=3, offset=3)
    assert [s.article.title for s in found] == ["Story 0", "Story 1", "Story 2"]
    assert [s.article.title for s in page_two] == ["Story 3", "Story 4"]


async def test_label_spelling_variants_share_one_label(db: Database) -> None:
    async with db.transaction() as repos:
        await repos.articles.add_many(
            [
                make_article("One", tags=("Peace talks",)),
                make_article("Two", tags=("peace-talks",)),
            ],
            FIXED_NOW,
        )
        labels = await repos.labels.find("PEACE_TALKS")
    assert [(label.kind.value, label.name) for label in labels] == [("tag", "Peace talks")]


async def test_subscriptions_add_and_remove_report_what_changed(db: Database) -> None:
    async with db.transaction() as repos:
        await repos.articles.add_many(
            [make_article("One", tags=("Kyiv", "Power grid"))], FIXED_NOW
        )
        await repos.chats.ensure(42, "private", None, FIXED_NOW)
        kyiv = (await repos.labels.find("kyiv"))[0]
        grid = (await repos.labels.find("power grid"))[0]
        assert await repos.subscriptions.add(42, [kyiv.id, grid.id], FIXED_NOW) == [
            kyiv.id,
            grid.id,
        ]
        assert await repos.subscriptions.add(42, [kyiv.id], FIXED_NOW) == []
    async with db.transaction() as repos:
        assert await repos.subscriptions.remove(42, [kyiv.id]) == [kyiv.id]
        assert await repos.subscriptions.remove(42, [kyiv.id]) == []
        assert [label.name for label in await repos.subscriptions.for_chat(42)] == ["Power grid"]


async def test_failed_unit_of_work_leaves_nothing_behind(db: Database) -> None:
    async def crash_halfway() -> None:
        async with db.transaction() as repos:
            await repos.articles.add_many([make_article("Half done")], FIXED_NOW)
            raise RuntimeError("crash in the middle")

    with pytest.raises(RuntimeError):
        await crash_halfway()
    async with db.transaction() as repos:
        assert await repos.articles.count() == 0


async def test_naive_datetimes_are_refused(db: Database) -> None:
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test

    async def store_naive() -> None:
        async with db.transaction() as repos:
            await repos.articles.add_many([make_article("Naive")], naive)

    with pytest.raises(ValueError, match="naive"):
        await store_naive()


async def test_upgrade_twice_is_harmless(db: Database) -> None:
    await db.upgrade()
    await db.upgrade()
    await db.ping()


async def test_an_ingest_leaves_references_checked_for_everything_else(db: Database) -> None:
    async with db.transaction(trusted=True) as repos:
        (article_id,) = (
            await repos.articles.add_many([make_article("Trusted")], FIXED_NOW)
        ).new_ids
    dangling = text(
        "INSERT INTO article_labels (article_id, label_id, sort_key, position) "
        "VALUES (:article, 987654, 0, 0)"
    )
    with pytest.raises(IntegrityError):
        async with db.transaction() as repos:
            await repos.session.execute(dangling, {"article": article_id})
    # And deleting the article still takes its label links with it.
    async with db.transaction() as repos:
        assert await repos.articles.delete(article_id)
        links = await repos.session.scalar(text("SELECT count(*) FROM article_labels"))
    assert links == 0


_PROVISIONAL_ADD = "ALTER TABLE labels ADD COLUMN provisional BOOLEAN NOT NULL DEFAULT 0"


async def test_label_links_stored_before_they_were_clustered_survive_the_migration(
    tmp_path: Path,
) -> None:
    # SQLite only: migration 0105 rebuilds article_labels as a WITHOUT ROWID table.
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    await db.upgrade("0104")
    async with db.transaction() as repos:
        # Today's code writes the rows, and it knows labels.provisional (0106): the column is
        # there while it writes, and gone again before the migrations run.
        await repos.session.execute(text(_PROVISIONAL_ADD))
        first, second = (
            await repos.articles.add_many(
                [
                    make_article("Older", tags=("Kyiv", "Power grid")),
                    make_article("Newer", tags=("Power grid", "Kyiv")),
                ],
                FIXED_NOW,
            )
        ).new_ids
        await repos.session.execute(text("ALTER TABLE labels DROP COLUMN provisional"))
    await db.upgrade()
    async with db.transaction() as repos:
        table = await repos.session.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = 'article_labels'")
        )
        before = [stored.article.title for stored in await repos.articles.find("#Kyiv", limit=5)]
        stored = await repos.articles.get(second)
        assert await repos.articles.delete(first)
        links = await repos.session.scalar(text("SELECT count(*) FROM article_labels"))
    await db.dispose()
    assert "WITHOUT ROWID" in (table or "")
    assert sorted(before) == ["Newer", "Older"]
    # Tags keep the order of the article's own list.
    assert stored is not None
    assert stored.article.tags == ("Power grid", "Kyiv")
    # Deleting an article still takes its links along (the other article's three remain).
    assert links == 3


async def test_a_read_never_waits_for_a_write_in_progress(db: Database) -> None:
    async with db.transaction() as repos:
        await repos.articles.add_many([make_article("Committed")], FIXED_NOW)
    async with db.transaction(trusted=True) as writer:
        # An ingest batch being written holds the write lock (SQLite) until it commits ...
        await writer.articles.add_many([make_article("Being written")], FIXED_NOW)
        # ... and meanwhile a reader sees what was committed, at once (waiting for the lock
        # would end in "database is locked" after the busy timeout).
        async with db.read() as reader:
            titles = [s.article.title for s in await reader.articles.find("Kyiv", limit=5)]
    assert titles == ["Committed"]
    async with db.read() as reader:
        assert await reader.articles.count() == 2


async def test_a_read_refuses_to_write_on_sqlite(sqlite_template: Path, tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    shutil.copyfile(sqlite_template, path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    with pytest.raises(OperationalError, match="readonly"):
        async with db.read() as repos:
            await repos.articles.add_many([make_article("Sneaked in")], FIXED_NOW)
    # The connection goes back to the pool writable.
    async with db.transaction() as repos:
        await repos.articles.add_many([make_article("Written")], FIXED_NOW)
        count = await repos.articles.count()
    await db.dispose()
    assert count == 1
