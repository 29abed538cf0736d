"""Rich article files: every section the source writes, in both languages and every layout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.domain.articles import (
    QA,
    Analysis,
    Article,
    ArticleError,
    Connection,
    Entity,
    EntityKind,
    Graph,
    content_hash,
    format_article,
    identity_key,
    parse_article,
    parse_article_bytes,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "articles"
FULL_FILE = DATA / "zelensky-energy-ministers.txt"
FULL_TEXT = FULL_FILE.read_text(encoding="utf-8")
SIMPLE_FILE = DATA / "energy-strikes-kyiv.txt"

PERSON, ORGANISATION, OTHER = EntityKind.PERSON, EntityKind.ORGANISATION, EntityKind.OTHER
ZELENSKY = Entity("Volodymyr Zelensky", "President of Ukraine since 2019.")
UKRENERGO = Entity("Ukrenergo", "Ukrainian state-owned electricity transmission system operator.")
FULL_GRAPH = Graph(
    "Volodymyr Zelensky",
    (
        Connection("Donald Trump", PERSON, 14),
        Connection("Kyiv", OTHER, 9),
        Connection("Ukrenergo", ORGANISATION, 4),
        Connection("European Union", OTHER, 3),
        Connection("Vladimir Putin", PERSON, 3),
    ),
)
FULL_ANALYSIS = Analysis(
    why_it_matters="Winter grid stability decides whether millions of people keep heat and water.",
    context=(
        "Russia has struck Ukraine's energy system in waves since October 2022.",
        "EU states have supplied equipment through the Ukraine Energy Support Fund.",
    ),
    what_next="Ministers will meet again in January to review deliveries.",
    faq=(
        QA(
            "How much of the grid is restored?",
            "About 40% of damaged substations, according to Ukrenergo.",
        ),
    ),
)
FULL = Article(
    title="Zelensky Meets Energy Ministers as Grid Repairs Race Winter",
    tags=("Kyiv", "Volodymyr Zelensky", "Ukrenergo", "Power grid", "Energy infrastructure"),
    takeaways=(
        "Zelensky met energy ministers from five EU states to coordinate emergency equipment "
        "deliveries.",
        "Ukrenergo says 40% of damaged high-voltage substations have been restored since October.",
    ),
    retelling=(
        "President Volodymyr Zelensky hosted energy ministers from five European Union member "
        "states in Kyiv on Monday to coordinate deliveries of transformers and mobile generators.",
        "Ukrenergo, the national grid operator, said crews had restored roughly 40 percent of the "
        "high-voltage substations damaged since October.",
    ),
    themes=("Energy Security", "Diplomacy", "War"),
    related=(ZELENSKY, UKRENERGO),
    graph=FULL_GRAPH,
    entities=(ZELENSKY, UKRENERGO),
    analysis=FULL_ANALYSIS,
    original=(
        "KYIV, Dec 7 - President Volodymyr Zelensky met energy ministers from five European "
        "Union member states on Monday...",
    ),
    source="https://www.example-news.com/world/zelensky-energy-ministers-grid",
)

MINIMAL = "Title\n📌 Key Takeaways\n- One point.\n📖 Full Retelling\nOne paragraph.\n"
BASE = Article(title="Title", tags=(), takeaways=("One point.",), retelling=("One paragraph.",))


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


# --- Optional sections, each missing in turn ---------------------------------------------------

HEADER_LINES = [
    "🏷️ Themes",
    "📚 Related People & Topics",
    "Entity Intersection Graph",
    "Mentioned Entities",
    "Deep Analysis",
    "Original Source",
    "Source",
]
OPTIONAL: list[tuple[str, dict[str, object]]] = [
    ("🏷️ Themes", {"themes": ()}),
    ("📚 Related People & Topics", {"related": ()}),
    ("Entity Intersection Graph", {"graph": None}),
    ("Mentioned Entities", {"entities": ()}),
    ("Deep Analysis", {"analysis": None}),
    ("Original Source", {"original": ()}),
    ("Source", {"source": None}),
]


def _without_section(header: str) -> str:
    lines = FULL_TEXT.split("\n")
    start = lines.index(header)
    following = HEADER_LINES.index(header) + 1
    end = lines.index(HEADER_LINES[following]) if following < len(HEADER_LINES) else len(lines)
    return "\n".join(lines[:start] + lines[end:])


@pytest.mark.parametrize(("header", "changes"), OPTIONAL, ids=[h for h, _ in OPTIONAL])
def test_every_optional_section_may_be_missing(header: str, changes: dict[str, object]) -> None:
    text = _without_section(header)
    assert header not in text.split("\n")
    fields = {name: getattr(FULL, name) for name in FULL.__slots__ if name != "content_hash"}
    expected = Article(**{**fields, **changes})  # type: ignore[arg-type]
    assert parse_article(text, source=header) == expected


# --- Sections we do not know ---------------------------------------------------------------------

UNKNOWN = "🗺️ Timeline\nDec 5: strikes.\nDec 7: ministers meet.\n"


@pytest.mark.parametrize(
    "where",
    ["🏷️ Themes", "Mentioned Entities", "Deep Analysis", "Original Source", "Source"],
)
def test_an_unknown_section_is_kept_wherever_it_is(where: str) -> None:
    text = FULL_TEXT.replace(f"\n{where}\n", f"\n{UNKNOWN}{where}\n")
    assert text.count("Timeline") == 1
    article = parse_article(text)
    assert article.extra == (("🗺️ Timeline", "Dec 5: strikes.\nDec 7: ministers meet."),)
    fields = {name: getattr(article, name) for name in FULL.__slots__ if name != "content_hash"}
    assert Article(**{**fields, "extra": ()}) == FULL  # type: ignore[arg-type]
    assert parse_article(format_article(article)) == article
    assert article.content_hash != FULL.content_hash


def test_a_header_in_another_language_is_kept() -> None:
    text = MINIMAL + "🧠 Глибокий аналіз\nЦе важливо.\n📚 Пов'язані люди\nКиїв\n"
    article = parse_article(text)
    assert article.extra == (("🧠 Глибокий аналіз", "Це важливо."), ("📚 Пов'язані люди", "Київ"))


def test_an_analysis_part_after_an_unknown_section_inside_the_analysis() -> None:
    text = (
        MINIMAL + "Deep Analysis\nWhy It Matters\nA.\n🔮 Predictions\nB.\nWhat Happens Next\nC.\n"
    )
    article = parse_article(text)
    assert article.analysis == Analysis(why_it_matters="A.", what_next="C.")
    assert article.extra == (("🔮 Predictions", "B."),)


@pytest.mark.parametrize(
    "line",
    [
        "🔥 A fire broke out at the plant.",  # a sentence
        "🇺🇦 Zelensky: we stand together",  # a colon inside
        "🔥 one two three four five six",  # too many words
        "├─ Energy",  # box drawing, not an emoji
    ],
)
def test_lines_that_only_look_like_unknown_headers_stay_paragraphs(line: str) -> None:
    article = parse_article(MINIMAL + line + "\n")
    assert article.retelling == ("One paragraph.", line)
    assert article.extra == ()


def test_strict_refuses_an_unknown_section() -> None:
    text = FULL_TEXT.replace("\nSource\n", f"\n{UNKNOWN}Source\n")
    with pytest.raises(ArticleError) as caught:
        parse_article(text, source="rich.txt", strict=True)
    assert (caught.value.line, caught.value.message) == (
        text.split("\n").index("🗺️ Timeline") + 1,
        'an unknown section "🗺️ Timeline" (refused when strict)',
    )
    assert parse_article(FULL_TEXT, strict=True) == FULL


# --- What is still refused ---------------------------------------------------------------------

REFUSALS: list[tuple[str, str, int, str]] = [
    (
        "second-related",
        MINIMAL + "📚 Related People & Topics\nA\nB\n📚 Related People & Topics\nC\n",
        9,
        'a second "📚 Related People & Topics" header (the first is on line 6)',
    ),
    (
        "source-before-graph",
        MINIMAL + "Source\nexample.org\nEntity Intersection Graph\nNo entity connections yet.\n",
        8,
        'the "Entity Intersection Graph" header is out of order: it comes before the "Source" '
        "header (line 6)",
    ),
    (
        "analysis-part-after-the-analysis",
        MINIMAL + "Deep Analysis\nWhy It Matters\nA.\nSource\nx.org\nWhat Happens Next\nB.\n",
        11,
        'the "What Happens Next" header is out of order: it belongs under the "Deep Analysis" '
        'header, before the "Source" header (line 9)',
    ),
    (
        "second-analysis-part",
        MINIMAL + "Deep Analysis\nWhy It Matters\nA.\nWhy It Matters\nB.\n",
        9,
        'a second "Why It Matters" header (the first is on line 7)',
    ),
    (
        "two-source-lines",
        MINIMAL + "Source\nexample.org\nexample.com\n",
        8,
        'expected one line (a URL or a host) under the "Source" header, found a second line '
        '"example.com"',
    ),
    (
        "unknown-section-before-the-retelling",
        "Title\n📌 Key Takeaways\n- a\n🗺️ Timeline\n📖 Full Retelling\np\n",
        4,
        'expected a "- " bullet or the "📖 Full Retelling" header, found "🗺️ Timeline"',
    ),
    (
        "empty-retelling-before-an-unknown-section",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\n🗺️ Timeline\nx\n",
        4,
        'the "📖 Full Retelling" header has no paragraph under it',
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "line", "message"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_what_is_still_refused(case: str, text: str, line: int, message: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article(text, source=case)
    assert (caught.value.line, caught.value.message) == (line, message)


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
