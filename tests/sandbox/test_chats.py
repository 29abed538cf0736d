"""Chat information, members, chat actions and per-scope command menus."""

from __future__ import annotations

import pytest
import telegram
from telegram.error import BadRequest

from sandbox.localapi import LocalBotApi
from tests.sandbox.support import ALICE, GROUP


async def test_chat_info_members_actions_and_deletion(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.send_text(GROUP, "hello", user_id=ALICE, chat_type="group")
    api.add_user(1003, "Bohdan")
    api.make_admin(GROUP, ALICE)
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title) == ("group", f"Chat {abs(GROUP)}")
    assert (await bot.get_chat_member(GROUP, ALICE)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, 1003)).status == "left"
    assert (await bot.get_chat_member(GROUP, bot.id)).status == "member"
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await bot.get_chat_member(GROUP, 999_999)
    assert await bot.send_chat_action(GROUP, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(GROUP, "dancing")
    sent = await bot.send_message(GROUP, "to delete")
    assert await bot.delete_message(GROUP, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(GROUP, sent.message_id)
    assert [m.text for m in api.messages(GROUP)] == ["hello"]


async def test_commands_are_kept_per_scope(bot: telegram.Bot) -> None:
    commands = [telegram.BotCommand("topic", "News on a topic")]
    assert await bot.set_my_commands(commands)
    private = telegram.BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands([telegram.BotCommand("start", "Start")], scope=private)
    assert await bot.get_my_commands() == tuple(commands)
    assert [c.command for c in await bot.get_my_commands(scope=private)] == ["start"]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([telegram.BotCommand("Bad Command", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.close()
    assert await bot.log_out()
