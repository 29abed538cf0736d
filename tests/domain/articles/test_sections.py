"""Rich article files: every section the source writes, in both languages and every layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.articles import (
    QA,
    Analysis,
    Article,
    Connection,
    Entity,
    Graph,
    format_article,
    parse_article,
    parse_article_bytes,
)
from tests.domain.articles.examples import (
    FULL,
    FULL_FILE,
    FULL_TEXT,
    MINIMAL,
    OTHER,
    PERSON,
    SIMPLE_FILE,
    ZELENSKY,
)

# --- The two real examples ---------------------------------------------------------------------


def test_the_full_example_parses_into_every_section() -> None:
    article = parse_article_bytes(FULL_FILE.read_bytes(), source=FULL_FILE.name)
    assert article.related == FULL.related
    assert article.graph == FULL.graph
    assert article.entities == FULL.entities
    assert article.analysis == FULL.analysis
    assert article.original == FULL.original
    assert article.source == FULL.source
    assert article.source_url == FULL.source
    assert article.entity_graph is None
    assert article.extra == ()
    assert article == FULL


def test_the_simple_example_has_no_connections_yet() -> None:
    article = parse_article_bytes(SIMPLE_FILE.read_bytes(), source=SIMPLE_FILE.name)
    assert article.title.startswith("Russia Resumes Attacks")
    assert article.themes == ("War", "Energy Security", "Geopolitics", "Diplomacy")
    assert article.graph == Graph(None)
    assert article.entity_graph is None
    assert (article.related, article.entities, article.analysis, article.source) == (
        (),
        (),
        None,
        None,
    )


def test_the_simple_example_keeps_the_hash_it_had_as_free_text() -> None:
    # Stored articles were hashed with the graph as text; re-ingesting must find them again.
    article = parse_article_bytes(SIMPLE_FILE.read_bytes(), source=SIMPLE_FILE.name)
    as_text = Article(
        title=article.title,
        tags=article.tags,
        takeaways=article.takeaways,
        retelling=article.retelling,
        themes=article.themes,
        entity_graph="No entity connections available yet for this article.",
    )
    assert article.content_hash == as_text.content_hash


@pytest.mark.parametrize("path", [FULL_FILE, SIMPLE_FILE], ids=lambda p: p.name)
def test_the_examples_round_trip(path: Path) -> None:
    article = parse_article_bytes(path.read_bytes(), source=path.name)
    assert parse_article(format_article(article)) == article


def test_format_writes_the_full_example_in_the_source_layout() -> None:
    written = [line for line in format_article(FULL).split("\n") if line]
    assert written == [line for line in FULL_TEXT.split("\n") if line]


# --- Each section, in each of its forms --------------------------------------------------------

HEADER_SPELLINGS: list[tuple[str, str]] = [
    ("📌 Key Takeaways", "Ключові висновки"),
    ("📌 Key Takeaways", "📌 Головні тези:"),
    ("📖 Full Retelling", "Переказ"),
    ("🏷️ Themes", "🏷 Теми"),
    ("Entity Intersection Graph", "🔗 Граф пересічень"),
    ("Entity Intersection Graph", "Граф перетину"),
    ("Entity Intersection Graph", "🔗 Entity Intersection Graph"),
    ("Mentioned Entities", "Згадані сутності"),
    ("Why It Matters", "Чому це важливо"),
    ("Context & Background", "Контекст і передумови"),
    ("What Happens Next", "Що далі"),
    ("Frequently Asked Questions", "Часті запитання"),
    ("Frequently Asked Questions", "Часті питання"),
    ("\nSource\n", "\nДжерело\n"),
    ("📚 Related People & Topics", "Related People and Topics"),
    ("📚 Related People & Topics", "RELATED PEOPLE & TOPICS:"),
    ("Deep Analysis", "🧠 Deep Analysis"),
    ("Original Source", "📰 Original Source"),
]


@pytest.mark.parametrize(
    ("english", "other"), HEADER_SPELLINGS, ids=[o for _, o in HEADER_SPELLINGS]
)
def test_headers_in_ukrainian_or_with_other_spellings(english: str, other: str) -> None:
    text = FULL_TEXT.replace(english, other)
    assert text != FULL_TEXT
    assert parse_article(text) == FULL


GRAPH_ROWS: list[tuple[str, str]] = [
    ("count-on-the-next-line", "👤 Donald Trump\n14 shared\n🌐 Kyiv\n9 shared articles"),
    ("count-on-the-same-line", "👤 Donald Trump 14 shared\n🌐 Kyiv · 9 shared articles"),
    ("mixed-layouts", "👤 Donald Trump — 14 shared\n🌐 Kyiv\n9 shared"),
    ("count-in-brackets", "👤 Donald Trump (14 shared)\n🌐 Kyiv: 9 shared"),
    ("blank-lines-between", "\n👤 Donald Trump\n\n14 shared\n\n🌐 Kyiv\n9 shared\n"),
    ("icons-with-variation-selector", "👤\ufe0f Donald Trump\n14 shared\n🌐\ufe0fKyiv 9 shared"),
]


@pytest.mark.parametrize(("case", "rows"), GRAPH_ROWS, ids=[c for c, _ in GRAPH_ROWS])
def test_graph_rows_with_the_count_on_the_same_line_or_the_next(case: str, rows: str) -> None:
    text = (
        MINIMAL
        + f"Entity Intersection Graph\nConnections for Zelensky:\n{rows}\nView full profile\n"
    )
    expected = Graph(
        "Zelensky", (Connection("Donald Trump", PERSON, 14), Connection("Kyiv", OTHER, 9))
    )
    article = parse_article(text, source=case)
    assert article.graph == expected
    assert article.entity_graph is None
    assert parse_article(format_article(article)) == article


@pytest.mark.parametrize(
    "line",
    [
        "No entity connections available yet for this article.",
        "No entity connections available yet.",
        "no entity connections available yet for this article",
    ],
)
def test_the_no_connections_line(line: str) -> None:
    article = parse_article(MINIMAL + f"Entity Intersection Graph\n{line}\n")
    assert article.graph == Graph(None)
    assert article.entity_graph is None


def test_a_graph_with_a_main_entity_and_no_rows() -> None:
    article = parse_article(MINIMAL + "Entity Intersection Graph\nConnections for Kyiv\n")
    assert article.graph == Graph("Kyiv")
    assert parse_article(format_article(article)) == article


@pytest.mark.parametrize(
    "graph",
    [
        "Danube ↔ Grain exports: 4 shared articles",
        "Connections for Kyiv:\n👤 Donald Trump",  # a row without its count
        "Connections for Kyiv:\n14 shared",  # a count without its row
        "Connections for Kyiv:\nDonald Trump\n14 shared",  # a row without its icon
        "No entity connections available yet.\n👤 Donald Trump\n14 shared",
    ],
)
def test_a_graph_in_another_shape_is_kept_as_text(graph: str) -> None:
    article = parse_article(MINIMAL + f"Entity Intersection Graph\n{graph}\n")
    assert article.graph is None
    assert article.entity_graph == graph
    assert parse_article(format_article(article)) == article


def test_entities_with_link_labels_and_without_descriptions() -> None:
    text = MINIMAL + (
        "📚 Related People & Topics\n"
        "Volodymyr Zelensky\nPresident of Ukraine since 2019.\nView Profile →\nWikipedia ↗\n"
        "Kyiv\nView Profile →\n"
        "Ukrenergo\nGrid operator.\n"
        "Mentioned Entities\nDonald Trump\n"
    )
    article = parse_article(text)
    assert article.related == (ZELENSKY, Entity("Kyiv"), Entity("Ukrenergo", "Grid operator."))
    assert article.entities == (Entity("Donald Trump"),)
    assert parse_article(format_article(article)) == article


def test_reactions_and_dialogue() -> None:
    text = MINIMAL.replace(
        "One paragraph.\n",
        "One paragraph.\n🐦 Character Reactions (Tweets)\n@kyivmayor: Lights are back on.\n"
        "@grid_watch: 40% is a start.\n💬 Character Dialogue\nZelensky: Thank you.\n"
        "Minister: We will send more.\n🏷️ Themes\nWar\n",
    )
    article = parse_article(text)
    assert article.reactions == ("@kyivmayor: Lights are back on.", "@grid_watch: 40% is a start.")
    assert article.dialogue == ("Zelensky: Thank you.", "Minister: We will send more.")
    assert article.themes == ("War",)
    assert parse_article(format_article(article)) == article


def test_analysis_parts_in_any_order_and_text_before_the_first() -> None:
    text = MINIMAL + (
        "Deep Analysis\nAn overview.\nWhat Happens Next\nTalks in January.\nMore talks later.\n"
        "Frequently Asked Questions\nWho?\nThe ministers.\nWhen?\n"
        "Context & Background\n• First.\nSecond, without a marker.\n-\n"
    )
    article = parse_article(text)
    assert article.analysis == Analysis(
        summary="An overview.",
        what_next="Talks in January.\nMore talks later.",
        faq=(QA("Who?", "The ministers."), QA("When?", "")),
        context=("First.", "Second, without a marker."),
    )
    assert parse_article(format_article(article)) == article


def test_analysis_parts_without_the_analysis_header() -> None:
    article = parse_article(MINIMAL + "Why It Matters\nBecause.\n")
    assert article.analysis == Analysis(why_it_matters="Because.")


def test_original_source_text_and_its_link_label() -> None:
    article = parse_article(
        MINIMAL + "Original Source\nFirst part.\nSecond part.\nRead full article at source\n"
    )
    assert article.original == ("First part.", "Second part.")


@pytest.mark.parametrize(
    ("line", "url"),
    [("www.example-news.com", None), ("https://example.org/a", "https://example.org/a")],
)
def test_the_source_is_a_host_or_a_url(line: str, url: str | None) -> None:
    article = parse_article(MINIMAL + f"Source\n{line}\n")
    assert article.source == line
    assert article.source_url == url
