"""sendMessage and edits are as strict as Telegram: HTML, limits, chats that refuse."""

from __future__ import annotations

import httpx
import pytest
import telegram
from telegram import Update
from telegram.error import BadRequest, ChatMigrated, Forbidden

from sandbox.localapi import LocalBotApi
from tests.sandbox.support import ALICE, GROUP, keyboard, last_error

# --- strictness of sendMessage -----------------------------------------------------------


async def test_html_is_parsed_into_text_and_entities(api: LocalBotApi, bot: telegram.Bot) -> None:
    message = await bot.send_message(
        ALICE, "<b>Kyiv</b> &lt;b&gt; <i>news</i> #Київ", parse_mode="HTML"
    )
    assert message.text == "Kyiv <b> news #Київ"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 4),
        ("italic", 9, 4),
        ("hashtag", 14, 5),
    ]
    stored = api.messages(ALICE)[-1]
    assert (stored.text, stored.html, stored.from_bot) == (
        message.text,
        "<b>Kyiv</b> &lt;b&gt; <i>news</i> #Київ",
        True,
    )


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<script>x</script>", 'Unsupported start tag "script"'),
        ("<b>unbalanced", "Can't find end tag corresponding to start tag"),
        ("1 < 2", 'Unsupported start tag ""'),
    ],
)
async def test_invalid_html_is_refused(
    api: LocalBotApi, bot: telegram.Bot, html: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ALICE, html, parse_mode="HTML")
    assert (last_error(api) or "").startswith(f"Bad Request: can't parse entities: {reason}")
    assert api.messages(ALICE) == []


async def test_length_limit_is_4096_utf16_units_after_parsing(bot: telegram.Bot) -> None:
    await bot.send_message(ALICE, "a" * 4096)
    await bot.send_message(ALICE, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(ALICE, "😀" * 2048)
    for too_long in ("a" * 4097, "😀" * 2048 + "a"):
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(ALICE, too_long)


async def test_empty_text_is_refused(bot: telegram.Bot) -> None:
    for empty in ("<b></b>", "  \n"):
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(ALICE, empty, parse_mode="HTML")


async def test_callback_data_is_limited_to_64_bytes(api: LocalBotApi, bot: telegram.Bot) -> None:
    await bot.send_message(ALICE, "ok", reply_markup=keyboard("я" * 32))
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, "too long", reply_markup=keyboard("я" * 32 + "a"))
    assert last_error(api) == "Bad Request: BUTTON_DATA_INVALID"


async def test_inline_buttons_need_exactly_one_action(http: httpx.AsyncClient) -> None:
    for button, reason in (
        ({"text": "A"}, "Text buttons are unallowed in the inline keyboard"),
        ({"text": "A", "callback_data": ""}, "Text buttons are unallowed"),
        ({"text": "", "callback_data": "a"}, "text buttons are unallowed"),
        ({"text": "A", "callback_data": "a", "url": "https://x.org"}, "exactly one"),
    ):
        response = await http.post(
            "sendMessage",
            json={"chat_id": ALICE, "text": "x", "reply_markup": {"inline_keyboard": [[button]]}},
        )
        assert response.status_code == 400
        assert reason in response.json()["description"]


async def test_unknown_chat_is_not_found(bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "hello?")


async def test_blocked_user_raises_forbidden(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.block(ALICE)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "digest")
    update = api.updates[-1]
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    assert Update.de_json(update, bot).my_chat_member is not None


async def test_kicked_group_and_deactivated_user_raise_forbidden(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    api.add_chat(GROUP, "group", title="Newsroom")
    api.kick(GROUP)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(GROUP, "x")
    api.deactivate(ALICE)
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(ALICE, "x")


async def test_migrated_group_raises_chat_migrated_with_the_new_id(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    api.send_text(GROUP, "hi all", user_id=ALICE)
    new_id = api.migrate(GROUP)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(GROUP, "digest")
    assert caught.value.new_chat_id == new_id
    assert (await bot.send_message(new_id, "digest")).chat.type == "supergroup"
    services = [u["message"] for u in api.updates if "migrate_to_chat_id" in u.get("message", {})]
    assert services[0]["migrate_to_chat_id"] == new_id


async def test_deleted_chat_is_not_found(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.delete_chat(ALICE)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(ALICE, "x")


# --- edits -----------------------------------------------------------------------------


async def test_edit_with_the_same_content_is_not_modified(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(
        ALICE, "<b>v1</b>", parse_mode="HTML", reply_markup=keyboard("a")
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>v1</b>", ALICE, sent.message_id, parse_mode="HTML", reply_markup=keyboard("a")
        )
    edited = await bot.edit_message_text("v2", ALICE, sent.message_id)
    assert isinstance(edited, telegram.Message)
    stored = api.messages(ALICE)[-1]
    # Without reply_markup the keyboard goes away, as in Telegram.
    assert (stored.text, stored.edited, stored.reply_markup) == ("v2", True, [])
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", ALICE, 999)
    await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=keyboard("b"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=keyboard("b"))
