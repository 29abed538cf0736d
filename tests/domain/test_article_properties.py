"""Properties of rich article files: nothing crashes the parser, and what it reads or what a
JSON record gives is written back by format_article as the same article."""

from __future__ import annotations

import contextlib
from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.domain.articles import (
    Article,
    ArticleError,
    format_article,
    parse_article,
    parse_article_bytes,
    parse_article_json,
)

HEAD = "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n"

# Lines that mean something somewhere in a file, so that sections open, close and clash often.
_MEANINGFUL = [
    "",
    "📌 Key Takeaways",
    "📖 Full Retelling",
    "🐦 Character Reactions (Tweets)",
    "💬 Character Dialogue",
    "🏷️ Themes",
    "Теми",
    "📚 Related People & Topics",
    "Entity Intersection Graph",
    "🔗 Граф пересічень",
    "Mentioned Entities",
    "Deep Analysis",
    "Why It Matters",
    "Context & Background",
    "What Happens Next",
    "Frequently Asked Questions",
    "Що далі",
    "Original Source",
    "Source",
    "Джерело",
    "🗺️ Timeline",
    "🧠 Глибокий аналіз:",
    "No entity connections available yet for this article.",
    "Connections for Volodymyr Zelensky:",
    "Connections for",
    "👤 Donald Trump",
    "🏢 Ukrenergo 4 shared",
    "🌐 Kyiv (9 shared articles)",
    "👤",
    "14 shared",
    "0 shared articles",
    "View Profile →",
    "Wikipedia ↗",
    "View full profile",
    "Read full article at source",
    "- a bullet",
    "•",
    "-",
    "War, Energy Security",
    "https://example.org/a",
    "www.example-news.com",
    "  ├─ Energy",
    "#Kyiv #Power grid",
]
_lines = st.one_of(
    st.sampled_from(_MEANINGFUL),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=25),
)
_files = st.one_of(
    st.lists(_lines, max_size=25).map(lambda lines: HEAD + "\n".join(lines)),
    st.lists(_lines, max_size=25).map("\n".join),
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(_files, st.booleans())
def test_no_file_crashes_the_parser_and_what_it_reads_round_trips(text: str, strict: bool) -> None:
    try:
        article = parse_article(text, strict=strict)
    except ArticleError as error:
        refused: ArticleError | None = error
    else:
        refused = None
    if refused is not None:
        assert refused.line is None or refused.line >= 1
        str(refused).encode("utf-8")  # the message itself can always be sent anywhere
        return
    written = format_article(article)
    assert parse_article(written) == article
    assert parse_article_bytes(written.replace("\n", "\r\n").encode(), source="x") == article
    if strict:
        assert article.extra == ()


@settings(max_examples=200)
@given(st.lists(_lines, max_size=25).map(lambda lines: HEAD + "\n".join(lines)))
def test_bytes_of_any_file_raise_nothing_but_article_error(text: str) -> None:
    with contextlib.suppress(ArticleError):
        parse_article_bytes(text.encode("utf-8", "surrogatepass"), source="x")


# --- JSON records ----------------------------------------------------------------------------

# Mostly plain text, so that most records are valid; the crash test below adds the rest.
_words = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20),
    st.sampled_from(["<b>x</b> & y", "Київ", "- dash", "#tag", "14", "shared", "👤", "War,"]),
)
_line = st.lists(_words, min_size=1, max_size=3).map(" ".join).filter(str.strip)
_entity = st.fixed_dictionaries(
    {"name": _line}, optional={"description": st.one_of(st.just(""), _line)}
)
_connection = st.fixed_dictionaries(
    {
        "name": _line,
        "kind": st.sampled_from(["person", "organisation", "organization", "other"]),
        "shared": st.integers(min_value=0, max_value=999),
    }
)
_graph = st.one_of(
    st.just({"main": None}),
    st.fixed_dictionaries(
        {"main": _line, "connections": st.lists(_connection, max_size=4)},
    ),
)
_analysis = st.fixed_dictionaries(
    {},
    optional={
        "summary": _line,
        "why_it_matters": st.lists(_line, max_size=2).map("\n".join),
        "context": st.one_of(st.lists(_line, max_size=3), _line),
        "what_next": _line,
        "faq": st.lists(st.fixed_dictionaries({"question": _line, "answer": _line}), max_size=3),
    },
)
_records = st.fixed_dictionaries(
    {
        "title": _line,
        "takeaways": st.lists(_line, min_size=1, max_size=3),
        "retelling": st.lists(_line, min_size=1, max_size=3),
    },
    optional={
        "tags": st.lists(_line, max_size=3),
        "themes": st.lists(_line, max_size=3),
        "reactions": st.lists(_line, max_size=3),
        "dialogue": st.one_of(st.lists(_line, max_size=3), _line),
        "related": st.lists(_entity, max_size=3),
        "graph": _graph,
        "entity_graph": st.lists(_line, max_size=4).map("\n".join),
        "entities": st.lists(_entity, max_size=3),
        "analysis": _analysis,
        "original": st.lists(_line, max_size=2),
        "source": _line,
        "extra": st.lists(
            st.fixed_dictionaries(
                {"header": st.sampled_from(["🗺️ Timeline", "🧠 Глибокий аналіз", "🔥 Hot"])},
                optional={"text": st.lists(_line, max_size=2).map("\n".join)},
            ),
            max_size=2,
        ),
    },
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(_records)
def test_a_json_record_and_the_file_written_from_it_are_the_same_article(
    record: dict[str, object],
) -> None:
    try:
        article = parse_article_json(record, source="x")
    except ArticleError:
        assume(False)
        return
    assert parse_article(format_article(article)) == replace(article, url=None)


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(
            ["related", "entities", "graph", "analysis", "original", "source", "extra"]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10) | _line,
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["name", "main", "connections", "kind", "shared", "faq"]),
                    inner,
                )
            ),
            max_leaves=8,
        ),
    )
)
def test_no_json_value_crashes_the_reader(extra: dict[str, object]) -> None:
    record = {"title": "T", "takeaways": ["a"], "retelling": "p", **extra}
    with contextlib.suppress(ArticleError):
        article = parse_article_json(record, source="x")
        assert parse_article(format_article(article)) == article


def test_a_record_with_every_section_is_the_full_example() -> None:
    record = {
        "title": "T",
        "takeaways": ["a"],
        "retelling": "p",
        "related": [{"name": "Kyiv", "description": "Capital."}],
        "graph": {
            "main": "Kyiv",
            "connections": [{"name": "Donald Trump", "kind": "person", "shared": 14}],
        },
        "entities": [{"name": "Ukrenergo"}],
        "analysis": {"context": "- One.\n- Two.", "faq": [{"question": "Q?", "answer": "A."}]},
        "original": "Excerpt.",
        "source": "www.example.org",
        "extra": [{"header": "🗺️ Timeline", "text": "Dec 5."}],
    }
    article = parse_article_json(record, source="x")
    assert isinstance(article, Article)
    assert article.analysis is not None
    assert article.analysis.context == ("One.", "Two.")
    assert parse_article(format_article(article)) == article
