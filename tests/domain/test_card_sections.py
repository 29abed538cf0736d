"""The sections a card opens: only those the article has, escaped, within Telegram's limits."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from bot.domain.articles import QA, Analysis, Article, Connection, Entity, EntityKind, Graph
from bot.domain.callbacks import encode
from bot.domain.card_sections import (
    analysis_pages,
    entity_names,
    render_analysis,
    render_connections,
)
from bot.domain.cards import MESSAGE_LIMIT, render_card
from bot.domain.records import StoredArticle
from bot.domain.text import utf16_len

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
NASTY = '<script>alert("x")</script> & Co'
BASE = Article(title="T", tags=(), takeaways=("a",), retelling=("b",))


def stored(article: Article) -> StoredArticle:
    return StoredArticle(id=2**63 - 1, article=article, published_at=NOW, ingested_at=NOW)


def visible(text: str) -> str:
    """The text Telegram shows for HTML: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"source": "www.example.com"}, []),
        ({"graph": Graph(None)}, []),
        ({"analysis": Analysis()}, []),
        ({"graph": Graph("Kyiv")}, ["🔗 Connections"]),
        ({"entities": (Entity("Kyiv"),)}, ["🔗 Connections"]),
        ({"analysis": Analysis(what_next="Talks.")}, ["💡 Analysis"]),
        ({"source": "https://e.x/a"}, ["🌐 Source"]),
    ],
)
def test_a_card_offers_only_the_sections_its_article_has(
    changes: dict[str, object], expected: list[str]
) -> None:
    article = Article(**{**_fields(BASE), **changes})  # type: ignore[arg-type]
    card = render_card(stored(article))
    assert [button.text for row in card.buttons for button in row] == expected
    for row in card.buttons:
        for button in row:
            if button.url is None:
                encode(button)  # within 64 bytes


def test_a_host_only_source_is_shown_as_text() -> None:
    card = render_card(stored(Article(**{**_fields(BASE), "source": "www.example.com"})))
    assert published_line(card.text) == "🕒 Tue 24 Nov, 09:30 · 🔗 www.example.com"


def test_the_largest_connections_view_stays_escaped_and_within_the_limit() -> None:
    huge = Article(
        **{
            **_fields(BASE),
            "title": NASTY * 40,
            "graph": Graph(
                NASTY * 9,
                tuple(Connection(f"{NASTY} {n}" * 9, EntityKind.PERSON, n) for n in range(12)),
            ),
            "related": tuple(Entity(f"{NASTY} r{n}" * 5, NASTY * 60) for n in range(30)),
            "entities": tuple(Entity(f"{NASTY} m{n}" * 5, NASTY * 60) for n in range(30)),
        }
    )
    view = render_connections(stored(huge))
    assert utf16_len(visible(view.text)) <= MESSAGE_LIMIT
    assert "<script>" not in view.text
    assert view.text.endswith("more")
    names = entity_names(huge)
    assert len(names) == 20
    buttons = [button for row in view.buttons for button in row]
    for button in buttons:
        assert len(encode(button).encode()) <= 64
        assert utf16_len(button.text) <= 60


def test_a_long_analysis_is_paged_and_every_page_fits() -> None:
    analysis = Analysis(
        why_it_matters=NASTY * 100,
        context=tuple(NASTY * 20 for _ in range(30)),
        what_next="Next.",
        faq=tuple(QA(f"Q{n} {NASTY}?", NASTY * 10) for n in range(20)),
    )
    article = Article(**{**_fields(BASE), "analysis": analysis})
    pages = analysis_pages(stored(article))
    assert len(pages) > 2
    for number in range(1, len(pages) + 1):
        page = render_analysis(stored(article), number)
        assert utf16_len(visible(page.text)) <= MESSAGE_LIMIT
        assert "<script>" not in page.text
    assert "Q19" in pages[-1]


def _fields(article: Article) -> dict[str, object]:
    return {
        "title": article.title,
        "tags": article.tags,
        "takeaways": article.takeaways,
        "retelling": article.retelling,
    }


def published_line(text: str) -> str:
    """The card's line that says when the article was published (and where from)."""
    return next(line for line in text.splitlines() if line.startswith("🕒"))
