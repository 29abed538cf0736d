"""Messages to Telegram keyboards: rows as the message lays them out, data from the codec."""

from __future__ import annotations

import pytest
from telegram.ext import CallbackQueryHandler

from bot.domain.articles import Article
from bot.domain.callbacks import PATTERNS
from bot.domain.messages import Action, Button, Message
from handlers.incoming import button
from handlers.messages import markup
from tests.handlers.conftest import Chat, callback_data, sqlite_only

ARTICLE = Article(
    title="Kyiv restores power",
    takeaways=("The grid is back.",),
    # Too long to fit in the card: its retelling is paged, behind a button.
    retelling=("Engineers restored the grid overnight. " * 120,),
    tags=("Kyiv",),
    themes=(),
    url="https://example.org/kyiv",
)


def test_keyboard_rows_follow_the_message() -> None:
    message = Message("text", ((Button("a", Action.HELP), Button("b", Action.ACTIVE)),))
    keyboard = markup(message)
    assert keyboard is not None
    assert [[b.callback_data for b in row] for row in keyboard.inline_keyboard] == [["hlp", "act"]]
    assert [[b.text for b in row] for row in keyboard.inline_keyboard] == [["a", "b"]]


def test_a_message_without_buttons_has_no_keyboard() -> None:
    assert markup(Message("text")) is None


def test_a_button_that_cannot_be_encoded_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        markup(Message("text", ((Button("x", Action.RETELL, (1,)),),)))


@pytest.mark.parametrize("action", list(Action))
def test_a_button_handler_matches_with_its_action_pattern(action: Action) -> None:
    async def nothing(_: object) -> None:
        return None

    handler = button(action, nothing)
    assert isinstance(handler, CallbackQueryHandler)
    assert handler.pattern is PATTERNS[action]


@sqlite_only
async def test_every_text_goes_out_as_html_without_link_previews(chat: Chat) -> None:
    """Parse mode and link previews come from the application's Defaults, on every call."""
    await chat.add_articles([ARTICLE])
    (card,) = await chat.send("/topic Kyiv")
    await chat.press(card, data=callback_data(card)[0])
    await chat.send("/help")
    await chat.send("/digest")
    calls = chat.api.calls_to("sendMessage") + chat.api.calls_to("editMessageText")
    assert {call.method for call in calls} == {"sendMessage", "editMessageText"}
    for call in calls:
        assert call.params["parse_mode"] == "HTML"
        assert call.params["link_preview_options"] == {"is_disabled": True}
