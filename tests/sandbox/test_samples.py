"""The sample articles shipped in the package: valid, and covering what real files throw at us."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from bot.domain.articles import Article, parse_article_bytes
from bot.domain.cards import retelling_pages
from bot.domain.labels import fold_label
from bot.domain.records import StoredArticle

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def samples_dir() -> Path:
    return Path(str(resources.files("sandbox") / "samples"))


def samples() -> list[Article]:
    files = sorted(samples_dir().glob("*.txt"))
    return [parse_article_bytes(path.read_bytes(), source=path.name) for path in files]


def test_samples_belong_to_the_sandbox() -> None:
    # The sandbox seeds its database with them; the production image ships neither.
    package = Path(str(resources.files("sandbox")))
    assert samples_dir().parent == package
    assert len(list(samples_dir().glob("*.txt"))) >= 8


def test_samples_cover_the_hard_cases() -> None:
    articles = samples()
    labels = [label for a in articles for label in a.tags + a.themes]
    assert any(any("а" <= ch <= "я" or ch in "іїєґ" for ch in label.lower()) for label in labels)
    assert any(a.title.startswith("Харків") for a in articles)
    pages = [len(retelling_pages(StoredArticle(1, a, NOW, NOW))) for a in articles]
    assert max(pages) >= 3
    assert any(len(paragraph) > 4096 for a in articles for paragraph in a.retelling)
    text = "\n".join(a.title + "\n".join(a.takeaways + a.retelling) for a in articles)
    for markup in ("<b>", "&", "< 0", "<script>", "&amp;"):
        assert markup in text
    tag_keys = {fold_label(t) for a in articles for t in a.tags}
    theme_keys = {fold_label(t) for a in articles for t in a.themes}
    assert "energy_security" in tag_keys & theme_keys
    assert sum("Kyiv" in a.tags for a in articles) > 3  # enough for "More"
