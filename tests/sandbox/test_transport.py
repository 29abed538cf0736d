"""The local Bot API over HTTP: methods, tokens, request encodings, its own process."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest
import telegram
from telegram.error import InvalidToken, NetworkError

from bench.delivery import start_local_api
from sandbox.localapi import LocalBotApi
from tests.sandbox.support import ALICE, TOKEN


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
