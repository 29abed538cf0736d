"""The ingest benchmark's corpora: rich files read back whole and match the simple ones' size."""

from __future__ import annotations

import random
from pathlib import Path

from bench.ingest import rich_article, write_articles
from bot.domain.articles import format_article, parse_article


def test_rich_files_carry_every_section_and_read_back_whole() -> None:
    rng = random.Random(3)
    for number in range(20):
        article = rich_article(number, rng)
        assert article.graph is not None
        assert all((article.related, article.entities, article.analysis, article.source))
        assert parse_article(format_article(article)) == article


def test_rich_files_are_about_the_size_of_simple_ones(tmp_path: Path) -> None:
    simple = write_articles(tmp_path / "simple", 200)
    rich = write_articles(tmp_path / "rich", 200, rich=True)
    assert 0.9 < rich / simple < 1.1
    assert len(list((tmp_path / "rich").rglob("*.txt"))) == 200
