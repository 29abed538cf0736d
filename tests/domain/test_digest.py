"""The digest message: ranked entries, escaped HTML, a button per entry, "More" for the rest,
always within Telegram's length limit."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.digest import (
    MAX_LABELS,
    MAX_TAKEAWAY,
    MAX_TEXT,
    MAX_TITLE,
    DigestEntry,
    compose_digest,
    rank_entries,
)
from bot.domain.messages import Action, Button, Message

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
DELIVERY = 77


def compose(entries: list[DigestEntry], **options: object) -> Message:
    """One page of the digest delivery DELIVERY."""
    return compose_digest(entries, delivery_id=DELIVERY, **options)  # type: ignore[arg-type]


def opened(message: Message) -> list[Button]:
    """The buttons that open an article's card, in order."""
    return [b for row in message.buttons for b in row if b.action is Action.DIGEST_OPEN]


SINCE = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def entry(
    article_id: int,
    *,
    title: str = "Title",
    takeaway: str | None = None,
    tags: tuple[str, ...] = (),
    themes: tuple[str, ...] = (),
    matched: int = 1,
    age_minutes: int = 0,
) -> DigestEntry:
    return DigestEntry(
        article_id=article_id,
        title=title,
        takeaway=takeaway,
        tags=tags,
        themes=themes,
        matched=matched,
        sort_at=NOW - timedelta(minutes=age_minutes),
    )


