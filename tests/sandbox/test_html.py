"""Telegram's HTML parse mode and entity detection, without the HTTP layer."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.localapi.errors import ApiError
from sandbox.localapi.html import format_text, utf16_len


def parse(text: str) -> tuple[str, list[dict[str, Any]]]:
    formatted = format_text(text, parse_mode="HTML")
    return formatted.text, formatted.entities


def refusal(text: str) -> str:
    with pytest.raises(ApiError) as caught:
        format_text(text, parse_mode="HTML")
    assert caught.value.error_code == 400
    return caught.value.description


def test_nested_tags_become_entities_over_plain_text() -> None:
    text, entities = parse('<b>Kyiv <i>today</i></b> <a href="https://example.com/a">more</a>')
    assert text == "Kyiv today more"
    assert entities == [
        {"offset": 0, "length": 10, "type": "bold"},
        {"offset": 5, "length": 5, "type": "italic"},
        {"offset": 11, "length": 4, "type": "text_link", "url": "https://example.com/a"},
    ]


def test_all_telegram_tags_are_accepted() -> None:
    text, entities = parse(
        "<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del>"
        '<span class="tg-spoiler">h</span><tg-spoiler>i</tg-spoiler><code>j</code>'
        '<pre><code class="language-python">k</code></pre><blockquote>l</blockquote>'
        "<blockquote expandable>m</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "abcdefghijklm👍"
    types = [e["type"] for e in entities]
    assert types == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "pre",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
    ]
    assert entities[6]["language"] == "python"


def test_offsets_are_counted_in_utf16_code_units() -> None:
    text, entities = parse("😀 <b>жирный</b>")
    assert text == "😀 жирный"
    assert entities == [{"offset": 3, "length": 6, "type": "bold"}]


def test_escaped_tags_show_as_text() -> None:
    text, entities = parse("&lt;b&gt;not bold&lt;/b&gt; &amp; &quot;q&quot; &#65;&#x42;")
    assert text == '<b>not bold</b> & "q" AB'
    assert entities == []


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("x<b", "Unclosed start tag at byte offset 1"),
        ("</b>", "Unexpected end tag at byte offset 0"),
        (
            "<b><i>x</b></i>",
            'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        ),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("Ж <br>", 'Unsupported start tag "br" at byte offset 3'),
        ("a &nbsp; b", 'Unsupported HTML entity "&nbsp;" at byte offset 2'),
    ],
)
def test_invalid_html_is_refused_with_telegrams_reason(html: str, reason: str) -> None:
    assert refusal(html) == f"Bad Request: can't parse entities: {reason}"


def test_bare_ampersand_and_greater_than_are_plain_text() -> None:
    assert parse("Tom & Jerry > cats")[0] == "Tom & Jerry > cats"


def test_text_is_trimmed_and_empty_text_refused() -> None:
    assert parse("\n  <b> hi </b>  \n") == ("hi", [{"offset": 0, "length": 2, "type": "bold"}])
    assert refusal("<b></b>") == "Bad Request: message text is empty"
    assert refusal("  \n ") == "Bad Request: message text is empty"


def test_other_parse_modes_are_refused() -> None:
    with pytest.raises(ApiError, match="MarkdownV2 is not supported"):
        format_text("*x*", parse_mode="MarkdownV2")
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_text("x", parse_mode="rich")


def test_hashtags_commands_mentions_and_urls_are_detected() -> None:
    text, entities = parse(
        "#Київ_2026 #123 /topic@digestbot_test_bot @newsroom https://example.com/a?b=1. "
        "<code>#not_here</code>"
    )
    found = [(e["type"], text[e["offset"] : e["offset"] + e["length"]]) for e in entities]
    assert found == [
        ("hashtag", "#Київ_2026"),
        ("bot_command", "/topic@digestbot_test_bot"),
        ("mention", "@newsroom"),
        ("url", "https://example.com/a?b=1"),
        ("code", "#not_here"),
    ]


def test_formatting_is_split_around_detected_entities() -> None:
    _, entities = parse("<b>see example.com now</b>")
    assert entities == [
        {"offset": 0, "length": 4, "type": "bold"},
        {"offset": 4, "length": 11, "type": "url"},
        {"offset": 4, "length": 11, "type": "bold"},
        {"offset": 16, "length": 3, "type": "bold"},
    ]


def test_utf16_length_counts_surrogate_pairs() -> None:
    assert utf16_len("a😀я") == 4


def test_links_to_known_users_become_text_mentions() -> None:
    user = {"id": 5, "is_bot": False, "first_name": "Olena"}
    formatted = format_text(
        '<a href="tg://user?id=5">Olena</a> <a href="tg://user?id=6">nobody</a>',
        parse_mode="HTML",
        resolve_user=lambda user_id: user if user_id == 5 else None,
    )
    assert formatted.entities == [
        {"offset": 0, "length": 5, "type": "text_mention", "user": user},
        {"offset": 6, "length": 6, "type": "text_link", "url": "tg://user?id=6"},
    ]


def test_explicit_entities_are_taken_in_utf16_units() -> None:
    formatted = format_text("😀 bold", entities=[{"type": "bold", "offset": 3, "length": 4}])
    assert formatted.entities == [{"offset": 3, "length": 4, "type": "bold"}]
    with pytest.raises(ApiError, match="ends after the end of the text"):
        format_text("abc", entities=[{"type": "bold", "offset": 1, "length": 5}])


_PIECES = st.sampled_from(
    [
        "<b>",
        "</b>",
        "<i>",
        "</i>",
        "<code>",
        "</code>",
        "<pre>",
        "</pre>",
        '<a href="https://example.com">',
        "</a>",
        "<blockquote>",
        "</blockquote>",
        "&lt;",
        "&amp;",
        "&#128512;",
        "<",
        ">",
        "&",
        " ",
        "\n",
        "#tag",
        "/cmd",
        "@someone",
        "example.com",
        "😀",
        "слово",
        "x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_any_input_is_either_refused_or_gives_entities_inside_the_text(html: str) -> None:
    try:
        text, entities = parse(html)
    except ApiError as exc:
        codes = {exc.error_code}
        text, entities = "", []
    else:
        codes = {200}
    assert codes <= {200, 400}
    size = utf16_len(text)
    assert text == text.rstrip(" \n")
    # Leading whitespace stays only where an entity (a link over a space) starts.
    assert text == text.lstrip(" \n") or entities[0]["offset"] == 0
    for entity in entities:
        assert entity["length"] > 0
        assert 0 <= entity["offset"] < entity["offset"] + entity["length"] <= size
    keys = [(e["offset"], -e["length"]) for e in entities]
    assert keys == sorted(keys)


def test_expandable_is_a_flag_on_the_blockquote_tag() -> None:
    text, entities = parse(
        "Card\n\n<blockquote expandable>📖 <b>Full retelling</b>\nLong text.</blockquote>"
    )
    assert text == "Card\n\n📖 Full retelling\nLong text."
    assert entities == [
        {"offset": 6, "length": 28, "type": "expandable_blockquote"},
        {"offset": 9, "length": 14, "type": "bold"},
    ]
    # The flag takes no value, but a value does no harm; a plain quote stays plain.
    assert parse('<blockquote expandable="yes">q</blockquote>')[1][0]["type"] == (
        "expandable_blockquote"
    )
    assert parse("<blockquote>q</blockquote>")[1][0]["type"] == "blockquote"
    assert parse('<blockquote cite="x">q</blockquote>')[1][0]["type"] == "blockquote"


def test_blockquotes_do_not_nest() -> None:
    text, entities = parse("<blockquote expandable>a <blockquote>b</blockquote> c</blockquote>")
    assert text == "a b c"
    assert entities == [{"offset": 0, "length": 5, "type": "expandable_blockquote"}]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<blockquote expandable>q", 'end tag corresponding to start tag "blockquote"'),
        ("<blockquote expandable>q</b>", 'expected "</blockquote>", found "</b>"'),
        ("<blockquote expandable", "Unclosed start tag"),
        ("<b expandable>q</b>", "Expected equal sign in declaration of an attribute of the tag"),
    ],
)
def test_broken_expandable_quotes_are_refused(html: str, reason: str) -> None:
    assert reason in refusal(html)
