"""Groups and channels: @botname commands, admins change subscriptions, anyone reads."""

from __future__ import annotations

import pytest

from sandbox.localapi import LocalBotApi
from tests.handlers.conftest import (
    ADMIN,
    BOT_USERNAME,
    GROUP,
    MEMBER,
    Chat,
    buttons,
    footer,
    sqlite_only,
)

CHANNEL = -1001234567890
REFUSAL = "Only admins of this chat can change what it follows. Anyone can use /topic."


@pytest.fixture
def group(api: LocalBotApi) -> int:
    api.add_chat(GROUP, "group", title="Newsroom")
    api.add_user(ADMIN, "Ada")
    api.add_user(MEMBER, "Max")
    api.make_admin(GROUP, ADMIN)
    return GROUP


async def test_only_admins_change_a_groups_subscriptions(samples: Chat, group: int) -> None:
    (refused,) = await samples.send(f"/subscribe@{BOT_USERNAME} #Kyiv", group, user_id=MEMBER)
    assert refused.text == REFUSAL
    assert refused.reply_to_message_id is not None
    (done,) = await samples.send(f"/subscribe@{BOT_USERNAME} #Kyiv", group, user_id=ADMIN)
    assert done.text == "✅ Subscribed to #Kyiv."
    (refused,) = await samples.send("/unsubscribe #Kyiv", group, user_id=MEMBER)
    assert refused.text == REFUSAL
    (listing,) = await samples.send("/subscriptions", group, user_id=MEMBER)
    assert buttons(listing) == ["✖ #Kyiv"]
    # Buttons check the person who presses them.
    answer, _ = await samples.press(listing, text="✖ #Kyiv", user_id=MEMBER)
    assert answer is not None
    assert answer["text"] == REFUSAL
    assert answer["show_alert"] is True
    assert samples.current(listing).text == listing.text
    answer, _ = await samples.press(listing, text="✖ #Kyiv", user_id=ADMIN)
    assert answer is not None
    assert answer["text"] == "Unsubscribed from #Kyiv"


async def test_anyone_may_use_topic_in_a_group(samples: Chat, group: int) -> None:
    shown = await samples.send(f"/topic@{BOT_USERNAME} Kyiv", group, user_id=MEMBER)
    assert len(shown) == 3
    assert footer(shown[-1]) == "Showing 3 of 5 articles on #Kyiv."
    _, more = await samples.press(shown[-1], text="⏬ More (2 left)", user_id=MEMBER)
    assert len(more) == 2
    (card,) = [m for m in shown + more if "📖 Full retelling" in buttons(m)]
    await samples.press(card, text="📖 Full retelling", user_id=MEMBER)
    assert "📖 Full retelling" in samples.current(card).text


@sqlite_only
async def test_commands_for_other_bots_are_left_alone(samples: Chat, group: int) -> None:
    assert await samples.send("/topic@some_other_bot Kyiv", group, user_id=MEMBER) == []
    assert await samples.send("/weather", group, user_id=MEMBER) == []
    assert await samples.send("just chatting", group, user_id=MEMBER) == []
    (reply,) = await samples.send(f"/weather@{BOT_USERNAME}", group, user_id=MEMBER)
    assert reply.text.startswith("I don't know the command “/weather”.")


@sqlite_only
async def test_a_channel_manages_its_own_subscriptions(samples: Chat, api: LocalBotApi) -> None:
    api.add_chat(CHANNEL, "channel", title="Evening news")
    api.make_admin(CHANNEL, ADMIN)
    api.make_admin(CHANNEL, api.bot.id)
    (reply,) = await samples.send("/subscribe #Kyiv", CHANNEL, user_id=ADMIN)
    assert reply.text == "✅ Subscribed to #Kyiv."
    shown = await samples.send("/topic Odesa", CHANNEL, user_id=ADMIN)
    assert len(shown) == 1