def visible(markup: str) -> str:
    """The text a reader sees: tags dropped, entities decoded (enough for our own markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("entries", "order"),
    [
        pytest.param([], [], id="nothing"),
        pytest.param(
            [entry(1, matched=1), entry(2, matched=3), entry(3, matched=2)],
            [2, 3, 1],
            id="more-matched-labels-first",
        ),
        pytest.param(
            [entry(1, age_minutes=30), entry(2, age_minutes=5), entry(3, age_minutes=60)],
            [2, 1, 3],
            id="then-newest-first",
        ),
        pytest.param(
            [entry(4), entry(9), entry(6)],
            [9, 6, 4],
            id="then-the-later-article-first",
        ),
        pytest.param(
            [entry(1, matched=2, age_minutes=90), entry(2, matched=1, age_minutes=0)],
            [1, 2],
            id="matches-outrank-recency",
        ),
    ],
)
def test_entries_are_ranked_by_matches_then_recency(
    entries: list[DigestEntry], order: list[int]
) -> None:
    assert [e.article_id for e in rank_entries(entries)] == order


@pytest.mark.parametrize(
    ("total", "zone", "header"),
    [
        (1, UTC, "📰 Your digest: 1 new article since Mon 23 Nov, 08:00"),
        (2, UTC, "📰 Your digest: 2 new articles since Mon 23 Nov, 08:00"),
        (2, ZoneInfo("Europe/Kyiv"), "📰 Your digest: 2 new articles since Mon 23 Nov, 10:00"),
        (
            2,
            ZoneInfo("America/Los_Angeles"),
            "📰 Your digest: 2 new articles since Mon 23 Nov, 00:00",
        ),
    ],
)
def test_the_first_page_says_how_many_and_since_when_in_the_chats_zone(
    total: int, zone: ZoneInfo, header: str
) -> None:
    entries = [entry(n) for n in range(1, total + 1)]
    message = compose(entries, total=total, since=SINCE, zone=zone)
    assert message.text.split("\n\n")[0] == f"<b>{header}</b>"


@pytest.mark.parametrize(
    ("item", "lines"),
    [
        pytest.param(entry(7, title="Grid repaired"), ["<b>1. Grid repaired</b>"], id="title"),
        pytest.param(
            entry(7, title="Grid", takeaway="Power is back"),
            ["<b>1. Grid</b>", "Power is back"],
            id="takeaway-under-the-title",
        ),
        pytest.param(
            entry(7, title="A <b> & 'b'", takeaway="x < y & z"),
            ["<b>1. A &lt;b&gt; &amp; 'b'</b>", "x &lt; y &amp; z"],
            id="escaped",
        ),
        pytest.param(
            entry(7, title="  Spread \n over\tlines  "),
            ["<b>1. Spread over lines</b>"],
            id="whitespace-collapsed",
        ),
        pytest.param(
            entry(7, title="T", tags=("Power grid", "Kyiv"), themes=("Energy",)),
            ["<b>1. T</b>", "<i>#Power_grid · #Kyiv · Energy</i>"],
            id="hashtags-then-themes",
        ),
        pytest.param(
            entry(7, title="T", tags=("A", "B", "C", "D", "E")),
            ["<b>1. T</b>", "<i>#A · #B · #C · #D</i>"],
            id="at-most-four-labels",
        ),
    ],
)
def test_an_entry_shows_its_title_takeaway_and_labels(item: DigestEntry, lines: list[str]) -> None:
    message = compose([item], total=1, since=SINCE, zone=UTC)
    assert message.text.split("\n\n")[1].split("\n") == lines


def test_the_labels_the_chat_follows_come_first() -> None:
    item = entry(7, tags=("A", "B", "C", "D", "Kyiv"), themes=("Energy",))
    message = compose([item], total=1, since=SINCE, zone=UTC, followed=("energy", "kyiv"))
    labels = message.text.split("\n\n")[1].split("\n")[-1]
    assert labels == "<i>#Kyiv · Energy · #A · #B</i>"
    assert labels.count("·") == MAX_LABELS - 1


@pytest.mark.parametrize(("field", "limit"), [("title", MAX_TITLE), ("takeaway", MAX_TAKEAWAY)])
def test_long_titles_and_takeaways_are_shortened_with_an_ellipsis(field: str, limit: int) -> None:
    long = "word " * 200
    item = entry(7, title=long) if field == "title" else entry(7, takeaway=long)
    lines = visible(compose([item], total=1, since=SINCE, zone=UTC).text).split("\n")
    shown = lines[2].removeprefix("1. ") if field == "title" else lines[3]
    assert len(shown) <= limit
    assert shown.endswith("word…")


@pytest.mark.parametrize(
    ("count", "max_items", "shown", "rows", "more"),
    [
        (1, 10, 1, [["1"]], None),
        (5, 10, 5, [["1", "2", "3", "4", "5"]], None),
        (7, 10, 7, [["1", "2", "3", "4", "5"], ["6", "7"]], None),
        (12, 10, 10, [["1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"]], 11),
        (4, 3, 3, [["1", "2", "3"]], 4),
    ],
)
def test_each_entry_gets_a_button_and_more_shows_the_rest(
    count: int, max_items: int, shown: int, rows: list[list[str]], more: int | None
) -> None:
    entries = [entry(100 + n) for n in range(count)]
    message = compose(entries, total=count, since=SINCE, zone=UTC, max_items=max_items)
    assert len(opened(message)) == shown
    numbered = [list(row) for row in message.buttons[: len(rows)]]
    assert [[button.text for button in row] for row in numbered] == rows
    numbered_buttons = [button for row in numbered for button in row]
    assert {button.action for button in numbered_buttons} == {Action.DIGEST_OPEN}
    assert [button.args for button in numbered_buttons] == [(100 + n,) for n in range(shown)]
    if more is None:
        assert len(message.buttons) == len(rows)
        assert "tap More" not in message.text
    else:
        remaining = count - shown
        assert message.buttons[-1] == (
            Button(f"More ({remaining}) ▸", Action.DIGEST_MORE, (DELIVERY, more)),
        )
        assert message.text.endswith(f"…and {remaining} more: tap More.")


@pytest.mark.parametrize(
    ("first", "count", "total", "header", "numbers"),
    [
        (11, 2, 12, "📰 Your digest, continued (11–12 of 12)", ["11", "12"]),
        (11, 10, 25, "📰 Your digest, continued (11–20 of 25)", [str(n) for n in range(11, 21)]),
    ],
)
def test_a_later_page_continues_the_numbering(
    first: int, count: int, total: int, header: str, numbers: list[str]
) -> None:
    entries = [entry(n) for n in range(count)]
    message = compose(entries, total=total, since=SINCE, zone=UTC, first=first)
    assert message.text.split("\n\n")[0] == f"<b>{header}</b>"
    assert message.text.split("\n\n")[1].startswith(f"<b>{first}. ")
    assert [b.text for b in opened(message)] == numbers


def test_entries_that_would_pass_the_limit_wait_for_more() -> None:
    # Each entry is about 450 characters once shortened: ten do not fit in one message.
    entries = [
        entry(n, title="t" * 500, takeaway="k" * 500, tags=("Tag " * 10,)) for n in range(10)
    ]
    message = compose(entries, total=10, since=SINCE, zone=UTC)
    shown = len(opened(message))
    assert 1 < shown < 10
    assert utf16_len(visible(message.text)) <= MAX_TEXT
    assert message.buttons[-1][0].action is Action.DIGEST_MORE
    assert message.buttons[-1][0].args == (DELIVERY, shown + 1)


@given(
    st.lists(
        st.builds(
            entry,
            st.integers(1, 10**6),
            title=st.text(min_size=1, max_size=400),
            takeaway=st.none() | st.text(max_size=400),
            tags=st.lists(st.text(min_size=1, max_size=60), max_size=6).map(tuple),
            themes=st.lists(st.text(min_size=1, max_size=60), max_size=3).map(tuple),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(1, 30),
)
def test_any_digest_page_fits_one_telegram_message(
    entries: list[DigestEntry], max_items: int
) -> None:
    total = len(entries) + 5
    message = compose(entries, total=total, since=SINCE, zone=UTC, max_items=max_items)
    assert utf16_len(visible(message.text)) <= 4096
    shown = len(opened(message))
    assert 1 <= shown <= min(len(entries), max_items)
    assert [b.args for b in opened(message)] == [(e.article_id,) for e in entries[:shown]]
    # There are always more (total exceeds the entries given), so always a More button.
    assert message.buttons[-1][0].action is Action.DIGEST_MORE


def test_a_later_page_leads_back_as_well_as_on() -> None:
    entries = [entry(n) for n in range(1, 31)]
    page = compose(entries[10:20], total=30, since=SINCE, zone=UTC, first=11, max_items=10)
    (back, more) = page.buttons[-1]
    assert (back.text, back.args) == ("◂ Back", (DELIVERY, 1))
    assert (more.text, more.args) == ("More (10) ▸", (DELIVERY, 21))
    first = compose(entries, total=30, since=SINCE, zone=UTC)
    assert [b.text for b in first.buttons[-1]] == ["More (20) ▸"]
