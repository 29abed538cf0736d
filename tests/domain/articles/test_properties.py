"""Properties of the article parser: what it writes parses back, only ArticleError escapes."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.articles import (
    Article,
    ArticleError,
    format_article,
    is_header_line,
    parse_article,
    parse_article_bytes,
    parse_article_json,
)
from bot.domain.articles.lines import header_of
from bot.domain.labels import clean_label, fold_label

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


_graph_lines = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "",
                "   ",
                "Connections for Volodymyr Zelensky:",
                "Connections for Kyiv",
                "No entity connections available yet for this article.",
                "👤 Donald Trump",
                "🏢 Naftogaz",
                "🌐 European Union",
                "  🌐 Indented",
                "👤",
                "14 shared",
                "3 shared articles",
                "Naftogaz · 5 shared",
                "🏢 Ukrenergo — 2 shared",
                "Area51 shared",
                "View full profile",
                "Wikipedia ↗",
                "View Profile →",
            ]
        ),
        st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
    ),
    min_size=1,
    max_size=12,
).filter(lambda lines: all(header_of(line.strip(), in_graph=True) is None for line in lines))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_graph_lines)
def test_a_graph_reads_the_same_in_a_file_and_in_json(lines: list[str]) -> None:
    # The text parser reads graph lines in its loop over the file; JSON Lines records go
    # through graph_of: one section, one meaning.
    head = "Title\n#Kyiv\n\n📌 Key Takeaways\n- One.\n\n📖 Full Retelling\nText.\n\n"
    graph = "Entity Intersection Graph\n" + "\n".join(lines)
    text = parse_article(head + graph + "\nMentioned Entities\nKyiv\nThe capital.")
    record = {"title": "Title", "tags": ["Kyiv"], "takeaways": ["One."], "retelling": ["Text."]}
    record["entity_graph"] = "\n".join(lines)
    record["entities"] = [{"name": "Kyiv", "description": "The capital."}]
    json = parse_article_json(record, source="x")
    assert (text.graph, text.entity_graph) == (json.graph, json.entity_graph)
