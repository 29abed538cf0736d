"""Cards and retelling pages: escaped HTML, takeaways first, pages within Telegram's limit."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.articles import Article
from bot.domain.cards import (
    CARD_LIMIT,
    MESSAGE_LIMIT,
    page,
    paginate,
    render_card,
    render_retelling,
    retelling_pages,
    with_footer,
)
from bot.domain.messages import Action, Button, Message
from bot.domain.records import StoredArticle
from bot.domain.text import clip, utf16_len

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def stored(article: Article, article_id: int = 7) -> StoredArticle:
    return StoredArticle(id=article_id, article=article, published_at=NOW, ingested_at=NOW)


def visible(markup: str) -> str:
    """The text a reader sees: tags dropped, entities decoded (enough for our own markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


MARKUP = Article(
    title='Raw <b> tags & a price "< 0"',
    tags=("Russia-Ukraine War", "Power grid", "Київ"),
    takeaways=("Rows read <b>Day rate</b> & <i>Night rate</i>.", "x < y && y > z"),
    retelling=("A literal &amp; stayed &amp;.", "<script>alert(1)</script>"),
    themes=("Energy Security", "War"),
)


def test_card_escapes_text_and_shows_takeaways_before_labels() -> None:
    card = render_card(stored(MARKUP))
    assert card.text.startswith('<b>Raw &lt;b&gt; tags &amp; a price "&lt; 0"</b>\n')
    seen = visible(card.text)
    assert "Rows read <b>Day rate</b> & <i>Night rate</i>." in seen
    assert "x < y && y > z" in seen
    assert seen.index("Key takeaways") < seen.index("#Russia_Ukraine_War")
    assert "#Russia_Ukraine_War #Power_grid #Київ" in seen
    assert "Energy Security, War" in seen
    # The only tags in the markup are ours.
    assert set(re.findall(r"</?([a-z]+)", card.text)) == {"b", "i", "blockquote"}


def test_a_short_retelling_is_in_the_card_as_a_collapsed_quote() -> None:
    card = render_card(stored(MARKUP, article_id=42))
    assert card.buttons == ()
    quote = card.text[card.text.index("<blockquote expandable>") :]
    assert quote == (
        "<blockquote expandable>📖 <b>Full retelling</b>\n"
        "A literal &amp;amp; stayed &amp;amp;.\n\n&lt;script&gt;alert(1)&lt;/script&gt;"
        "</blockquote>"
    )
    # It comes last, after the labels.
    assert visible(card.text).index("Energy Security, War") < visible(card.text).index("📖")


def test_a_retelling_too_long_for_the_card_gets_one_button_for_its_article() -> None:
    article = long_article()
    card = render_card(stored(article, article_id=42))
    assert "blockquote" not in card.text
    assert [[(b.text, b.action, b.args) for b in row] for row in card.buttons] == [
        [("📖 Full retelling", Action.RETELL, (42, 1))]
    ]


def test_the_quote_leaves_room_for_a_page_footer() -> None:
    # Just under and just over what fits with FOOTER_ROOM to spare.
    base = Article(title="T", tags=(), takeaways=("a",), retelling=("x",))
    empty = utf16_len(visible(render_card(stored(base)).text))
    fitting = CARD_LIMIT - empty + 1  # the "x" is replaced
    for size, inline in ((fitting, True), (fitting + 1, False)):
        card = render_card(stored(dataclasses.replace(base, retelling=("y" * size,))))
        assert ("blockquote" in card.text) is inline, size
        assert utf16_len(visible(card.text)) <= CARD_LIMIT
    footer = Message("Showing 3 of 9 articles on #" + "L" * 200 + ".")
    big = render_card(stored(dataclasses.replace(base, retelling=("y" * fitting,))))
    joined = with_footer(big, footer)
    assert joined is not None
    assert utf16_len(visible(joined.text)) <= MESSAGE_LIMIT


def test_a_page_carries_its_footer_on_the_last_card() -> None:
    more = Button("More", Action.MORE, (1, 3))
    cards = [render_card(stored(MARKUP, article_id=n)) for n in range(3)]
    footer = Message("Showing 3 of 5.", ((more,),))
    sent = page(cards, footer)
    assert len(sent) == 3
    assert sent[:2] == cards[:2]
    assert sent[2].text == cards[2].text + "\n\nShowing 3 of 5."
    assert sent[2].buttons == (*cards[2].buttons, (more,))
    assert page(cards, None) == cards
    assert page([], footer) == [footer]


def test_a_footer_that_does_not_fit_comes_alone() -> None:
    huge = Message("z" * (MESSAGE_LIMIT - 10))
    footer = Message("Showing 3 of 5.")
    assert page([huge], footer) == [huge, footer]


def test_card_links_its_source_with_an_escaped_url() -> None:
    article = Article(
        title="T", tags=(), takeaways=("a",), retelling=("b",), url='https://e.x/?a=1&b="2"'
    )
    assert (
        '<a href="https://e.x/?a=1&amp;b=&quot;2&quot;">Source</a>'
        in render_card(stored(article)).text
    )


def test_a_huge_article_still_makes_a_card_within_the_limit() -> None:
    article = Article(
        title="Title " * 200,
        tags=tuple(f"Tag number {n}" for n in range(300)),
        takeaways=tuple("word " * 400 for _ in range(20)),
        retelling=("x",),
        themes=tuple(f"Theme {n}" for n in range(100)),
    )
    card = render_card(stored(article))
    assert utf16_len(visible(card.text)) <= MESSAGE_LIMIT
    assert "more in the full retelling" in card.text


def test_short_retelling_is_one_page_with_a_way_back() -> None:
    card = render_retelling(stored(MARKUP), 1)
    seen = visible(card.text)
    assert "<script>alert(1)</script>" in seen
    assert "A literal &amp; stayed &amp;." in seen
    assert "1/1" not in seen
    assert [[b.action for b in row] for row in card.buttons] == [[Action.TAKEAWAYS]]


def long_article() -> Article:
    sentence = "The grid held through the night, and the crews went home at dawn. "
    paragraphs = tuple(f"Paragraph {n}. " + sentence * (12 + n % 5) for n in range(40))
    giant = "One very long paragraph. " + "Еще одно предложение с кириллицей 😀. " * 200
    return Article(title="A long read", tags=(), takeaways=("a",), retelling=(*paragraphs, giant))


def test_long_retelling_pages_fit_and_lose_no_word() -> None:
    article = long_article()
    pages = retelling_pages(stored(article))
    assert len(pages) > 3
    cards = [render_retelling(stored(article), n) for n in range(1, len(pages) + 1)]
    for number, card in enumerate(cards, start=1):
        assert utf16_len(visible(card.text)) <= MESSAGE_LIMIT
        assert f"{number}/{len(pages)}" in card.text
    assert " ".join(pages).split() == " ".join(article.retelling).split()


def test_page_buttons_lead_back_and_forth() -> None:
    article = long_article()
    count = len(retelling_pages(stored(article)))
    first = render_retelling(stored(article), 1)
    middle = render_retelling(stored(article), 2)
    last = render_retelling(stored(article), count)
    assert [b.text for b in first.buttons[0]] == [f"1/{count}", "›"]
    assert [(b.text, b.args) for b in middle.buttons[0]] == [
        ("‹", (7, 1)),
        (f"2/{count}", ()),
        ("›", (7, 3)),
    ]
    assert [b.text for b in last.buttons[0]] == ["‹", f"{count}/{count}"]
    assert render_retelling(stored(article), count + 5).text == last.text


@pytest.mark.parametrize(
    ("paragraphs", "budget", "pages"),
    [
        (["one two", "three"], 100, ["one two\n\nthree"]),
        (["aaaa bbbb", "cccc"], 9, ["aaaa bbbb", "cccc"]),
        # A paragraph that fits a page moves whole rather than breaking.
        (["aa", "bbbb. cccc."], 12, ["aa", "bbbb. cccc."]),
        # A paragraph longer than a page breaks between sentences.
        (["Aaa. Bbb. Ccc."], 9, ["Aaa. Bbb.", "Ccc."]),
        # A sentence longer than a page breaks between words.
        (["aaa bbb ccc ddd"], 8, ["aaa bbb", "ccc ddd"]),
        # Only a word longer than a page is cut, and never inside a character.
        (["x" * 10], 4, ["xxxx", "xxxx", "xx"]),
        (["😀😀😀"], 4, ["😀😀", "😀"]),
        ([""], 10, [""]),
    ],
)
def test_paginate(paragraphs: list[str], budget: int, pages: list[str]) -> None:
    assert paginate(paragraphs, budget) == pages


words = st.text(alphabet=st.sampled_from([*"abcЖй😀.!? ", "\u0301"]), min_size=0, max_size=80)


@settings(max_examples=200, deadline=None)
@given(st.lists(words, max_size=30), st.integers(min_value=2, max_value=120))
def test_paginate_keeps_every_word_within_the_budget(paragraphs: list[str], budget: int) -> None:
    pages = paginate(paragraphs, budget)
    assert all(utf16_len(page) <= budget for page in pages)
    text_words = " ".join(paragraphs).split()
    page_words = " ".join(pages).split()
    if all(utf16_len(word) <= budget for word in text_words):
        assert page_words == text_words
    else:
        assert "".join(page_words) == "".join(text_words)


@pytest.mark.parametrize(
    ("text", "limit", "clipped"),
    [
        ("short", 10, "short"),
        ("one two three four", 12, "one two…"),
        ("abcdefghij", 5, "abcd…"),
    ],
)
def test_clip(text: str, limit: int, clipped: str) -> None:
    assert clip(text, limit) == clipped
