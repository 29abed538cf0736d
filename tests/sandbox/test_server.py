"""The local Bot API server driven by the real python-telegram-bot and by plain HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bench.delivery import start_local_api
from sandbox.localapi import FloodLimits, LocalBotApi

TOKEN = "123456:LOCAL-TEST-TOKEN"
ALICE = 1001
GROUP = -2002


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi(TOKEN) as server:
        server.add_chat(ALICE, first_name="Alice")
        yield server


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(TOKEN, base_url=f"{api.url}/bot") as client:
        yield client


@pytest.fixture
async def http(api: LocalBotApi) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{api.url}/bot{TOKEN}/") as client:
        yield client


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d)] for d in data])


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns about int retry_after unless the timedelta behaviour is switched on.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def retry_after_of(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


def last_error(api: LocalBotApi) -> str | None:
    """The exact description the server answered (PTB rewrites it a little)."""
    return api.calls[-1].description


# --- transport ---------------------------------------------------------------------------


async def test_get_me_describes_the_configured_bot(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "digestbot_test_bot", True)


async def test_method_names_are_case_insensitive_and_unknown_ones_are_404(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.get("GETME")).json()["result"]["id"] == 123456
    response = await http.post("sendPhotoAlbum")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_real_methods_that_are_not_simulated_say_so(bot: telegram.Bot) -> None:
    # A 404 would reach the bot as InvalidToken; a 501 names the missing method.
    with pytest.raises(NetworkError, match="pinChatMessage is not simulated"):
        await bot.pin_chat_message(ALICE, 1)


async def test_wrong_token_is_unauthorized(api: LocalBotApi) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{api.url}/bot999:WRONG/getMe")
    assert response.status_code == 401
    assert response.json()["description"] == "Unauthorized"
    with pytest.raises(InvalidToken):
        async with telegram.Bot("999:WRONG", base_url=f"{api.url}/bot"):
            pass


async def test_form_values_are_json_decoded_except_strings(
    api: LocalBotApi, http: httpx.AsyncClient
) -> None:
    markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
    response = await http.post(
        "sendMessage",
        data={"chat_id": str(ALICE), "text": "123", "reply_markup": markup},
    )
    body = response.json()
    assert body["ok"], body
    assert body["result"]["text"] == "123"
    call = api.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == ALICE
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"


async def test_multipart_forms_are_accepted(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "sendMessage",
        data={"chat_id": str(ALICE), "text": "true"},
        files={"document": ("notes.txt", b"hello")},
    )
    assert response.json()["result"]["text"] == "true"


async def test_json_bodies_and_query_strings_are_accepted(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "sendMessage?parse_mode=HTML", json={"chat_id": ALICE, "text": "<b>x</b>"}
    )
    assert response.json()["result"]["entities"] == [{"offset": 0, "length": 1, "type": "bold"}]


# --- updates -----------------------------------------------------------------------------


async def test_long_polling_answers_as_soon_as_a_person_writes(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    api.send_text(ALICE, "hello")
    updates = await poll
    assert time.monotonic() - started < 2
    messages = [u.message for u in updates if u.message]
    assert [m.text for m in messages] == ["hello"]
    assert messages[0].from_user is not None
    assert messages[0].from_user.first_name == "Alice"


async def test_offset_confirms_earlier_updates_and_limit_caps_the_batch(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    ids = [api.send_text(ALICE, f"m{i}")["update_id"] for i in range(3)]
    assert ids == sorted(set(ids))
    first = await bot.get_updates(limit=2)
    assert [u.update_id for u in first] == ids[:2]
    assert [u.update_id for u in await bot.get_updates()] == ids
    rest = await bot.get_updates(offset=ids[1] + 1)
    assert [u.update_id for u in rest] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert api.pending_updates == []


async def test_a_command_has_a_bot_command_entity_that_ptb_handlers_accept(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    update = Update.de_json(api.send_text(ALICE, "/topic@digestbot_test_bot Kyiv"), bot)
    assert update.message is not None
    assert update.message.entities == (
        MessageEntity(type=MessageEntity.BOT_COMMAND, offset=0, length=25),
    )

    async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Never called: only the matching is checked."""

    handler: CommandHandler[Any, None] = CommandHandler("topic", callback)
    check = handler.check_update(update)
    assert isinstance(check, tuple)
    assert check[0] == ["Kyiv"]


