"""/topic and article cards, end to end: what a person sees in the chat."""

from __future__ import annotations

import pytest

from bot.domain.articles import Article
from bot.domain.cards import MESSAGE_LIMIT
from sandbox.localapi import StoredMessage
from sandbox.localapi.html import utf16_len
from storage.models import ArticleLabelRow, ArticleRow, LabelRow
from tests.conftest import FIXED_NOW
from tests.handlers.conftest import ALICE, Chat, buttons, callback_data, footer, sqlite_only

KYIV_TITLES = {
    'Ministry\'s Tariff Page Shows Raw <b> Tags & a Price "< 0" for Hours',
    "The Long Winter: How Kyiv's Grid Engineers Keep the Lights On",
    "Peace Talks in Geneva End With an Agreement on a Prisoner Exchange",
    "Kyiv Metro Opens Six More Stations as Night Shelters for the Winter",
    "Kyiv Restores Heating to Left-Bank Districts After Overnight Drone Strikes",
}
LONG_READ = "The Long Winter: How Kyiv's Grid Engineers Keep the Lights On"
TARIFFS = 'Ministry\'s Tariff Page Shows Raw <b> Tags & a Price "< 0" for Hours'
METRO = "Kyiv Metro Opens Six More Stations as Night Shelters for the Winter"
MORE = "⏬ More (2 left)"


def title_of(message: StoredMessage) -> str:
    return message.text.split("\n", 1)[0]


