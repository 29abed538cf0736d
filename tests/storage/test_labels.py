"""Queries behind suggestions, active topics, topic paging and article removal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain.articles import Article
from bot.domain.commands import rank_suggestions
from bot.domain.labels import LabelKind, fold_label
from storage.database import Database
from storage.rows import article_rows
from storage.staging import write_stage
from tests.conftest import FIXED_NOW


def article(title: str, tags: tuple[str, ...], themes: tuple[str, ...] = ()) -> Article:
    return Article(title=title, tags=tags, takeaways=("t",), retelling=("r",), themes=themes)


async def test_similar_prefilters_and_ranking_finds_the_typo(db: Database) -> None:
    # Many labels, few of them anywhere near the typed one.
    wanted = {("tag", f"label_{n:05d}"): f"Label {n:05d}" for n in range(3000)}
    wanted[("tag", "kyiv")] = "Kyiv"
    wanted[("tag", "power_grid")] = "Power grid"
    wanted[("theme", "energy_security")] = "Energy Security"
    async with db.transaction() as repos:
        await repos.labels.ensure(wanted)
        kiev = await repos.labels.similar(fold_label("Kiev"))
        grid = await repos.labels.similar(fold_label("grid"))
        energy = await repos.labels.similar(fold_label("energy securty"))
        wild = await repos.labels.similar(fold_label("l_%"))
    assert len(kiev) < 100  # the prefilter did its job
    assert [label.name for label in rank_suggestions("kiev", kiev)] == ["Kyiv"]
    assert rank_suggestions("grid", grid)[0].name == "Power grid"
    assert rank_suggestions("energy_securty", energy)[0].kind is LabelKind.THEME
    # "_" and "%" in what people type are not LIKE wildcards.
    assert all(label.key.startswith("l") for label in wild)


async def test_active_labels_count_recent_articles(db: Database) -> None:
    old = FIXED_NOW - timedelta(days=30)
    async with db.transaction() as repos:
        await repos.articles.add_many(
            [article("a", ("Kyiv", "Odesa")), article("b", ("Kyiv",), ("War",))], FIXED_NOW
        )
        await repos.articles.add_many([article("c", ("Lviv",)), article("d", ("Lviv",))], old)
        recent = await repos.labels.active(FIXED_NOW - timedelta(days=7), limit=10)
        ever = await repos.labels.active(None, limit=2)
    assert [(label.name, count) for label, count in recent] == [
        ("Kyiv", 2),
        ("Odesa", 1),
        ("War", 1),
    ]
    assert [(label.name, count) for label, count in ever] == [("Kyiv", 2), ("Lviv", 2)]


async def test_count_and_delete_articles(db: Database) -> None:
    async with db.transaction() as repos:
        outcome = await repos.articles.add_many(
            [article("a", ("Kyiv",), ("Kyiv",)), article("b", ("Kyiv",))], FIXED_NOW
        )
        ids = [label.id for label in await repos.labels.find("kyiv")]
        assert await repos.articles.count_for_labels(ids) == 2
        assert await repos.articles.count_for_labels([]) == 0
        assert await repos.articles.delete(outcome.new_ids[0])
        assert not await repos.articles.delete(outcome.new_ids[0])
    async with db.transaction() as repos:
        assert await repos.articles.count_for_labels(ids) == 1
        assert await repos.articles.get(outcome.new_ids[0]) is None


async def test_a_provisional_label_is_no_known_label_until_an_article_carries_it(
    db: Database,
) -> None:
    async with db.transaction() as repos:
        await repos.articles.add_many([article("Kyiv news", ("Kyiv",))], FIXED_NOW)
        reserved = await repos.labels.reserve(
            {("tag", "football"): "football", ("theme", "football"): "football"}
        )
        again = await repos.labels.reserve({("tag", "football"): "FOOTBALL"})
    tag = reserved[("tag", "football")]
    assert tag.provisional
    assert again[("tag", "football")] == tag  # reserving twice is one label
    async with db.read() as repos:
        assert await repos.labels.find("Football") == []
        assert [label.key for label in await repos.labels.with_keys({"football", "kyiv"})] == [
            "kyiv"
        ]
        assert await repos.labels.similar("footbal") == []
        assert await repos.labels.get(tag.id) == tag
    # The first article that carries it makes it a known label, named as the article names it.
    async with db.transaction() as repos:
        await repos.articles.add_many([article("Cup final", ("Football",))], FIXED_NOW)
    async with db.read() as repos:
        (found,) = await repos.labels.find("football")
        (stored,) = await repos.articles.find("#Football", limit=5)
    assert (found.id, found.name, found.provisional) == (tag.id, "Football", False)
    assert stored.article.title == "Cup final"


async def test_a_staged_ingest_makes_a_provisional_label_known(tmp_path: Path) -> None:
    # SQLite only: staging files are how parser processes hand articles to SQLite.
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'staged.db'}")
    await db.upgrade()
    async with db.transaction() as repos:
        reserved = await repos.labels.reserve({("tag", "football"): "football"})
    staged = write_stage(
        str(tmp_path / "job.db"),
        [article_rows("sqlite", article("Cup final", ("Football", "Kyiv")))],
    )
    async with db.transaction(trusted=True, stage=staged.path) as repos:
        await repos.articles.add_staged(staged, FIXED_NOW)
    async with db.read() as repos:
        (found,) = await repos.labels.find("football")
    await db.dispose()
    assert (found.id, found.name, found.provisional) == (
        reserved[("tag", "football")].id,
        "Football",
        False,
    )
