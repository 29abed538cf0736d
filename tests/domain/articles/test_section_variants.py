"""Rich article files: every section the source writes, in both languages and every layout."""

from __future__ import annotations

import pytest

from bot.domain.articles import (
    Analysis,
    Article,
    ArticleError,
    format_article,
    parse_article,
)
from tests.domain.articles.examples import (
    FULL,
    FULL_TEXT,
    MINIMAL,
)

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
