"""Labels as people type them to /subscribe and /unsubscribe, answered in one message with a
row of buttons per label; labels followed before any article carries them."""

from __future__ import annotations

from sandbox.localapi import StoredMessage
from tests.handlers.conftest import Chat, buttons


def rows_of(message: StoredMessage) -> list[list[str]]:
    """The texts of a message's buttons, row by row."""
    return [[button["text"] for button in row] for row in message.reply_markup]


async def test_labels_separated_by_spaces(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe Kyiv Odesa")
    assert reply.text == "✅ Subscribed to #Kyiv, #Odesa."
    assert reply.buttons() == []
    (reply,) = await samples.send("/subscribe kyiv ODESA")
    assert reply.text == "Already subscribed to #Kyiv, #Odesa."
    (reply,) = await samples.send("/unsubscribe Kyiv Odesa")
    assert reply.text == "✅ Unsubscribed from #Kyiv, #Odesa."


async def test_hashtags_written_together(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe #Kyiv#Odesa")
    assert reply.text == "✅ Subscribed to #Kyiv, #Odesa."
    (reply,) = await samples.send("/unsubscribe #Kyiv#Odesa")
    assert reply.text == "✅ Unsubscribed from #Kyiv, #Odesa."


async def test_the_longest_known_label_first(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe Power grid")
    assert reply.text == "✅ Subscribed to #Power_grid."
    (reply,) = await samples.send("/subscribe Kyiv Power grid Lviv")
    assert reply.text.splitlines() == [
        "✅ Subscribed to #Kyiv, #Lviv.",
        "Already subscribed to #Power_grid.",
    ]


async def test_a_label_and_a_name_that_is_both_kinds(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe Kyiv, Energy Security")
    assert reply.text.splitlines() == [
        "✅ Subscribed to #Kyiv.",
        "❓ “Energy Security” is both a hashtag and a theme. Which one do you mean?",
    ]
    assert rows_of(reply) == [["➕ #Energy_Security", "➕ Energy Security (theme)"]]


async def test_known_unknown_and_misspelt_labels_in_one_answer(samples: Chat) -> None:
    (reply,) = await samples.send(
        "/subscribe Kyiv Odessa, Quantum chromodynamics; Energy Security, #Lviv"
    )
    assert reply.text.splitlines() == [
        "✅ Subscribed to #Kyiv, #Lviv.",
        "🤷 I don't know the label “Odessa”. Did you mean #Odesa? Or follow it anyway: "
        "I'll include its articles when they come.",
        "🆕 No articles on “Quantum chromodynamics” yet. Follow it? "
        "I'll include them when they come.",
        "❓ “Energy Security” is both a hashtag and a theme. Which one do you mean?",
    ]
    # One row per line that asks, in the same order, and no button twice.
    assert rows_of(reply) == [
        ["➕ #Odesa", "✓ Follow Odessa"],
        ["✓ Follow Quantum chromodynamics"],
        ["➕ #Energy_Security", "➕ Energy Security (theme)"],
    ]
    answer, new = await samples.press(reply, text="➕ #Odesa")
    assert answer is not None
    assert answer["text"] == "Subscribed to #Odesa"
    # The question updates in place: the pressed button goes, nothing is posted.
    assert new == []
    assert "➕ #Odesa" not in buttons(samples.current(reply))


async def test_a_hashtag_and_a_theme_of_one_name_have_a_button_each(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe Energy Security")
    await samples.press(reply, text="➕ #Energy_Security")
    await samples.press(reply, text="➕ Energy Security (theme)")
    (listing,) = await samples.send("/subscriptions")
    lines = listing.text.splitlines()
    assert lines[0] == "📋 This chat follows 2 labels"
    assert sorted(lines[1:3]) == ["• #Energy_Security", "• Energy Security (theme)"]
    assert sorted(buttons(listing)) == ["✖ #Energy_Security", "✖ Energy Security (theme)"]
    # Followed both ways, the name is simply already followed.
    (reply,) = await samples.send("/subscribe Energy Security")
    assert reply.text == "Already subscribed to #Energy_Security, Energy Security (theme)."
    await samples.press(listing, text="✖ Energy Security (theme)")
    assert buttons(samples.current(listing)) == ["✖ #Energy_Security"]


async def test_follow_a_hashtag_before_any_article_carries_it(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe #Football")
    assert (
        reply.text
        == "🆕 No articles on #Football yet. Follow it? I'll include them when they come."
    )
    assert rows_of(reply) == [["✓ Follow #Football"]]
    answer, new = await samples.press(reply, text="✓ Follow #Football")
    assert answer is not None
    assert answer["text"] == "Subscribed to #Football"
    # The question updates in place: the pressed button goes, nothing is posted.
    assert new == []
    assert "✓ Follow #Football" not in buttons(samples.current(reply))
    (listing,) = await samples.send("/subscriptions")
    assert "• #Football (no articles yet)" in listing.text.splitlines()
    assert buttons(listing) == ["✖ #Football"]
    (reply,) = await samples.send("/subscribe Football")
    assert reply.text == "Already subscribed to #Football."
    # What one chat follows ahead of its articles is suggested to nobody.
    (reply,) = await samples.send("/subscribe Footbal")
    assert buttons(reply) == ["✓ Follow Footbal"]


async def test_follow_a_name_before_any_article_as_a_hashtag_and_a_theme(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe Football")
    assert reply.text == (
        "🆕 No articles on “Football” yet. Follow it? I'll include them when they come."
    )
    answer, new = await samples.press(reply, text="✓ Follow Football")
    assert answer is not None
    assert answer["text"] == "Subscribed to Football"
    # The question updates in place: the pressed button goes, nothing is posted.
    assert new == []
    assert "✓ Follow Football" not in buttons(samples.current(reply))
    (reply,) = await samples.send("/unsubscribe #Football")
    assert reply.text == "✅ Unsubscribed from #Football."
