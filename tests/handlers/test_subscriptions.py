"""/subscribe, /unsubscribe, /subscriptions and their buttons, end to end."""

from __future__ import annotations

from sandbox.localapi import StoredMessage
from tests.conftest import FIXED_NOW
from tests.handlers.conftest import ALICE, Chat, buttons, callback_data, sqlite_only


def rows_of(message: StoredMessage) -> list[list[str]]:
    """The texts of a message's buttons, row by row."""
    return [[button["text"] for button in row] for row in message.reply_markup]


async def subscriptions_text(chat: Chat) -> str:
    (reply,) = await chat.send("/subscriptions")
    return reply.text


async def test_subscribe_to_tags_and_themes_several_at_once(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe #Kyiv #Power grid, Diplomacy")
    assert reply.text == "✅ Subscribed to #Kyiv, #Power_grid, Diplomacy (theme)."
    assert reply.buttons() == []
    (listing,) = await samples.send("/subscriptions")
    assert listing.text.splitlines()[:4] == [
        "📋 This chat follows 3 labels",
        "• #Kyiv",
        "• #Power_grid",
        "• Diplomacy (theme)",
    ]
    assert buttons(listing) == ["✖ #Kyiv", "✖ #Power_grid", "✖ Diplomacy (theme)"]
    assert all(data.startswith("uns:") for data in callback_data(listing))


async def test_every_spelling_lands_on_the_same_label(samples: Chat) -> None:
    (first,) = await samples.send("/subscribe Peace_talks")
    assert first.text == "✅ Subscribed to #Peace_talks."
    for typed in ("PEACE-TALKS", "#peace talks", "Peace talks"):
        (again,) = await samples.send(f"/subscribe {typed}")
        assert again.text == "Already subscribed to #Peace_talks.", typed


async def test_cyrillic_label(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe #КИЇВ, міста")
    assert reply.text == "✅ Subscribed to #Київ, Міста (theme)."
    (reply,) = await samples.send("/unsubscribe київ")
    assert reply.text == "✅ Unsubscribed from #Київ."


async def test_unknown_label_offers_the_closest_as_buttons(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe Kiev, #Power grd")
    assert reply.text.splitlines() == [
        "🤷 I don't know the label “Kiev”. Did you mean #Kyiv? Or follow it anyway: I'll "
        "include its articles when they come.",
        "🤷 I don't know the label #Power_grd. Did you mean #Power_grid? Or follow it anyway: "
        "I'll include its articles when they come.",
    ]
    # A row of buttons per label, in the order of the lines.
    assert rows_of(reply) == [
        ["➕ #Kyiv", "✓ Follow Kiev"],
        ["➕ #Power_grid", "✓ Follow #Power_grd"],
    ]
    answer, new = await samples.press(reply, text="➕ #Kyiv")
    assert answer is not None
    assert answer["text"] == "Subscribed to #Kyiv"
    # The question updates in place: the pressed button goes, nothing is posted.
    assert new == []
    assert "➕ #Kyiv" not in buttons(samples.current(reply))
    assert "• #Kyiv" in await subscriptions_text(samples)


async def test_nothing_close_offers_to_follow_it_as_typed(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe Quantum chromodynamics")
    assert reply.text == (
        "🆕 No articles on “Quantum chromodynamics” yet. Follow it? "
        "I'll include them when they come."
    )
    assert buttons(reply) == ["✓ Follow Quantum chromodynamics"]


async def test_a_label_that_is_both_a_tag_and_a_theme_asks_which(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe Energy Security")
    assert reply.text == (
        "❓ “Energy Security” is both a hashtag and a theme. Which one do you mean?"
    )
    assert buttons(reply) == ["➕ #Energy_Security", "➕ Energy Security (theme)"]
    _, new = await samples.press(reply, text="➕ Energy Security (theme)")
    # The question updates in place: the pressed button goes, nothing is posted.
    assert new == []
    assert "➕ Energy Security (theme)" not in buttons(samples.current(reply))
    # Typed as a hashtag, it is the hashtag.
    (reply,) = await samples.send("/subscribe #Energy Security")
    assert reply.text == "✅ Subscribed to #Energy_Security."


async def test_unsubscribe(samples: Chat) -> None:
    await samples.send("/subscribe #Kyiv #Power grid")
    (reply,) = await samples.send("/unsubscribe #Kyiv")
    assert reply.text == "✅ Unsubscribed from #Kyiv."
    (reply,) = await samples.send("/unsubscribe #Kyiv")
    assert reply.text.splitlines() == ["This chat doesn't follow #Kyiv.", "Tap one to remove it:"]
    assert buttons(reply) == ["✖ #Power_grid"]
    (reply,) = await samples.send("/unsubscribe Pwer grid")
    assert reply.text == "🤷 I don't know the label “Pwer grid”. Did you mean #Power_grid?"
    assert buttons(reply) == ["✖ #Power_grid"]
    await samples.press(reply, text="✖ #Power_grid")
    assert await subscriptions_text(samples) == (
        "This chat follows nothing yet.\n"
        "Try /subscribe #Kyiv, or /topic to see what is being written about."
    )


async def test_remove_buttons_update_the_list_in_place(samples: Chat) -> None:
    await samples.send("/subscribe #Kyiv, War")
    (listing,) = await samples.send("/subscriptions")
    answer, new = await samples.press(listing, text="✖ #Kyiv")
    assert answer is not None
    assert answer["text"] == "Unsubscribed from #Kyiv"
    assert new == []
    now = samples.current(listing)
    assert now.text.splitlines()[:2] == ["📋 This chat follows 1 label", "• War (theme)"]
    assert buttons(now) == ["✖ War (theme)"]
    await samples.press(now, text="✖ War (theme)")
    assert samples.current(listing).text.startswith("This chat follows nothing yet.")
    assert samples.current(listing).buttons() == []


async def test_missing_arguments_show_usage_with_an_example(samples: Chat) -> None:
    (reply,) = await samples.send("/subscribe")
    assert reply.text.startswith("Which hashtag or theme should this chat follow?")
    assert "/subscribe #Kyiv" in reply.text
    assert buttons(reply)[0] == "➕ #Kyiv"
    _, new = await samples.press(reply, text="➕ #Kyiv")
    # The question updates in place: the pressed button goes, nothing is posted.
    assert new == []
    assert "➕ #Kyiv" not in buttons(samples.current(reply))
    (reply,) = await samples.send("/unsubscribe")
    assert reply.text.startswith("Which label should this chat stop following?")
    assert buttons(reply) == ["✖ #Kyiv"]


@sqlite_only
async def test_a_chat_follows_at_most_fifty_labels(samples: Chat) -> None:
    await samples.send("/start")
    async with samples.db.transaction() as repos:
        ids = await repos.labels.ensure({("tag", f"filler_{n}"): f"Filler {n}" for n in range(50)})
        await repos.subscriptions.add(ALICE, ids.values(), FIXED_NOW)
    (reply,) = await samples.send("/subscribe #Kyiv")
    assert reply.text == (
        "⚠️ Not added: #Kyiv. A chat follows at most 50 labels; remove some in "
        "/subscriptions first."
    )
    (listing,) = await samples.send("/subscriptions")
    assert len(listing.buttons()) == 50
