"""Writing articles: format_article gives the canonical file; which lines are headers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.articles import (
    GRAPH_HEADER,
    RETELLING_HEADER,
    TAKEAWAYS_HEADER,
    THEMES_HEADER,
    Article,
    format_article,
    is_header_line,
    parse_article,
)
from tests.domain.articles.samples import EXPECTED, MINIMAL_ARTICLE

# --- Writing ---------------------------------------------------------------------------------


def test_format_is_the_canonical_file() -> None:
    article = Article(
        title="Title",
        tags=("Kyiv", "Power grid"),
        takeaways=("One.", "Two."),
        retelling=("First.", "Second."),
        themes=("War", "Energy Security"),
        entity_graph="A ↔ B\n\n  C",
        url="https://example.org/",
        published_at=datetime(2031, 1, 1, tzinfo=UTC),
    )
    assert format_article(article) == (
        "Title\n"
        "#Kyiv #Power grid\n"
        "\n"
        f"{TAKEAWAYS_HEADER}\n"
        "- One.\n"
        "- Two.\n"
        "\n"
        f"{RETELLING_HEADER}\n"
        "First.\n"
        "Second.\n"
        "\n"
        f"{THEMES_HEADER}\n"
        "War, Energy Security\n"
        "\n"
        f"{GRAPH_HEADER}\n"
        "A ↔ B\n"
        "\n"
        "  C\n"
    )
    assert THEMES_HEADER == "🏷\ufe0f Themes"


def test_format_leaves_out_empty_optional_parts() -> None:
    assert format_article(MINIMAL_ARTICLE) == (
        f"Minimal title\n\n{TAKEAWAYS_HEADER}\n- One point.\n"
        f"\n{RETELLING_HEADER}\nOne paragraph.\n"
    )


def test_format_round_trips_the_sample() -> None:
    assert parse_article(format_article(EXPECTED)) == EXPECTED


@pytest.mark.parametrize(
    ("line", "is_header"),
    [
        ("📌 Key Takeaways", True),
        ("Key takeaways:", True),
        ("  🏷 THEMES :  ", True),
        ("🏷️\u200dThemes", True),
        ("Entity   Intersection Graph", True),
        ("Themes of the week", False),
        ("- Themes", False),
        ("#Themes", False),
        ("", False),
    ],
)
def test_is_header_line(line: str, is_header: bool) -> None:
    assert is_header_line(line) is is_header
