"""Articles as JSON Lines: the sample, each field in its forms, refusals naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.articles import (
    Article,
    ArticleError,
    format_article,
    parse_article,
    parse_article_json,
)
from tests.domain.articles.samples import EXPECTED, SAMPLE_JSONL

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
    # A byte order mark carries nothing; the text form drops one at the start of a file.
    ("title-after-a-bom", {"title": "\ufeff Title"}, "title", "Title"),
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
    ("title-only-a-bom", {**BASE_JSON, "title": "\ufeff"}, "title: must not be empty"),
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
