"""Free-text search as a person meets it: /topic with words, More, and plain text."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.articles import Article
from tests.conftest import FIXED_NOW
from tests.handlers.conftest import ALICE, GROUP, Chat, buttons, callback_data, footer

GRAIN_SAMPLE = "Odesa Ports Ship a Record Month of Grain Through the Black Sea Corridor"


def article(title: str, retelling: str, hours_ago: int = 1) -> Article:
    return Article(
        title=title,
        tags=("Misc",),
        takeaways=("Nothing else to add.",),
        retelling=(retelling,),
        published_at=FIXED_NOW - timedelta(hours=hours_ago),
    )


def titles(messages: list) -> list[str]:  # type: ignore[type-arg]
    return [m.text.split("\n", 1)[0] for m in messages]


async def test_a_word_and_its_plural_find_the_same_articles(chat: Chat) -> None:
    await chat.add_articles(
        [
            article("Night raid", "One drone was shot down.", 3),
            article("Morning raid", "Drones hit a depot.", 2),
            article("Quiet day", "Nothing flew.", 1),
        ]
    )
    one = await chat.send("/topic drone")
    many = await chat.send("/topic drones")
    # A page is its cards; the last one carries the line that says what was searched.
    assert titles(one) == titles(many) == ["Morning raid", "Night raid"]
    assert "Showing 2 of 2." in footer(many[-1])


async def test_more_pages_through_every_match(chat: Chat) -> None:
    await chat.add_articles(
        [article(f"Report {n}", f"Crews made repairs on line {n}.", n) for n in range(1, 9)]
        + [article("Other", "Nothing to see.", 9)]
    )
    shown = await chat.send("/topic repairs")
    seen = titles(shown)
    last = shown[-1]
    assert "Showing 3 of 8." in footer(last)
    while buttons(last):
        assert all(len(data.encode()) <= 64 for data in callback_data(last))
        _, page = await chat.press(last, text=buttons(last)[-1])
        # The pressed card keeps its count and loses its More: it cannot be pressed twice.
        assert "Showing" in footer(chat.current(last))
        assert not any(b.startswith("⏬") for b in buttons(chat.current(last)))
        seen += titles(page)
        last = page[-1]
    assert seen == [f"Report {n}" for n in range(1, 9)]
    assert "Showing 8 of 8." in footer(last)


async def test_the_readme_example_finds_the_grain_corridor(samples: Chat) -> None:
    shown = await samples.send("/topic grain barges")
    assert titles(shown)[0] == GRAIN_SAMPLE
    assert "No topic is called “grain barges”" in shown[-1].text


async def test_a_whole_question_is_a_query(samples: Chat) -> None:
    question = (
        "What is happening with the grain shipments from the ports around Odesa this "
        "autumn, and are insurance costs for the ships calling there still falling?"
    )
    assert 140 < len(question) < 200
    shown = await samples.send(f"/topic {question}")
    assert titles(shown)[0] == GRAIN_SAMPLE
    # The whole question is quoted back, so More can search it again.
    assert question in shown[-1].text
    more = [b for b in buttons(shown[-1]) if b.startswith("⏬")]
    if more:
        _, page = await samples.press(shown[-1], text=more[0])
        assert question in page[-1].text
        assert GRAIN_SAMPLE not in titles(page)


async def test_a_question_past_the_limit_gets_a_clear_answer(samples: Chat) -> None:
    (reply,) = await samples.send("/topic " + "grain " * 100)
    assert reply.text.startswith("That is 599 characters, too long to search.")


async def test_plain_text_in_a_private_chat_is_a_search(chat: Chat) -> None:
    await chat.add_articles([article("Old capital", "Kiev, as it was spelled then.")])
    shown = await chat.send("kiev", ALICE)
    assert titles(shown) == ["Old capital"]
    assert "No topic is called “kiev”, so here is the best match" in shown[-1].text


async def test_plain_text_in_a_group_is_ignored(chat: Chat) -> None:
    chat.api.add_chat(GROUP, "group", title="Newsroom")
    await chat.add_articles([article("Old capital", "Kiev, as it was spelled then.")])
    assert await chat.send("kiev", GROUP, user_id=ALICE) == []
    assert titles(await chat.send("/topic kiev", GROUP, user_id=ALICE))[0] == "Old capital"


async def test_a_label_still_wins_over_words(samples: Chat) -> None:
    shown = await samples.send("Kyiv")
    assert "Showing 3 of 5 articles on #Kyiv." in shown[-1].text
