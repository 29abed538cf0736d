"""The article-file parser: the sample, every variation real files have, every refusal."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.articles import (
    GRAPH_HEADER,
    RETELLING_HEADER,
    TAKEAWAYS_HEADER,
    THEMES_HEADER,
    Article,
    ArticleError,
    Graph,
    content_hash,
    format_article,
    is_header_line,
    parse_article,
    parse_article_bytes,
    parse_article_json,
)
from bot.domain.labels import clean_label, fold_label

DATA = Path(__file__).resolve().parent.parent / "data" / "articles"
SAMPLE_FILE = DATA / "danube-grain-barges.txt"
SAMPLE_TEXT = SAMPLE_FILE.read_text(encoding="utf-8")
SAMPLE_JSONL = DATA / "articles.jsonl"

EXPECTED = Article(
    title="Drought Strands Danube Grain Barges as River Falls to Record Low Near Izmail",
    tags=(
        "Danube",
        "Ізмаїл",
        "Grain exports",
        "Low-water shipping",
        "Black Sea",
        "EU-Ukraine trade",
        "Climate change",
    ),
    takeaways=(
        "Water levels on the lower Danube fell to the lowest point recorded since measurements "
        "began, halting most barge traffic near Izmail.",
        "More than 300 grain barges are waiting at anchor, and exporters warn of contract "
        "penalties if the delays last into next month.",
        "River authorities in Romania & Ukraine have started emergency dredging, but forecasters "
        "expect no significant rain for two weeks.",
        "The stoppage puts pressure on the Black Sea corridor, which now carries most of the "
        "region's grain on its own.",
    ),
    retelling=(
        "Barge traffic on the lower Danube came almost to a standstill on Tuesday after weeks of "
        "drought pushed the river to its lowest level on record near the Ukrainian port of "
        "Izmail. Harbour officials said the depth of the main channel had dropped below the 2.5 "
        "metres that fully loaded grain barges need, forcing operators either to wait at anchor "
        "or to sail with a third of their usual cargo. Shipping agents counted more than 300 "
        "barges waiting between Izmail and the Romanian port of Sulina by the end of the day.",
        "The delays come at the height of the harvest season, when Ukrainian and Moldovan "
        "exporters rely on the river to move wheat, maize and sunflower seeds to ports on the "
        'Black Sea. "Every day at anchor costs us money we will not get back," said the head of '
        "a grain traders' association in Odesa, adding that buyers in Egypt and Turkey had "
        "already asked about postponing deliveries. Freight rates for the short river stretch "
        "have nearly doubled in a week, according to brokers.",
        "Romanian and Ukrainian river authorities have started emergency dredging at the "
        "shallowest points of the channel, working around the clock with four dredgers borrowed "
        "from ports upstream. Engineers caution that dredging can only keep a narrow lane open "
        "and cannot make up for the missing water. National weather services in both countries "
        "expect no significant rain over the Danube basin for at least two more weeks, and water "
        "levels upstream in Hungary and Serbia are also falling.",
        "Analysts say the stoppage shows how much the region's grain trade now depends on a few "
        "routes. With the river slowed, more cargo is being sent by rail to Romania's port of "
        "Constanța & by road to Polish terminals, both of which were already near capacity. "
        "Climate researchers note that three of the last five summers have brought record-low "
        "water on the Danube, and they warn that low-water shipping may become a regular feature "
        "of the harvest season rather than a rare emergency.",
    ),
    themes=("Trade", "Climate", "Food Security", "Logistics"),
    entity_graph=(
        "Danube ↔ Grain exports: 4 shared articles\nІзмаїл ↔ Black Sea: 2 shared articles"
    ),
)

MINIMAL = """Minimal title
📌 Key Takeaways
- One point.
📖 Full Retelling
One paragraph.
"""
MINIMAL_ARTICLE = Article(
    title="Minimal title", tags=(), takeaways=("One point.",), retelling=("One paragraph.",)
)


def _before_graph(transform: Callable[[str], str]) -> Callable[[str], str]:
    """Apply a line transform to the sample up to the graph, whose free text keeps its lines."""

    def apply(text: str) -> str:
        head, graph = text.split(GRAPH_HEADER)
        return transform(head) + GRAPH_HEADER + graph

    return apply


def _each_line(change: Callable[[str], str]) -> Callable[[str], str]:
    return lambda text: "\n".join(change(line) for line in text.split("\n"))


# --- The sample ------------------------------------------------------------------------------


def test_sample_parses_to_exactly_the_expected_article() -> None:
    article = parse_article(SAMPLE_TEXT, source=SAMPLE_FILE.name)
    assert article.title == EXPECTED.title
    assert article.tags == EXPECTED.tags
    assert article.takeaways == EXPECTED.takeaways
    assert article.retelling == EXPECTED.retelling
    assert article.themes == EXPECTED.themes
    assert article.entity_graph == EXPECTED.entity_graph
    assert article.url is None
    assert article.published_at is None
    assert article == EXPECTED
    assert article.content_hash == content_hash(EXPECTED)
    assert len(article.content_hash) == 64


def test_sample_bytes_parse_the_same() -> None:
    assert parse_article_bytes(SAMPLE_FILE.read_bytes(), source=SAMPLE_FILE.name) == EXPECTED


# --- Variations that must not change the article ----------------------------------------------

SAME_ARTICLE: list[tuple[str, Callable[[str], str]]] = [
    ("as-is", lambda t: t),
    ("bom", lambda t: "\ufeff" + t),
    ("crlf", lambda t: t.replace("\n", "\r\n")),
    ("lone-cr", lambda t: t.replace("\n", "\r")),
    ("bom-crlf", lambda t: "\ufeff" + t.replace("\n", "\r\n")),
    ("no-final-newline", lambda t: t.rstrip("\n")),
    ("many-final-newlines", lambda t: t + "\n\n\n  \n"),
    ("leading-blank-lines", lambda t: "\n\n   \n" + t),
    ("blank-lines-everywhere", _before_graph(lambda t: t.replace("\n", "\n\n \n"))),
    ("trailing-spaces", _each_line(lambda line: line + "  \t ")),
    ("leading-spaces", _before_graph(_each_line(lambda line: "   " + line))),
    (
        "headers-without-emoji",
        lambda t: (
            t.replace("📌 Key Takeaways", "Key Takeaways")
            .replace("📖 Full Retelling", "Full Retelling")
            .replace("🏷️ Themes", "Themes")
        ),
    ),
    ("emoji-without-variation-selector", lambda t: t.replace("🏷️ Themes", "🏷 Themes")),
    (
        "headers-other-case-and-colon",
        lambda t: (
            t.replace("📌 Key Takeaways", "📌 KEY TAKEAWAYS:")
            .replace("📖 Full Retelling", "full retelling :")
            .replace("🏷️ Themes", "🏷️Themes:")
            .replace(GRAPH_HEADER, "ENTITY INTERSECTION  GRAPH:")
        ),
    ),
    ("emoji-on-the-graph-header", lambda t: t.replace(GRAPH_HEADER, "🕸️ " + GRAPH_HEADER)),
    ("bullet-dot", lambda t: t.replace("\n- ", "\n• ")),
    ("bullet-star", lambda t: t.replace("\n- ", "\n* ")),
    ("bullet-tab", lambda t: t.replace("\n- ", "\n-\t")),
    ("bullets-mixed", lambda t: t.replace("\n- W", "\n• W").replace("\n- M", "\n* M")),
    ("tags-separated-by-tabs", lambda t: t.replace(" #", "\t#")),
    (
        "tags-with-extra-spaces",
        lambda t: t.replace(" #", "   #").replace("Low-water ", "Low-water   "),
    ),
    ("duplicate-tags", lambda t: t.replace("#Danube ", "#Danube #danube #DANUBE ")),
    ("duplicate-themes", lambda t: t.replace("Logistics", "Logistics, trade, CLIMATE,  ")),
    ("themes-spacing", lambda t: t.replace("Trade, Climate", "Trade ,Climate")),
]


@pytest.mark.parametrize(("variation", "change"), SAME_ARTICLE, ids=[v for v, _ in SAME_ARTICLE])
def test_variations_parse_to_the_same_article(
    variation: str, change: Callable[[str], str]
) -> None:
    text = change(SAMPLE_TEXT)
    assert text != SAMPLE_TEXT or variation == "as-is"
    article = parse_article(text)
    assert article == EXPECTED
    assert article.content_hash == EXPECTED.content_hash
    assert parse_article_bytes(text.encode("utf-8"), source="v.txt") == EXPECTED


def test_bytes_with_bom_and_crlf() -> None:
    data = b"\xef\xbb\xbf" + SAMPLE_TEXT.replace("\n", "\r\n").encode("utf-8")
    assert parse_article_bytes(data, source="bom.txt") == EXPECTED


# --- Variations with their own result --------------------------------------------------------

LONG_PARAGRAPH = ("A sentence about the long retelling, with <b>markup</b> & more. " * 320).strip()

PARSED: list[tuple[str, str, dict[str, object]]] = [
    ("minimal-no-optional-sections", MINIMAL, {}),
    (
        "tags-with-spaces-hyphens-cyrillic",
        MINIMAL.replace(
            "\n📌", "\n#Київ #Russia-Ukraine War #Power grid #Peace  talks #Energy_security\n📌"
        ),
        {"tags": ("Київ", "Russia-Ukraine War", "Power grid", "Peace talks", "Energy_security")},
    ),
    (
        "tags-in-other-scripts",
        MINIMAL.replace("\n📌", "\n#東京 #القاهرة #Ελλάδα #Łódź\n📌"),
        {"tags": ("東京", "القاهرة", "Ελλάδα", "Łódź")},
    ),
    (
        "duplicate-tags-keep-first-spelling",
        MINIMAL.replace("\n📌", "\n#Peace talks #peace-talks #PEACE_TALKS #Київ #КИЇВ #київ\n📌"),
        {"tags": ("Peace talks", "Київ")},
    ),
    (
        "tag-line-with-doubled-hash-and-empty-tags",
        MINIMAL.replace("\n📌", "\n##Kyiv # #  #Power grid #\n📌"),
        {"tags": ("Kyiv", "Power grid")},
    ),
    (
        "tags-that-fold-to-nothing-are-dropped",
        MINIMAL.replace("\n📌", "\n#🔥 #Kyiv #!!!\n📌"),
        {"tags": ("Kyiv",)},
    ),
    (
        "tag-with-hash-inside",
        MINIMAL.replace("\n📌", "\n#C# programming #Kyiv\n📌"),
        {"tags": ("C# programming", "Kyiv")},
    ),
    ("hashtag-line-alone", MINIMAL.replace("\n📌", "\n#\n📌"), {}),
    (
        "hashtag-line-after-blank-lines",
        MINIMAL.replace("\n📌", "\n\n\n#Kyiv\n\n📌"),
        {"tags": ("Kyiv",)},
    ),
    (
        "markup-and-entities-kept-verbatim",
        """<b>Bold</b> & "quoted" title
