"""A rich article's card, end to end: Connections, Analysis and Source open from the card; a
simple article's card offers none of them; an entity's button opens its topic."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.domain.articles import Article, parse_article
from sandbox.localapi import StoredMessage
from sandbox.localapi.html import utf16_len
from tests.handlers.conftest import ALICE, Chat, buttons

DATA = Path(__file__).parents[1] / "data" / "articles"
RICH_TITLE = "Zelensky Meets Energy Ministers as Grid Repairs Race Winter"
SOURCE = "https://www.example-news.com/world/zelensky-energy-ministers-grid"


def read(name: str) -> Article:
    return parse_article((DATA / name).read_text(encoding="utf-8"))


async def rich_card(chat: Chat) -> StoredMessage:
    await chat.add_articles(
        [read("zelensky-energy-ministers.txt"), read("energy-strikes-kyiv.txt")]
    )
    (card,) = await chat.send("/topic Ukrenergo")
    return card


def button_named(message: StoredMessage, text: str) -> dict[str, str]:
    (found,) = [b for b in message.buttons() if b["text"] == text]
    return found


async def test_a_rich_card_offers_connections_analysis_and_source(chat: Chat) -> None:
    card = await rich_card(chat)
    assert card.text.startswith(RICH_TITLE)
    # Takeaways stay first; publication time and source on one short line at the end.
    assert card.text.index("Key takeaways") < card.text.index("🕒")
    assert published_line(card.text) == "🕒 Tue 24 Nov, 09:30 · 🔗 Source (www.example-news.com)"
    assert buttons(card)[-3:] == ["🔗 Connections", "💡 Analysis", "🌐 Source"]
    assert button_named(card, "🌐 Source")["url"] == SOURCE


async def test_connections_show_the_graph_in_place_and_lead_back(chat: Chat) -> None:
    card = await rich_card(chat)
    _, new = await chat.press(card, text="🔗 Connections")
    assert new == []
    shown = chat.current(card)
    assert "Connections for Volodymyr Zelensky:" in shown.text
    assert "👤 Donald Trump · 14 shared articles" in shown.text
    assert "🏢 Ukrenergo · 4 shared articles" in shown.text
    assert "Ukrainian state-owned electricity transmission system operator." in shown.text
    assert buttons(shown)[:3] == ["Volodymyr Zelensky", "Donald Trump", "Kyiv"]
    assert buttons(shown)[-1] == "📌 Back to takeaways"
    await chat.press(shown, text="📌 Back to takeaways")
    assert chat.current(card).text == card.text


async def test_a_related_entity_opens_its_topic(chat: Chat) -> None:
    card = await rich_card(chat)
    await chat.press(card, text="🔗 Connections")
    # A label: its topic page, as /topic Kyiv shows it.
    _, kyiv = await chat.press(chat.current(card), text="Kyiv")
    assert [m.text.split("\n", 1)[0] for m in kyiv] == [
        m.text.split("\n", 1)[0] for m in await chat.send("/topic Kyiv")
    ]
    assert len(kyiv) == 2
    # Another label (a hashtag of the other article).
    _, trump = await chat.press(chat.current(card), text="Donald Trump")
    assert [m.text.split("\n", 1)[0] for m in trump] == [
        "Russia Resumes Attacks on Ukraine’s Energy System Ahead of Peace Talks"
    ]
    # Not a label: a search for the name finds the article that names it.
    _, union = await chat.press(chat.current(card), text="European Union")
    assert union[0].text.startswith(RICH_TITLE)
    assert "European Union" in union[-1].text


async def test_analysis_shows_in_place_with_its_parts(chat: Chat) -> None:
    card = await rich_card(chat)
    _, new = await chat.press(card, text="💡 Analysis")
    assert new == []
    shown = chat.current(card)
    assert shown.text.startswith(f"{RICH_TITLE}\n💡 Analysis\n\n")
    for part in (
        "❗ Why it matters",
        "🧭 Context & background",
        "⏭ What happens next",
        "Q: How much of the grid is restored?",
        "A: About 40% of damaged substations, according to Ukrenergo.",
    ):
        assert part in shown.text
    assert buttons(shown) == ["📌 Back to takeaways"]


async def test_a_long_analysis_is_paged_within_telegram_limits(chat: Chat) -> None:
    article = read("zelensky-energy-ministers.txt")
    assert article.analysis is not None
    long = dataclasses.replace(
        article.analysis, context=tuple(f"Point {n} <b>&</b> " + "word " * 60 for n in range(40))
    )
    await chat.add_articles([dataclasses.replace(article, analysis=long, content_hash="")])
    (card,) = await chat.send("/topic Ukrenergo")
    await chat.press(card, text="💡 Analysis")
    first = chat.current(card)
    assert "Analysis · 1/" in first.text
    assert utf16_len(first.text) <= 4096
    assert "›" in buttons(first)
    await chat.press(first, text="›")
    second = chat.current(card)
    assert "Analysis · 2/" in second.text
    assert "<b>&</b>" in second.text


async def test_a_simple_card_offers_none_of_the_rich_sections(chat: Chat) -> None:
    await chat.add_articles([read("energy-strikes-kyiv.txt")])
    (card,) = await chat.send("/topic Missile strikes")
    assert not {"🔗 Connections", "💡 Analysis", "🌐 Source"} & set(buttons(card))
    assert published_line(card.text) == "🕒 Tue 24 Nov, 09:30"


async def test_cards_show_the_time_in_the_chat_zone(chat: Chat) -> None:
    await chat.add_articles([read("energy-strikes-kyiv.txt")])
    await chat.send("/timezone Europe/Kyiv")
    (card,) = await chat.send("/topic Missile strikes")
    assert published_line(card.text) == "🕒 Tue 24 Nov, 11:30"
    assert card.chat_id == ALICE


def published_line(text: str) -> str:
    """The card's line that says when the article was published (and where from)."""
    return next(line for line in text.splitlines() if line.startswith("🕒"))
