"""The article-file parser on text: the sample, every variation real files have, identity."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.domain.articles import (
    GRAPH_HEADER,
    Article,
    Graph,
    content_hash,
    format_article,
    parse_article,
    parse_article_bytes,
)
from tests.domain.articles.samples import (
    EXPECTED,
    MINIMAL,
    MINIMAL_ARTICLE,
    SAMPLE_FILE,
    SAMPLE_TEXT,
    before_graph,
    each_line,
)

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
    ("blank-lines-everywhere", before_graph(lambda t: t.replace("\n", "\n\n \n"))),
    ("trailing-spaces", each_line(lambda line: line + "  \t ")),
    ("leading-spaces", before_graph(each_line(lambda line: "   " + line))),
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