async def test_concurrent_get_updates_terminates_the_older_one(
    api: LocalBotApi, http: httpx.AsyncClient
) -> None:
    older = asyncio.create_task(http.post("getUpdates", data={"timeout": "5"}))
    await asyncio.sleep(0.05)
    newer = asyncio.create_task(http.post("getUpdates", data={"timeout": "5"}))
    response = await older
    assert response.status_code == 409
    assert response.json()["description"] == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )
    api.send_text(ALICE, "hi")
    assert (await newer).json()["result"][0]["message"]["text"] == "hi"


async def test_webhook_receives_updates_with_the_secret_header(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [1]

    async def hook(request: web.Request) -> web.Response:
        if failures:
            failures.pop()
            return web.Response(status=500)  # Telegram retries a failed delivery
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook"):
            await bot.get_updates()
        update = api.send_text(ALICE, "via webhook")
        await api.wait_for(lambda a: bool(received), timeout=3)
        assert received == [("s3cret", update)]
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert "500" in (info.last_error_message or "")
        assert await bot.delete_webhook()
        api.send_text(ALICE, "via polling")
        polled = await bot.get_updates()
        assert [u.message.text for u in polled if u.message] == ["via polling"]
    finally:
        await runner.cleanup()


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


# --- edits and callback queries ----------------------------------------------------------


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


async def test_callback_query_can_be_answered_once(api: LocalBotApi, bot: telegram.Bot) -> None:
    sent = await bot.send_message(ALICE, "pick", reply_markup=keyboard("kyiv", "lviv"))
    update = Update.de_json(api.press_button(ALICE, sent.message_id, text="lviv"), bot)
    query = update.callback_query
    assert query is not None
    assert query.data == "lviv"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    with pytest.raises(BadRequest):
        await query.answer("x" * 201)
    assert last_error(api) == "Bad Request: MESSAGE_TOO_LONG"
    assert await query.answer("Saved")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("again")
    assert api.callback_answer(query.id) == {
        "text": "Saved",
        "show_alert": False,
        "url": None,
        "cache_time": 0,
    }
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("123")


async def test_late_callback_answer_is_refused(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.callback_timeout = 0.05
    sent = await bot.send_message(ALICE, "pick", reply_markup=keyboard("a"))
    query_id = api.press_button(ALICE, sent.message_id, data="a")["callback_query"]["id"]
    await asyncio.sleep(0.1)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_pressing_a_missing_button_explains_what_exists(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    sent = await bot.send_message(ALICE, "pick", reply_markup=keyboard("a"))
    with pytest.raises(LookupError, match=r"no button with data='b'.*'callback_data': 'a'"):
        api.press_button(ALICE, sent.message_id, data="b")


# --- other methods -----------------------------------------------------------------------


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


# --- flood limits and faults -------------------------------------------------------------


async def test_injected_429_raises_retry_after(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "x")
    assert retry_after_of(caught.value) == 7
    assert api.too_many_requests == 1
    await bot.send_message(ALICE, "x")
    api.add_chat(1002)
    api.fail_next("sendMessage", 403, chat_id=1002)
    await bot.send_message(ALICE, "other chats are not affected")
    with pytest.raises(Forbidden):
        await bot.send_message(1002, "x")


async def test_per_chat_flood_limit_answers_429(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.set_flood_limits(FloodLimits(per_chat_per_second=1))
    api.add_chat(1002)
    await bot.send_message(ALICE, "first")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "second")
    assert retry_after_of(caught.value) == 1
    await bot.send_message(1002, "another chat is fine")
    assert api.flood_rejections == 1
    assert [m.text for m in api.messages(ALICE)] == ["first"]


async def test_group_flood_limit_counts_a_minute(api: LocalBotApi, bot: telegram.Bot) -> None:
    api.add_chat(GROUP, "group")
    api.set_flood_limits(FloodLimits(per_group_per_minute=2))
    await bot.send_message(GROUP, "1")
    await bot.send_message(GROUP, "2")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "3")
    assert 55 <= retry_after_of(caught.value) <= 60


async def test_fault_rate_fails_a_share_of_calls(
    api: LocalBotApi, http: httpx.AsyncClient
) -> None:
    api.set_fault_rate("sendMessage", 0.3, seed=1)
    codes = [
        (await http.post("sendMessage", data={"chat_id": ALICE, "text": "x"})).status_code
        for _ in range(100)
    ]
    assert 15 <= codes.count(429) <= 45
    assert set(codes) == {200, 429}


async def test_dropped_answer_raises_network_error_but_the_message_was_delivered(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    api.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE, "delivered anyway")
    assert [m.text for m in api.messages(ALICE)] == ["delivered anyway"]
    assert api.calls_to("sendMessage")[-1].dropped
    api.drop_next("sendMessage", hang=0.3)
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE, "slow answer", read_timeout=0.05)
    assert [m.text for m in api.messages(ALICE)][-1] == "slow answer"


async def test_slow_server_still_delivers_after_the_client_timed_out(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    api.set_delay("sendMessage", 0.3)
    with pytest.raises(TimedOut):
        await bot.send_message(ALICE, "late", read_timeout=0.05)
    await api.wait_for(lambda a: bool(a.messages(ALICE)), timeout=2)
    assert [m.text for m in api.messages(ALICE)] == ["late"]


async def test_wait_for_call_times_out_with_the_recent_calls(
    api: LocalBotApi, bot: telegram.Bot
) -> None:
    await bot.send_message(ALICE, "one")
    assert len(await api.wait_for_call("sendmessage", chat_id=ALICE)) == 1
    with pytest.raises(TimeoutError, match=r"expected 2 sendMessage(?s:.*)sendMessage"):
        await api.wait_for_call("sendMessage", count=2, timeout=0.1)


# --- a whole PTB application -------------------------------------------------------------


async def test_ptb_application_polls_handles_commands_and_buttons(api: LocalBotApi) -> None:
    async def topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        city = " ".join(context.args or [])
        await update.effective_message.reply_html(
            f"<b>{city}</b>: 3 stories", reply_markup=keyboard("more")
        )

    async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text("more stories")

    app = Application.builder().token(TOKEN).base_url(f"{api.url}/bot").build()
    app.add_handler(CommandHandler("topic", topic))
    app.add_handler(CallbackQueryHandler(more))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1))
        try:
            api.send_text(ALICE, "/topic Kyiv")
            (call,) = await api.wait_for_call("sendMessage", chat_id=ALICE)
            assert call.result["text"] == "Kyiv: 3 stories"
            api.press_button(ALICE, call.result["message_id"], data="more")
            await api.wait_for_call("editMessageText")
            await api.wait_for_call("answerCallbackQuery")
            assert [m.text for m in api.messages(ALICE)] == ["/topic Kyiv", "more stories"]
        finally:
            await app.updater.stop()
            await app.stop()


# --- standalone process ------------------------------------------------------------------


@pytest.mark.slow
async def test_standalone_server_prints_its_url_and_stops_on_sigterm() -> None:
    process, url = await start_local_api("--token", TOKEN, "--chat", str(ALICE))
    try:
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=url) as client:
            sent = await client.post(
                "/_local/send_text", json={"chat_id": ALICE, "text": "/start"}
            )
            assert sent.json()["ok"]
            updates = (await client.get(f"/bot{TOKEN}/getUpdates")).json()["result"]
            assert updates[0]["message"]["entities"][0]["type"] == "bot_command"
            reply = await client.post(
                f"/bot{TOKEN}/sendMessage", data={"chat_id": ALICE, "text": "hi"}
            )
            assert reply.json()["ok"]
            messages = (await client.get(f"/_local/messages?chat_id={ALICE}")).json()
            assert [m["text"] for m in messages["result"]] == ["/start", "hi"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_people_can_act_from_another_thread(api: LocalBotApi, bot: telegram.Bot) -> None:
    update = await asyncio.to_thread(api.from_thread, api.send_text, ALICE, "from a terminal")
    assert update["message"]["text"] == "from a terminal"
    assert [u.update_id for u in await bot.get_updates()] == [update["update_id"]]
