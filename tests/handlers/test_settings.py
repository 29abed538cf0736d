"""What /start and /help say about the chat, and commands addressed to other bots."""

from __future__ import annotations

from sandbox.localapi import LocalBotApi
from tests.handlers.conftest import ALICE, BOT_USERNAME, GROUP, MEMBER, Chat, footer, sqlite_only


async def test_start_after_timezone_and_digest_off_shows_them(chat: Chat) -> None:
    (greeting,) = await chat.send("/start")
    assert "📰 Every day at 08:00 (UTC) you get a digest" in greeting.text
    await chat.send("/timezone Europe/Kyiv")
    await chat.send("/digest off")
    (greeting,) = await chat.send("/start")
    assert (
        "📰 Your daily digest is off (time zone Europe/Kyiv); alerts are off. Change them "
        "with /digest, /timezone and /alerts." in greeting.text
    )
    assert "08:00" not in greeting.text
    assert "UTC" not in greeting.text
    (help_text,) = await chat.send("/help")
    assert "📰 Your daily digest is off (time zone Europe/Kyiv)" in help_text.text
    assert "Or just type what you're looking for" in help_text.text
    _, (from_button,) = await chat.press(greeting, text="❓ Help")
    assert from_button.text == help_text.text


@sqlite_only
async def test_a_command_for_another_bot_gets_no_answer(samples: Chat, api: LocalBotApi) -> None:
    api.add_chat(GROUP, "group", title="Newsroom")
    api.add_user(MEMBER, "Max")
    assert await samples.send("/topic@otherbot Kyiv", GROUP, user_id=MEMBER) == []
    assert await samples.send("/topic@otherbot Kyiv") == []
    assert await samples.send("/nonsense@otherbot", ALICE) == []
    shown = await samples.send(f"/topic@{BOT_USERNAME} Kyiv", GROUP, user_id=MEMBER)
    assert footer(shown[-1]) == "Showing 3 of 5 articles on #Kyiv."
    (reply,) = await samples.send(f"/nonsense@{BOT_USERNAME}", ALICE)
    assert reply.text.startswith("I don't know the command “/nonsense”.")
