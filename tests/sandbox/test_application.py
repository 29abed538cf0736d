"""A whole python-telegram-bot Application against the local Bot API."""

from __future__ import annotations

import datetime as dtm

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from sandbox.localapi import LocalBotApi
from tests.sandbox.support import ALICE, TOKEN, keyboard


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