def entities(message: StoredMessage, kind: str) -> list[str]:
    """The text under each entity of a kind (offsets are UTF-16, like Telegram's)."""
    raw = message.text.encode("utf-16-le")
    return [
        raw[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.entities
        if e["type"] == kind
    ]


async def card_titled(chat: Chat, title: str) -> StoredMessage:
    """Find a Kyiv card by its title, pressing "More" if needed."""
    shown = await chat.send("/topic Kyiv")
    _, rest = await chat.press(shown[-1], text=MORE)
    for message in shown + rest:
        if title_of(message) == title:
            return message
    raise AssertionError(f"no card titled {title!r}")


async def test_topic_replies_with_takeaways_first(samples: Chat) -> None:
    cards = await samples.send("/topic Kyiv")
    # Three cards and nothing else: the page's line and its "More" ride on the last card.
    assert len(cards) == 3
    assert {title_of(card) for card in cards} <= KYIV_TITLES
    for card in cards:
        text = card.text
        assert entities(card, "bold")[0] == title_of(card)
        assert text.index("Key takeaways") < text.index("#Kyiv")
        assert "#Kyiv" in entities(card, "hashtag")
        if title_of(card) == LONG_READ:
            assert buttons(card)[0] == "📖 Full retelling"
            assert callback_data(card)[0].startswith("ret:")
        else:
            (quote,) = entities(card, "expandable_blockquote")
            assert quote.startswith("📖 Full retelling\n")
            assert "📖 Full retelling" not in buttons(card)
    last = cards[-1]
    assert footer(last) == "Showing 3 of 5 articles on #Kyiv."
    assert buttons(last)[-1] == MORE
    assert callback_data(last)[-1].startswith("more:")
    assert all(MORE not in buttons(card) for card in cards[:-1])


async def test_more_shows_the_next_cards_and_retires_its_button(samples: Chat) -> None:
    first = await samples.send("/topic Kyiv")
    last = first[-1]
    answer, rest = await samples.press(last, text=MORE)
    assert answer is not None
    assert answer["text"] is None
    # The card keeps its line but loses the button, before the next cards come.
    assert MORE not in buttons(samples.current(last))
    assert samples.current(last).text == last.text
    edit = samples.api.calls_to("editMessageReplyMarkup")[-1]
    assert edit.at < samples.api.calls_to("sendMessage")[-2].at
    assert len(rest) == 2
    titles = [title_of(m) for m in first + rest]
    assert set(titles) == KYIV_TITLES
    assert len(titles) == 5
    # All five shown: the last page ends with no line and no "More".
    assert "Showing" not in rest[-1].text
    assert all(not data.startswith("more:") for data in callback_data(rest[-1]))


@pytest.mark.bot_errors_expected
async def test_more_pressed_twice_sends_the_next_page_once(samples: Chat) -> None:
    first = await samples.send("/topic Kyiv")
    answers, new = await samples.double_tap(first[-1], text=MORE)
    assert len(new) == 2
    assert answers[0] is not None
    assert answers[0]["text"] is None
    assert answers[1] is not None
    assert answers[1]["text"] == "Already shown below."
    # The one refusal: the second press asked to remove a button already gone.
    failed = [call for call in samples.api.calls if not call.ok]
    assert [call.method for call in failed] == ["editMessageReplyMarkup"]
    assert "not modified" in (failed[0].description or "")


async def test_topic_folds_what_people_type(samples: Chat) -> None:
    for typed in ("#kyiv", "KYIV", " #Kyiv ", "%Kyiv%", '"Kyiv"', "Kyiv🔥", "Kyiv*"):
        shown = await samples.send(f"/topic {typed}")
        assert footer(shown[-1]) == "Showing 3 of 5 articles on #Kyiv.", typed


@sqlite_only
async def test_topic_finds_tags_with_spaces_and_hyphens(samples: Chat) -> None:
    for typed in ("#Power grid", "power_grid", "POWER-GRID"):
        shown = await samples.send(f"/topic {typed}")
        assert len(shown) == 3
        assert all("#Power_grid" in entities(card, "hashtag") for card in shown)


@sqlite_only
async def test_a_theme_is_a_topic_too(samples: Chat) -> None:
    shown = await samples.send("/topic diplomacy")
    assert {title_of(m) for m in shown} == {
        "Peace Talks in Geneva End With an Agreement on a Prisoner Exchange",
        "EU Energy Ministers Agree Softer Gas Storage Targets for Next Winter",
    }


async def test_a_hashtag_and_a_theme_of_one_name_make_one_topic(samples: Chat) -> None:
    shown = await samples.send("/topic Energy Security")
    assert {title_of(m) for m in shown} == {
        LONG_READ,
        "EU Energy Ministers Agree Softer Gas Storage Targets for Next Winter",
        "Kyiv Restores Heating to Left-Bank Districts After Overnight Drone Strikes",
    }


async def test_cyrillic_label(samples: Chat) -> None:
    shown = await samples.send("/topic КИЇВ")
    titles = {title_of(m) for m in shown}
    assert "Харків повертає тролейбуси на маршрути після ремонту контактної мережі" in titles
    assert all("#Київ" in entities(card, "hashtag") for card in shown)
    themes = await samples.send("/topic інфраструктура")
    assert len(themes) == 1
    assert "Міста, Інфраструктура" in themes[0].text


async def test_empty_topic_shows_the_most_active_labels(samples: Chat) -> None:
    (reply,) = await samples.send("/topic")
    assert "Most active topics of the last 7 days" in reply.text
    assert buttons(reply)[0] == "🔎 #Kyiv · 5"
    assert all(data.startswith("top:") for data in callback_data(reply))
    _, shown = await samples.press(reply, text="🔎 #Kyiv · 5")
    assert len(shown) == 3
    assert footer(shown[-1]) == "Showing 3 of 5 articles on #Kyiv."


async def test_unknown_topic_suggests_the_closest_labels(samples: Chat) -> None:
    (reply,) = await samples.send("/topic Kiev")
    assert reply.text == "🤷 No articles on “Kiev”. Did you mean:"
    assert buttons(reply)[0] == "🔎 #Kyiv"
    _, shown = await samples.press(reply, text="🔎 #Kyiv")
    assert len(shown) == 3


async def test_topic_without_any_articles(chat: Chat) -> None:
    (reply,) = await chat.send("/topic")
    assert reply.text.startswith("There are no articles yet")
    (reply,) = await chat.send("/topic Kyiv")
    assert reply.text == "🤷 No articles on “Kyiv”. Send /topic alone to see the active topics."
    assert reply.buttons() == []


@sqlite_only
async def test_a_retelling_that_fits_opens_in_the_card_without_a_request(samples: Chat) -> None:
    card = await card_titled(samples, METRO)
    # Telegram shows the quote collapsed and opens it on a tap, in the app: nothing to press.
    (quote,) = entities(card, "expandable_blockquote")
    assert quote.startswith("📖 Full retelling\n")
    assert "Last winter, more than 80,000 people a night sheltered" in quote
    assert card.text.endswith(quote) or footer(card).startswith("Showing")
    assert entities(card, "blockquote") == []
    assert "📖 Full retelling" not in buttons(card)
    assert utf16_len(card.text) <= MESSAGE_LIMIT
    # As sent: the tag Telegram turns into that entity.
    (sent,) = [
        c for c in samples.api.calls_to("sendMessage") if c.result["message_id"] == card.message_id
    ]
    assert "<blockquote expandable>📖 <b>Full retelling</b>\n" in sent.params["text"]


@sqlite_only
async def test_card_expands_and_collapses_in_place(samples: Chat) -> None:
    card = await card_titled(samples, LONG_READ)
    count = len(samples.api.messages(ALICE))
    answer, new = await samples.press(card, text="📖 Full retelling")
    assert answer is not None
    assert new == []
    expanded = samples.current(card)
    assert expanded.edited
    assert expanded.text.startswith(f"{title_of(card)}\n📖 Full retelling · 1/3\n\n")
    assert "📌 Back to takeaways" in buttons(expanded)
    await samples.press(expanded, text="📌 Back to takeaways")
    collapsed = samples.current(card)
    assert collapsed.text == card.text
    assert buttons(collapsed) == buttons(card)
    assert len(samples.api.messages(ALICE)) == count
    assert [c.method for c in samples.api.calls[-2:]] == ["answerCallbackQuery", "editMessageText"]


def long_read(number: int) -> Article:
    return Article(
        title=f"Long read {number}",
        tags=("Kyiv",),
        takeaways=("One takeaway.",),
        retelling=tuple(f"Part {n}. " + "The crews worked all night. " * 20 for n in range(9)),
    )


async def test_reading_the_last_card_in_place_keeps_its_more(chat: Chat) -> None:
    await chat.add_articles(long_read(n) for n in range(4))
    shown = await chat.send("/topic Kyiv")
    last = shown[-1]
    assert buttons(last) == ["📖 Full retelling", "⏬ More (1 left)"]
    await chat.press(last, text="📖 Full retelling")
    page = chat.current(last)
    assert "📖 Full retelling · 1/" in page.text
    assert buttons(page)[-2:] == ["📌 Back to takeaways", "⏬ More (1 left)"]
    await chat.press(page, text="›")
    assert buttons(chat.current(last))[-1] == "⏬ More (1 left)"
    await chat.press(chat.current(last), text="📌 Back to takeaways")
    back = chat.current(last)
    assert back.text == last.text
    assert buttons(back) == buttons(last)
    _, rest = await chat.press(back, text="⏬ More (1 left)")
    assert len(rest) == 1
    assert buttons(chat.current(last)) == ["📖 Full retelling"]


@sqlite_only
async def test_long_retelling_is_paged_in_place(samples: Chat) -> None:
    card = await card_titled(samples, LONG_READ)
    count = len(samples.api.messages(ALICE))
    await samples.press(card, text="📖 Full retelling")
    page = samples.current(card)
    header = page.text.split("\n\n", 1)[0]
    assert header == f"{LONG_READ}\n📖 Full retelling · 1/3"
    assert buttons(page) == ["1/3", "›", "📌 Back to takeaways"]
    bodies = []
    for number in range(1, 4):
        page = samples.current(card)
        assert f"· {number}/3" in page.text
        assert utf16_len(page.text) <= MESSAGE_LIMIT
        bodies.append(page.text.split("\n\n", 1)[1])
        if number < 3:
            await samples.press(page, text="›")
    assert buttons(samples.current(card)) == ["‹", "3/3", "📌 Back to takeaways"]
    async with samples.db.transaction() as repos:
        found = await repos.articles.get(int(callback_data(card)[0].split(":")[1]))
    assert found is not None
    assert " ".join(bodies).split() == " ".join(found.article.retelling).split()
    # The page indicator is answered without touching the message.
    edits = len(samples.api.calls_to("editMessageText"))
    answer, _ = await samples.press(samples.current(card), text="3/3")
    assert answer is not None
    assert len(samples.api.calls_to("editMessageText")) == edits
    await samples.press(samples.current(card), text="‹")
    assert "· 2/3" in samples.current(card).text
    assert len(samples.api.messages(ALICE)) == count


@sqlite_only
async def test_markup_characters_are_shown_as_text(samples: Chat) -> None:
    card = await card_titled(samples, TARIFFS)
    assert title_of(card) == TARIFFS
    assert entities(card, "bold")[0] == TARIFFS
    assert "such as <b>Day rate</b> & <i>Night rate</i>." in card.text
    assert '"< 0 UAH/kWh"' in card.text
    # Nothing in the article became formatting.
    assert "Day rate" not in "".join(entities(card, "bold") + entities(card, "italic"))
    (retelling,) = entities(card, "expandable_blockquote")
    assert "so a literal &amp; showed up in one heading while a stray <script> tag" in retelling
    assert "so that apps & journalists" in retelling


@sqlite_only
@pytest.mark.parametrize("button", ["›", "📌 Back to takeaways"])
async def test_buttons_of_a_deleted_article_say_so(samples: Chat, button: str) -> None:
    card = await card_titled(samples, LONG_READ)
    await samples.press(card, text="📖 Full retelling")
    expanded = samples.current(card)
    article_id = int(callback_data(card)[0].split(":")[1])
    async with samples.db.transaction() as repos:
        assert await repos.articles.delete(article_id)
    answer, new = await samples.press(expanded, text=button)
    assert answer is not None
    assert answer["text"] == "This article is no longer available."
    assert new == []
    # The page stays readable; its dead buttons are gone.
    assert samples.current(card).text == expanded.text
    assert samples.current(card).buttons() == []


@sqlite_only
async def test_old_card_buttons_are_answered_after_the_article_is_gone(samples: Chat) -> None:
    shown = await samples.send("/topic Kyiv")
    (card,) = [message for message in shown if title_of(message) == LONG_READ]
    article_id = int(callback_data(card)[0].split(":")[1])
    async with samples.db.transaction() as repos:
        await repos.articles.delete(article_id)
    answer, new = await samples.press(card, text="📖 Full retelling")
    assert answer == {
        "text": "This article is no longer available.",
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }
    assert new == []
    assert samples.current(card).buttons() == []
    assert samples.current(card).text == card.text


async def test_callback_data_fits_for_the_largest_ids(chat: Chat) -> None:
    huge = 2**63 - 1
    async with chat.db.transaction() as repos:
        repos.session.add(LabelRow(id=huge, kind="tag", key="kyiv", name="Kyiv"))
        for offset in range(4):
            article_id = huge - offset
            repos.session.add(
                ArticleRow(
                    id=article_id,
                    content_hash=f"{article_id:064d}",
                    title=f"Article {offset}",
                    takeaways=["One takeaway."],
                    # Long enough to be paged, so the card has its retelling button.
                    retelling="A paragraph.\n" + "Another paragraph. " * 300,
                    ingested_at=FIXED_NOW,
                    sort_at=FIXED_NOW,
                )
            )
        await repos.session.flush()
        for offset in range(4):
            repos.session.add(
                ArticleLabelRow(
                    article_id=huge - offset, label_id=huge, sort_key=100 - offset, position=0
                )
            )
    shown = await chat.send("/topic Kyiv")
    last = shown[-1]
    assert callback_data(last) == [f"ret:{huge - 2}:1", f"more:{huge}:3"]
    assert callback_data(shown[0]) == [f"ret:{huge}:1"]
    data: list[str] = []
    await chat.press(shown[0], text="📖 Full retelling")
    data += callback_data(chat.current(shown[0]))
    _, rest = await chat.press(last, text="⏬ More (1 left)")
    data += callback_data(rest[0])
    assert all(len(d.encode()) <= 64 for d in data + callback_data(last))
    assert f"tak:{huge}" in data


async def test_topic_with_free_text_finds_articles_by_their_words(samples: Chat) -> None:
    shown = await samples.send("/topic grid engineers")
    # The one article holding both words comes first; the last card says what was searched.
    assert title_of(shown[0]) == LONG_READ
    assert buttons(shown[0])[0] == "📖 Full retelling"
    assert "best match" in footer(shown[-1])


async def test_topic_free_text_ignores_search_syntax(samples: Chat) -> None:
    shown = await samples.send('/topic "grid" (engineers* %')
    assert LONG_READ in [title_of(message) for message in shown]
