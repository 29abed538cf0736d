"""How soon a person sees that the bot heard them: buttons answered before the work shows,
"typing…" while a search takes its time, and no press ever left spinning."""

from __future__ import annotations

from typing import Any

import pytest

import handlers.topics
from sandbox.localapi import StoredMessage
from sandbox.localapi.state import Call
from tests.handlers.conftest import ALICE, APOLOGY, Chat, buttons

LONG_READ = "The Long Winter: How Kyiv's Grid Engineers Keep the Lights On"
# Calls that show a person something new in the chat.
SHOWN = {"sendMessage", "editMessageText"}


async def test_a_free_text_search_shows_typing_first(samples: Chat) -> None:
    calls = len(samples.api.calls)
    shown = await samples.send("/topic grid engineers")
    made = samples.api.calls[calls:]
    methods = [call.method for call in made]
    assert methods[0] == "sendChatAction"
    assert made[0].params["action"] == "typing"
    assert int(made[0].params["chat_id"]) == ALICE
    assert methods[1:] == ["sendMessage"] * len(shown)


async def test_an_instant_reply_goes_without_typing(samples: Chat) -> None:
    await samples.send("/topic Kyiv")
    await samples.send("/help")
    await samples.send("/topic")
    assert samples.api.calls_to("sendChatAction") == []


async def press(chat: Chat, message: StoredMessage, text: str) -> tuple[list[Call], Any]:
    """Press a button; return the calls the bot made for it and its answer."""
    before = len(chat.api.calls)
    answer, _ = await chat.press(message, text=text)
    return chat.api.calls[before:], answer


async def test_every_press_is_answered_before_anything_new_shows(samples: Chat) -> None:
    (greeting,) = await samples.send("/start")
    session: list[list[Call]] = []
    made, _ = await press(samples, greeting, "🔎 #Kyiv")
    session.append(made)
    page = [m for m in samples.api.messages(ALICE) if m.from_bot][-3:]
    (long_read,) = [m for m in page if m.text.startswith(LONG_READ)]
    for text in ("📖 Full retelling", "›", "2/3", "‹", "📌 Back to takeaways"):
        made, _ = await press(samples, samples.current(long_read), text)
        session.append(made)
    made, _ = await press(samples, page[-1], "⏬ More (2 left)")
    session.append(made)
    for text in ("🔥 Active topics", "❓ Help"):
        made, _ = await press(samples, greeting, text)
        session.append(made)
    active = samples.api.messages(ALICE)[-2]
    made, _ = await press(samples, active, buttons(active)[0])
    session.append(made)
    for made in session:
        methods = [call.method for call in made]
        assert methods.count("answerCallbackQuery") == 1, methods
        answered = methods.index("answerCallbackQuery")
        assert not SHOWN & set(methods[:answered]), methods
    assert samples.api.unanswered_callbacks() == []


@pytest.mark.bot_errors_expected
async def test_a_press_whose_work_fails_is_answered_all_the_same(
    samples: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler that fails before it answered still leaves no button spinning."""

    async def broken(*_: object) -> None:
        raise RuntimeError("the database fell over")

    (greeting,) = await samples.send("/start")
    monkeypatch.setattr(handlers.topics, "active_labels", broken)
    answer, shown = await samples.press(greeting, text="🔥 Active topics")
    assert answer is not None
    (apology,) = shown
    assert APOLOGY in apology.text
    assert samples.api.unanswered_callbacks() == []
