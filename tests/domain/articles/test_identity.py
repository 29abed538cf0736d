"""Rich article files: every section the source writes, in both languages and every layout."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.domain.articles import (
    Article,
    Connection,
    Graph,
    content_hash,
    identity_key,
    parse_article,
)
from tests.domain.articles.examples import (
    BASE,
    FULL,
    FULL_TEXT,
    OTHER,
    SIMPLE_FILE,
)

# --- Identity ------------------------------------------------------------------------------------

SAME_ARTICLE: list[tuple[str, Callable[[str], str]]] = [
    ("counts-grow", lambda t: t.replace("14 shared", "15 shared")),
    (
        "analysis-corrected",
        lambda t: t.replace("again in January", "again in February"),
    ),
    ("themes-corrected", lambda t: t.replace("Diplomacy, War", "Diplomacy")),
    ("retelling-edited", lambda t: t.replace("on Monday", "on Monday morning")),
    (
        "url-fragment-and-host-case",
        lambda t: t.replace("https://www.example-news", "HTTPS://WWW.Example-news").replace(
            "-grid\n", "-grid#top\n"
        ),
    ),
]


@pytest.mark.parametrize(("case", "change"), SAME_ARTICLE, ids=[c for c, _ in SAME_ARTICLE])
def test_a_later_rendering_is_the_same_article_with_new_content(
    case: str, change: Callable[[str], str]
) -> None:
    later = parse_article(change(FULL_TEXT), source=case)
    assert identity_key(later) == identity_key(FULL)
    assert later.content_hash != FULL.content_hash


def test_another_source_url_or_title_is_another_article() -> None:
    assert identity_key(parse_article(FULL_TEXT.replace("-grid\n", "-grid-2\n"))) != identity_key(
        FULL
    )
    assert identity_key(
        parse_article(FULL_TEXT.replace("Race Winter", "Race Spring"))
    ) != identity_key(FULL)


def test_without_a_source_url_the_title_and_retelling_decide() -> None:
    article = parse_article(SIMPLE_FILE.read_text(encoding="utf-8"))
    regraphed = _article_with(article, graph=Graph("Kyiv", (Connection("Russia", OTHER, 3),)))
    retold = _article_with(article, retelling=(*article.retelling, "One more paragraph."))
    hosted = _article_with(article, source="www.example-news.com")
    assert identity_key(regraphed) == identity_key(article) == identity_key(hosted)
    assert identity_key(retold) != identity_key(article)


def test_a_json_url_is_the_source_url_when_the_file_has_none() -> None:
    with_url = _article_with(BASE, url="https://example.org/a")
    with_source = _article_with(BASE, source="https://example.org/a")
    assert identity_key(with_url) == identity_key(with_source) != identity_key(BASE)


def test_content_hash_covers_every_section() -> None:
    hashes = {
        content_hash(_article_with(FULL, **{name: value}))
        for name, value in [
            ("reactions", ("r",)),
            ("dialogue", ("d",)),
            ("related", ()),
            ("graph", Graph(None)),
            ("entities", ()),
            ("analysis", None),
            ("original", ()),
            ("source", None),
            ("extra", (("🗺️ Timeline", "x"),)),
        ]
    }
    assert len(hashes) == 9
    assert FULL.content_hash not in hashes


def _article_with(article: Article, **changes: object) -> Article:
    fields = {name: getattr(article, name) for name in article.__slots__ if name != "content_hash"}
    return Article(**{**fields, **changes})  # type: ignore[arg-type]