#Tag&Co #<script>
📌 Key Takeaways
- <script>alert('x')</script> & &amp; &lt;
📖 Full Retelling
Text with <, >, & and "quotes" and 'apostrophes' stays <i>exactly</i> as written.
🏷️ Themes
R&D, <Science>
Entity Intersection Graph
A <-> B & "C"
""",
        {
            "title": '<b>Bold</b> & "quoted" title',
            "tags": ("Tag&Co", "<script>"),
            "takeaways": ("<script>alert('x')</script> & &amp; &lt;",),
            "retelling": (
                "Text with <, >, & and \"quotes\" and 'apostrophes' stays <i>exactly</i> "
                "as written.",
            ),
            "themes": ("R&D", "<Science>"),
            "entity_graph": 'A <-> B & "C"',
        },
    ),
    (
        "retelling-of-20000-characters",
        MINIMAL.replace("One paragraph.", LONG_PARAGRAPH + "\n\nSecond paragraph."),
        {"retelling": (LONG_PARAGRAPH, "Second paragraph.")},
    ),
    (
        "themes-only",
        MINIMAL + "🏷️ Themes\nWar, Energy Security, Geopolitics, Diplomacy\n",
        {"themes": ("War", "Energy Security", "Geopolitics", "Diplomacy")},
    ),
    (
        "themes-duplicates-and-empty-items",
        MINIMAL + "Themes:\nWar, , war,Energy  Security,energy-security, #Diplomacy,\n",
        {"themes": ("War", "Energy Security", "Diplomacy")},
    ),
    ("themes-header-with-nothing-under-it", MINIMAL + "🏷️ Themes\n\n", {}),
    (
        "themes-on-two-lines",
        MINIMAL + "🏷️ Themes\nWar, Energy Security\nPeace, war\n",
        {"themes": ("War", "Energy Security", "Peace")},
    ),
    (
        "graph-only",
        MINIMAL + "Entity Intersection Graph\nNo entity connections available yet.",
        {"graph": Graph(None)},
    ),
    (
        "graph-keeps-inner-blank-lines-and-indentation",
        MINIMAL
        + "🏷 Themes\nWar\nEntity Intersection Graph\n\n\nKyiv\n  ├─ Energy  \n\n  └─ War\n\n",
        {"themes": ("War",), "entity_graph": "Kyiv\n  ├─ Energy\n\n  └─ War"},
    ),
    ("graph-header-with-nothing-under-it", MINIMAL + "Entity Intersection Graph\n \n", {}),
    (
        "bullet-text-starting-with-a-dash",
        MINIMAL.replace("- One point.", "- - nested dash\n*   spaced star"),
        {"takeaways": ("- nested dash", "spaced star")},
    ),
    (
        "paragraphs-that-look-like-bullets-or-tags",
        MINIMAL.replace("One paragraph.", "- not a bullet here\n#not a tag here"),
        {"retelling": ("- not a bullet here", "#not a tag here")},
    ),
]


@pytest.mark.parametrize(("case", "text", "changes"), PARSED, ids=[c for c, _, _ in PARSED])
def test_variations_with_their_own_result(
    case: str, text: str, changes: dict[str, object]
) -> None:
    fields: dict[str, object] = {
        "title": MINIMAL_ARTICLE.title,
        "tags": (),
        "takeaways": MINIMAL_ARTICLE.takeaways,
        "retelling": MINIMAL_ARTICLE.retelling,
        "themes": (),
        "entity_graph": None,
        **changes,
    }
    expected = Article(**fields)  # type: ignore[arg-type]
    article = parse_article(text, source=case)
    assert article == expected
    assert parse_article(format_article(article)) == article


def test_long_retelling_is_kept_whole() -> None:
    article = parse_article(MINIMAL.replace("One paragraph.", "x" * 20_000))
    assert article.retelling == ("x" * 20_000,)
    assert len(format_article(article)) > 20_000


# --- Identity --------------------------------------------------------------------------------


def test_same_article_twice_is_one_identity() -> None:
    once = parse_article(SAMPLE_TEXT)
    again = parse_article("\ufeff" + SAMPLE_TEXT.replace("\n", "\r\n") + "\n\n")
    assert once == again
    assert once.content_hash == again.content_hash


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("Izmail.", "Izmail!"),
        lambda t: t.replace("#Danube ", ""),
        lambda t: t.replace("Trade, ", ""),
        lambda t: t.replace("4 shared", "5 shared"),
        lambda t: t.replace("Near Izmail", "near Izmail"),
    ],
    ids=["retelling", "tag", "theme", "graph", "title"],
)
def test_a_changed_article_is_another_identity(change: Callable[[str], str]) -> None:
    assert parse_article(change(SAMPLE_TEXT)).content_hash != EXPECTED.content_hash


# --- Refusals --------------------------------------------------------------------------------

LONG_LINE = "Some text that goes on " * 10

REFUSALS: list[tuple[str, str, int | None, str]] = [
    ("empty", "", None, "the file is empty"),
    ("bom-only", "\ufeff", None, "the file is empty"),
    ("blank", " \n\t\n\r\n   ", None, "the file has only blank lines"),
    (
        "no-title-takeaways-first",
        "📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        1,
        'expected the title, found the "📌 Key Takeaways" header',
    ),
    (
        "no-title-hashtags-first",
        "\n#Kyiv #War\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        2,
        'expected the title, found a hashtag line "#Kyiv #War"',
    ),
    (
        "title-only",
        "Just a title\n\n",
        1,
        'expected the hashtag line or the "📌 Key Takeaways" header after this line, '
        "found the end of the file",
    ),
    (
        "title-and-tags-only",
        "Title\n#Kyiv\n",
        2,
        'expected the "📌 Key Takeaways" header after this line, found the end of the file',
    ),
    (
        "text-between-hashtags-and-takeaways",
        "Title\n#Kyiv #War\nSome text\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        3,
        'expected the "📌 Key Takeaways" header, found "Some text"',
    ),
    (
        "text-between-title-and-takeaways",
        "Title\nA second title line\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        2,
        'expected the hashtag line or the "📌 Key Takeaways" header, found "A second title line"',
    ),
    (
        "long-line-is-quoted-short",
        f"Title\n#Kyiv\n{LONG_LINE}\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        3,
        'expected the "📌 Key Takeaways" header, found "' + LONG_LINE[:59] + '…"',
    ),
    (
        "no-takeaways-header",
        "Title\n#Kyiv\n📖 Full Retelling\np\n",
        3,
        'expected the "📌 Key Takeaways" header, found the "📖 Full Retelling" header',
    ),
    (
        "no-bullets-before-retelling",
        "Title\n📌 Key Takeaways\n\n📖 Full Retelling\np\n",
        2,
        'the "📌 Key Takeaways" header has no bullet under it',
    ),
    (
        "no-bullets-at-end",
        "Title\n📌 Key Takeaways\n",
        2,
        'the "📌 Key Takeaways" header has no bullet under it',
    ),
    (
        "not-a-bullet",
        "Title\n📌 Key Takeaways\n- a\nA line without a marker\n📖 Full Retelling\np\n",
        4,
        'expected a "- " bullet or the "📖 Full Retelling" header, '
        'found "A line without a marker"',
    ),
    (
        "marker-without-space",
        "Title\n📌 Key Takeaways\n-a\n📖 Full Retelling\np\n",
        3,
        'expected a "- " bullet or the "📖 Full Retelling" header, found "-a"',
    ),
    (
        "empty-bullet",
        "Title\n📌 Key Takeaways\n- a\n-   \n📖 Full Retelling\np\n",
        4,
        "empty bullet: a bullet needs text after its marker",
    ),
    (
        "no-retelling-header",
        "Title\n📌 Key Takeaways\n- a\n- b\n\n",
        4,
        'expected the "📖 Full Retelling" header, found the end of the file',
    ),
    (
        "no-retelling-paragraph",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\n\n  \n",
        4,
        'the "📖 Full Retelling" header has no paragraph under it',
    ),
    (
        "no-retelling-paragraph-before-themes",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\n🏷️ Themes\nWar\n",
        4,
        'the "📖 Full Retelling" header has no paragraph under it',
    ),
    (
        "themes-before-retelling",
        "Title\n📌 Key Takeaways\n- a\n🏷️ Themes\nWar\n📖 Full Retelling\np\n",
        4,
        'expected a bullet or the "📖 Full Retelling" header, found the "🏷️ Themes" header',
    ),
    (
        "takeaways-after-retelling",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n📌 Key Takeaways\n- b\n",
        6,
        'a second "📌 Key Takeaways" header (the first is on line 2)',
    ),
    (
        "second-retelling",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\nFull Retelling\nq\n",
        6,
        'a second "📖 Full Retelling" header (the first is on line 4)',
    ),
    (
        "themes-after-graph",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\nEntity Intersection Graph\ng\n"
        "🏷️ Themes\nWar\n",
        8,
        'the "🏷️ Themes" header is out of order: it comes before the "Entity Intersection '
        'Graph" header (line 6)',
    ),
    ("nul", "Title\n#Kyiv\nbad\x00line\n", 3, "a NUL character is not allowed in an article"),
    (
        "control-character",
        "Title\n📌 Key Takeaways\n- a\x1b[31m\n",
        3,
        "the control character U+001B is not allowed in an article",
    ),
    (
        "c1-control-character",
        "Title\u0085\n",
        1,
        "the control character U+0085 is not allowed in an article",
    ),
    (
        "lone-surrogate",
        "Title\n\n\ud83d\n",
        3,
        "a lone surrogate U+D83D is not allowed in an article (not valid Unicode)",
    ),
    (
        "line-numbers-count-crlf-and-cr",
        "\ufeffTitle\r\n\r\n#Kyiv\rSome text\r\n📌 Key Takeaways\r\n",
        4,
        'expected the "📌 Key Takeaways" header, found "Some text"',
    ),
    (
        "invisible-characters-are-escaped-in-quotes",
        "Title\n#Kyiv\nSome\u200btext\u2028here\n",
        3,
        'expected the "📌 Key Takeaways" header, found "Some\\u200btext\\u2028here"',
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "line", "message"), REFUSALS, ids=[c for c, _, _, _ in REFUSALS]
)
def test_refusals_name_the_line_and_what_was_expected(
    case: str, text: str, line: int | None, message: str
) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article(text, source=f"{case}.txt")
    error = caught.value
    assert error.source == f"{case}.txt"
    assert error.line == line
    assert error.message == message
    where = f"{case}.txt:{line}" if line is not None else f"{case}.txt"
    assert str(error) == f"{where}: {message}"


BYTE_REFUSALS: list[tuple[str, bytes, int | None, str]] = [
    ("empty", b"", None, "the file is empty"),
    ("bom-only", b"\xef\xbb\xbf", None, "the file is empty"),
    ("nul-byte", b"Title\n\x00\x01\x02", None, "a binary file, not text (a NUL byte at offset 6)"),
    (
        "png-header",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        None,
        "a binary file, not text (a NUL byte at offset 8)",
    ),
    (
        "mostly-control-bytes",
        bytes(range(1, 32)) * 20,
        None,
        "a binary file, not text (mostly control bytes)",
    ),
    ("utf-16-le", "Title".encode("utf-16"), None, "the file is UTF-16; save it as UTF-8"),
    ("utf-16-be", b"\xfe\xff\x00T", None, "the file is UTF-16; save it as UTF-8"),
    (
        "latin-1",
        "Title\n#Café\n".encode("latin-1"),
        2,
        "not UTF-8: the byte 0xE9 at offset 10 cannot be decoded (save the file as UTF-8)",
    ),
    (
        "bad-byte-after-crlf-and-cr-lines",
        b"Title\r\n#Kyiv\r\r\n\xe2\x82",
        4,
        "not UTF-8: the byte 0xE2 at offset 15 cannot be decoded (save the file as UTF-8)",
    ),
    (
        "bad-byte-offset-counts-the-bom",
        b"\xef\xbb\xbfTitle \xff",
        1,
        "not UTF-8: the byte 0xFF at offset 9 cannot be decoded (save the file as UTF-8)",
    ),
    (
        "encoded-surrogate",
        b"Title \xed\xa0\xbd\n",
        1,
        "not UTF-8: the byte 0xED at offset 6 cannot be decoded (save the file as UTF-8)",
    ),
    (
        "text-errors-still-have-lines",
        b"Title\n#Kyiv\nStray line\n",
        3,
        'expected the "📌 Key Takeaways" header, found "Stray line"',
    ),
]


@pytest.mark.parametrize(
    ("case", "data", "line", "message"), BYTE_REFUSALS, ids=[c for c, _, _, _ in BYTE_REFUSALS]
)
def test_byte_refusals(case: str, data: bytes, line: int | None, message: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article_bytes(data, source=f"{case}.txt")
    assert (caught.value.source, caught.value.line, caught.value.message) == (
        f"{case}.txt",
        line,
        message,
    )


# --- JSON Lines ------------------------------------------------------------------------------


def _jsonl() -> list[object]:
    return [json.loads(line) for line in SAMPLE_JSONL.read_text(encoding="utf-8").splitlines()]


def test_jsonl_sample_is_the_same_article_as_the_text_file() -> None:
    article = parse_article_json(_jsonl()[0], source="articles.jsonl", line=1)
    assert article.url == "https://news.example.org/2031/08/danube-low-water"
    assert article.published_at == datetime(2031, 8, 12, 6, 30, tzinfo=UTC)
    assert article.content_hash == EXPECTED.content_hash
    assert parse_article(format_article(article)) == EXPECTED


def test_jsonl_sample_with_string_forms() -> None:
    article = parse_article_json(_jsonl()[1], source="articles.jsonl", line=2)
    assert article == Article(
        title="Tallinn Opens Night Ferry Line to Helsinki <Baltic Star>",
        tags=("Tallinn", "Helsinki", "Ferries", "Baltic Sea"),
        takeaways=(
            "A new overnight ferry links Tallinn and Helsinki six days a week.",
            "Tickets start at 19 euros & include a cabin berth.",
        ),
        retelling=(
            "The operator said the route would run until the end of the winter season.",
            "Port officials in both cities welcomed the extra capacity.",
        ),
        themes=("Transport", "Tourism", "Regional Economy"),
        published_at=datetime(2031, 9, 1, 22, 15, tzinfo=UTC),
    )


BASE_JSON: dict[str, object] = {
    "title": "Title",
    "takeaways": ["One point."],
    "retelling": "One paragraph.",
}

JSON_FIELDS: list[tuple[str, dict[str, object], str, object]] = [
    (
        "tags-list",
        {"tags": ["#Kyiv", " Power  grid ", "kyiv", ""]},
        "tags",
        ("Kyiv", "Power grid"),
    ),
    (
        "hashtags-string",
        {"hashtags": "#Kyiv #Russia-Ukraine War"},
        "tags",
        ("Kyiv", "Russia-Ukraine War"),
    ),
    ("hashtags-string-without-hash", {"hashtags": "Kyiv #War"}, "tags", ("Kyiv", "War")),
    ("tags-null", {"tags": None}, "tags", ()),
    (
        "themes-string",
        {"themes": "War, Energy Security,war"},
        "themes",
        ("War", "Energy Security"),
    ),
    ("themes-list", {"themes": ["War", "#Diplomacy"]}, "themes", ("War", "Diplomacy")),
    (
        "retelling-list",
        {"retelling": ["One.", "Two.\r\nThree."]},
        "retelling",
        ("One.", "Two.", "Three."),
    ),
    (
        "retelling-blank-lines",
        {"retelling": "\n One. \n\n\nTwo.\n"},
        "retelling",
        ("One.", "Two."),
    ),
    ("graph-trimmed", {"entity_graph": "\n\nA ↔ B  \n\n C\n\n"}, "entity_graph", "A ↔ B\n\n C"),
    ("graph-blank", {"entity_graph": " \n "}, "entity_graph", None),
    ("url", {"url": " https://example.org/a?b=1#c "}, "url", "https://example.org/a?b=1#c"),
    ("url-http-port", {"url": "http://example.org:8080/"}, "url", "http://example.org:8080/"),
    ("url-empty", {"url": ""}, "url", None),
    (
        "published-at-offset",
        {"published_at": "2031-08-12T09:30:00+03:00"},
        "published_at",
        datetime(2031, 8, 12, 6, 30, tzinfo=UTC),
    ),
    (
        "published-at-z",
        {"published_at": "2031-08-12T09:30:00Z"},
        "published_at",
        datetime(2031, 8, 12, 9, 30, tzinfo=UTC),
    ),
    (
        "published-at-naive-is-utc",
        {"published_at": "2031-08-12 09:30"},
        "published_at",
        datetime(2031, 8, 12, 9, 30, tzinfo=UTC),
    ),
    (
        "published-at-date-only",
        {"published_at": "2031-08-12"},
        "published_at",
        datetime(2031, 8, 12, tzinfo=UTC),
    ),
    ("published-at-empty", {"published_at": "  "}, "published_at", None),
    ("unknown-keys-ignored", {"id": 7, "feed": {"name": "x"}}, "title", "Title"),
]


@pytest.mark.parametrize(
    ("case", "extra", "field", "value"), JSON_FIELDS, ids=[c for c, _, _, _ in JSON_FIELDS]
)
def test_json_fields(case: str, extra: dict[str, object], field: str, value: object) -> None:
    article = parse_article_json({**BASE_JSON, **extra}, source=case)
    assert getattr(article, field) == value
    if field == "published_at" and value is not None:
        assert article.published_at is not None
        assert article.published_at.utcoffset() == timedelta(0)


JSON_REFUSALS: list[tuple[str, object, str]] = [
    ("not-an-object", ["title"], "expected a JSON object, found an array"),
    ("null", None, "expected a JSON object, found null"),
    ("no-title", {"takeaways": ["a"], "retelling": "p"}, "title: missing"),
    ("title-not-string", {**BASE_JSON, "title": 5}, "title: expected a string, found a number"),
    ("title-blank", {**BASE_JSON, "title": "  "}, "title: must not be empty"),
    ("title-two-lines", {**BASE_JSON, "title": "One\nTwo"}, "title: must be one line"),
    (
        "title-hashtag",
        {**BASE_JSON, "title": "#Kyiv"},
        'title: must not start with "#" (it would read as a hashtag line)',
    ),
    ("title-header", {**BASE_JSON, "title": "Themes"}, 'title: reads as the "🏷️ Themes" header'),
    (
        "title-nul",
        {**BASE_JSON, "title": "a\x00b"},
        "title: a NUL character is not allowed in an article",
    ),
    (
        "title-surrogate",
        {**BASE_JSON, "title": "a\udc80"},
        "title: a lone surrogate U+DC80 is not allowed in an article (not valid Unicode)",
    ),
    (
        "tags-wrong-type",
        {**BASE_JSON, "tags": {"a": 1}},
        "tags: expected an array of strings, found an object",
    ),
    (
        "tags-item-wrong-type",
        {**BASE_JSON, "tags": ["a", 1]},
        "tags[1]: expected a string, found a number",
    ),
    (
        "tags-and-hashtags",
        {**BASE_JSON, "tags": ["a"], "hashtags": "#b"},
        'tags: give "tags" or "hashtags", not both',
    ),
    (
        "tag-with-space-hash",
        {**BASE_JSON, "hashtags": ["Kyiv #War"]},
        'hashtags[0]: a tag cannot contain " #": "Kyiv #War"',
    ),
    ("no-takeaways", {"title": "T", "retelling": "p"}, "takeaways: missing"),
    ("takeaways-empty", {**BASE_JSON, "takeaways": []}, "takeaways: must have at least one item"),
    (
        "takeaways-string",
        {**BASE_JSON, "takeaways": "a"},
        "takeaways: expected an array of strings, found a string",
    ),
    ("takeaway-blank", {**BASE_JSON, "takeaways": ["a", " "]}, "takeaways[1]: must not be empty"),
    ("takeaway-two-lines", {**BASE_JSON, "takeaways": ["a\nb"]}, "takeaways[0]: must be one line"),
    ("no-retelling", {"title": "T", "takeaways": ["a"]}, "retelling: missing"),
    (
        "retelling-number",
        {**BASE_JSON, "retelling": 3.5},
        "retelling: expected a string or an array of strings, found a number",
    ),
    (
        "retelling-blank",
        {**BASE_JSON, "retelling": "\n \n"},
        "retelling: must have at least one paragraph",
    ),
    (
        "retelling-item-wrong-type",
        {**BASE_JSON, "retelling": ["a", None]},
        "retelling[1]: expected a string, found null",
    ),
    (
        "retelling-header-paragraph",
        {**BASE_JSON, "retelling": ["a", "b\n📌 Key Takeaways"]},
        'retelling[1]: a paragraph reads as the "📌 Key Takeaways" header',
    ),
    (
        "themes-wrong-type",
        {**BASE_JSON, "themes": True},
        "themes: expected an array of strings, found true/false",
    ),
    (
        "theme-with-comma",
        {**BASE_JSON, "themes": ["War, Peace"]},
        'themes[0]: a theme cannot contain ",": "War, Peace"',
    ),
    (
        "themes-read-as-header",
        {**BASE_JSON, "themes": ["Full Retelling"]},
        'themes: reads as the "📖 Full Retelling" header',
    ),
    (
        "graph-wrong-type",
        {**BASE_JSON, "entity_graph": ["a"]},
        "entity_graph: expected a string, found an array",
    ),
    (
        "graph-header-line",
        {**BASE_JSON, "entity_graph": "a\nThemes:"},
        'entity_graph: a line reads as the "🏷️ Themes" header',
    ),
    ("url-wrong-type", {**BASE_JSON, "url": 1}, "url: expected a string, found a number"),
    (
        "url-ftp",
        {**BASE_JSON, "url": "ftp://example.org/a"},
        'url: expected an http(s) URL, found "ftp://example.org/a"',
    ),
    (
        "url-no-host",
        {**BASE_JSON, "url": "https:///path"},
        'url: expected an http(s) URL, found "https:///path"',
    ),
    (
        "url-relative",
        {**BASE_JSON, "url": "/2031/08/a"},
        'url: expected an http(s) URL, found "/2031/08/a"',
    ),
    (
        "url-space",
        {**BASE_JSON, "url": "https://example.org/a b"},
        'url: expected an http(s) URL, found "https://example.org/a b"',
    ),
    (
        "url-bad-port",
        {**BASE_JSON, "url": "https://example.org:99999/"},
        'url: expected an http(s) URL, found "https://example.org:99999/"',
    ),
    (
        "url-bad-ipv6",
        {**BASE_JSON, "url": "http://[::1/"},
        'url: expected an http(s) URL, found "http://[::1/"',
    ),
    (
        "published-at-number",
        {**BASE_JSON, "published_at": 1754000000},
        "published_at: expected an ISO-8601 date-time string, found a number",
    ),
    (
        "published-at-garbage",
        {**BASE_JSON, "published_at": "yesterday"},
        'published_at: expected an ISO-8601 date-time, found "yesterday"',
    ),
    (
        "published-at-overflows-utc",
        {**BASE_JSON, "published_at": "0001-01-01T00:00:00+05:00"},
        'published_at: expected an ISO-8601 date-time, found "0001-01-01T00:00:00+05:00"',
    ),
]


@pytest.mark.parametrize(
    ("case", "obj", "message"), JSON_REFUSALS, ids=[c for c, _, _ in JSON_REFUSALS]
)
def test_json_refusals_name_the_field(case: str, obj: object, message: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article_json(obj, source="feed.jsonl", line=12)
    assert (caught.value.source, caught.value.line, caught.value.message) == (
        "feed.jsonl",
        12,
        message,
    )


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


# --- Properties ------------------------------------------------------------------------------

# No control characters (so no line ends inside a field) and no lone surrogates; plus the
# characters the format gives a meaning to, so that they turn up often.
_CHARS = st.one_of(
    st.characters(blacklist_categories=("Cc", "Cs")),
    st.sampled_from(list("#-•*,:  \t📌📖🏷\ufe0f<>&\"'Київ_")),
)
_HEADER_WORDS = st.sampled_from(
    ["Key Takeaways", "Full Retelling", "Themes", "Entity Intersection Graph", "📌", "🏷️"]
)


def _one_line(max_size: int = 30) -> st.SearchStrategy[str]:
    words = st.one_of(st.text(_CHARS, min_size=1, max_size=max_size), _HEADER_WORDS)
    return st.lists(words, min_size=1, max_size=3).map(" ".join).map(str.strip).filter(bool)


def _clean(text: str) -> str:
    label = clean_label(text)
    while label.startswith("#"):
        label = clean_label(label)
    return label


def _label(forbidden: str) -> st.SearchStrategy[str]:
    return (
        _one_line()
        .map(_clean)
        .filter(lambda s: bool(s) and bool(fold_label(s)) and forbidden not in s)
    )


_titles = _one_line(60).filter(
    lambda s: not s.startswith(("#", "\ufeff")) and not is_header_line(s)
)
_tags = st.lists(_label(" #"), max_size=6, unique_by=fold_label).map(tuple)
_themes = (
    st.lists(_label(","), max_size=5, unique_by=fold_label)
    .map(tuple)
    .filter(lambda themes: not is_header_line(", ".join(themes)))
)
_takeaways = st.lists(_one_line(60), min_size=1, max_size=5).map(tuple)
_paragraphs = st.lists(
    _one_line(200).filter(lambda s: not is_header_line(s)), min_size=1, max_size=5
).map(tuple)


def _graph_text(lines: list[str]) -> str | None:
    kept = [line.rstrip() for line in lines]
    while kept and not kept[-1]:
        kept.pop()
    while kept and not kept[0]:
        kept.pop(0)
    return "\n".join(kept) or None


_graphs = st.one_of(
    st.none(),
    st.lists(
        st.one_of(st.just(""), st.text(_CHARS, max_size=40)).filter(
            lambda s: not is_header_line(s)
        ),
        min_size=1,
        max_size=5,
    ).map(_graph_text),
)

valid_articles = st.builds(
    Article,
    title=_titles,
    tags=_tags,
    takeaways=_takeaways,
    retelling=_paragraphs,
    themes=_themes,
    entity_graph=_graphs,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(valid_articles)
def test_format_then_parse_is_the_same_article(article: Article) -> None:
    text = format_article(article)
    assert parse_article(text) == article
    assert parse_article_bytes(text.encode("utf-8"), source="x") == article
    assert parse_article(text.replace("\n", "\r\n")) == article


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(valid_articles, st.booleans())
def test_json_of_a_valid_article_is_the_same_article(article: Article, as_strings: bool) -> None:
    obj = {
        "title": article.title,
        "tags": " ".join("#" + t for t in article.tags) if as_strings else list(article.tags),
        "takeaways": list(article.takeaways),
        "retelling": "\n".join(article.retelling) if as_strings else list(article.retelling),
        "themes": ", ".join(article.themes) if as_strings else list(article.themes),
        "entity_graph": article.entity_graph,
    }
    assert parse_article_json(obj, source="x") == article


_structured_lines = st.one_of(
    st.text(max_size=30),
    _HEADER_WORDS,
    st.sampled_from(
        [
            "",
            "  ",
            "#Kyiv #Power grid",
            "#",
            "- bullet",
            "-",
            "•",
            "War, Peace",
            "📌 Key Takeaways",
            "📖 Full Retelling",
            "🏷️ Themes",
            "Entity Intersection Graph",
            "\ufeff",
            "\x00",
            "\ud800",
            "\r",
        ]
    ),
)


@settings(max_examples=500)
@given(st.one_of(st.text(), st.lists(_structured_lines, max_size=14).map("\n".join)))
def test_parse_raises_nothing_but_article_error(text: str) -> None:
    try:
        article = parse_article(text)
    except ArticleError as error:
        caught: ArticleError | None = error
    else:
        caught = None
        assert parse_article(format_article(article)) == article
    if caught is not None:
        assert caught.line is None or caught.line >= 1
        str(caught).encode("utf-8")  # the message itself can always be sent anywhere


@settings(max_examples=300)
@given(
    st.one_of(
        st.binary(),
        st.lists(_structured_lines, max_size=14).map(
            lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_parse_bytes_raises_nothing_but_article_error(data: bytes) -> None:
    with contextlib.suppress(ArticleError):
        parse_article_bytes(data, source="x")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


def _field(plausible: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(_json_values, plausible)


_json_objects = st.fixed_dictionaries(
    {},
    optional={
        "title": _field(_structured_lines),
        "tags": _field(st.lists(_structured_lines, max_size=4)),
        "hashtags": _field(_structured_lines),
        "takeaways": _field(st.lists(_structured_lines, max_size=4)),
        "retelling": _field(st.lists(_structured_lines, max_size=4)),
        "themes": _field(_structured_lines),
        "entity_graph": _field(_structured_lines),
        "url": _field(
            st.sampled_from(["https://example.org/", "http://[::1", "ftp://x", "http://x:0"])
        ),
        "published_at": _field(
            st.datetimes(
                timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-11))])
            ).map(datetime.isoformat)
        ),
    },
)


@settings(max_examples=500)
@given(st.one_of(_json_values, _json_objects))
def test_parse_json_raises_nothing_but_article_error(obj: object) -> None:
    try:
        article = parse_article_json(obj, source="x")
    except ArticleError:
        return
    assert article.published_at is None or article.published_at.tzinfo is UTC
    stored = Article(
        title=article.title,
        tags=article.tags,
        takeaways=article.takeaways,
        retelling=article.retelling,
        themes=article.themes,
        entity_graph=article.entity_graph,
    )
    assert parse_article(format_article(article)) == stored
