"""Bad input gets a useful answer: never silence, never a traceback in the chat."""

from __future__ import annotations

import logging

import pytest

import handlers.topics
from tests.handlers.conftest import ALICE, APOLOGY, TOKEN, Chat, sqlite_only

LONG = "Kyiv " * 1000  # 5,000 characters
MANY = " ".join(f"#tag{n}" for n in range(700))

# What a person sends, and a piece of the one reply they must get.
CASES = [
    ("/subscribe", "Put it after the command, e.g.\n/subscribe #Kyiv"),
    ("/unsubscribe", "e.g. /unsubscribe #Kyiv"),
    ("/topic", "Most active topics"),
    (f"/subscribe {'x' * 5000}", "is too long for a label (at most 100 characters)"),
    (f"/topic {LONG}", "That is 4999 characters, too long to search. Ask in at most 500"),
    (f"/unsubscribe {LONG}", "is too long for a label"),
    (f"/subscribe {MANY}", "Only the first 10 labels were read"),
    (f"/topic {MANY}", "One topic at a time, please, e.g. /topic Kyiv"),
    ("/foo", "I don't know the command “/foo”.\nSend /help"),
    ("/subscibe #Kyiv", "Did you mean /subscribe?"),
    (f"/{'x' * 300}", "I don't know the command"),
    ('/topic "', '“"” is not a label: a label has letters or digits'),
    ("/topic *", "“*” is not a label"),
    ("/topic %", "“%” is not a label"),
    ("/subscribe 🔥", "“🔥” is not a label"),
    ("/topic 🔥🔥🔥", "is not a label"),
    ("/topic NEAR(", "No topic is called “NEAR(”, so here are the best matches for those words"),
    ('/topic Kyiv" OR 1=1 --', 'No topic is called “Kyiv" OR 1=1 --”, so here are'),
    ("/subscribe Robert'); DROP TABLE labels;--", "No articles on “Robert')” yet"),
    ("/topic %Kyiv%", "Showing 3 of 5 articles on #Kyiv."),
    # Markup typed by a person is quoted back as text (the Bot API refuses broken HTML).
    ("/subscribe <b>Kyiv</b> & co", "No articles on “<b>Kyiv</b> & co” yet"),
    ("/topic <script>", "No topic is called “<script>”"),
    # Plain text in a private chat is a search, as if sent with /topic.
    ("hello there", "No articles on “hello there”."),
    ("🔥", "I answer commands."),
    (LONG, "too long to search"),
    ("kyiv", "Showing 3 of 5 articles on #Kyiv."),
    ("/help", "/subscribe <labels>: Follow hashtags or themes in this chat."),
    (f"/start@{'digestbot_test_bot'}", "Hi! I'm Digestbot."),
]


async def test_every_bad_input_gets_a_useful_answer(samples: Chat) -> None:
    for text, expected in CASES:
        shown = await samples.send(text)
        assert shown, f"no answer to {text[:40]!r}"
        assert expected in shown[-1].text, (text[:40], shown[-1].text)
        assert all(APOLOGY not in m.text for m in shown)
    # The SQL above did nothing to the store.
    shown = await samples.send("/topic Kyiv")
    assert len(shown) == 3


async def test_help_lists_every_command_with_an_example(samples: Chat) -> None:
    (reply,) = await samples.send("/help")
    for command, example in [
        ("/topic", "/topic Kyiv"),
        ("/subscribe", "/subscribe #Kyiv #Power grid, Energy Security"),
        ("/unsubscribe", "/unsubscribe #Kyiv"),
        ("/subscriptions", ""),
        ("/start", ""),
        ("/help", ""),
    ]:
        assert f"\n{command}" in reply.text
        assert example in reply.text


async def test_start_offers_what_to_try_first(samples: Chat) -> None:
    (reply,) = await samples.send("/start")
    assert reply.text.startswith("👋 Hi! I'm Digestbot.")
    assert "/topic Kyiv" in reply.text
    labels = [button["text"] for button in reply.buttons()]
    assert labels[0] == "🔎 #Kyiv"
    assert labels[-2:] == ["🔥 Active topics", "❓ Help"]
    _, new = await samples.press(reply, text="❓ Help")
    assert new[0].text.startswith("What I understand")
    _, new = await samples.press(reply, text="🔥 Active topics")
    assert new[0].text.startswith("🔥 Most active topics")


@sqlite_only
async def test_a_stale_button_is_answered(samples: Chat) -> None:
    (reply,) = await samples.send("/start")
    update = samples.api.press_button(ALICE, reply.message_id, text="❓ Help", deliver=False)
    update["callback_query"]["data"] = "an old button from a previous version"
    from telegram import Update

    await samples.app.process_update(Update.de_json(update, samples.app.bot))
    answer = samples.api.callback_answer(update["callback_query"]["id"])
    assert answer is not None
    assert answer["text"] == "This button no longer works. Send /help to start again."


@sqlite_only
@pytest.mark.bot_errors_expected
async def test_a_failing_handler_apologises_and_logs_without_the_token(
    samples: Chat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError(f"the database fell over (token {TOKEN} leaked into this message)")

    monkeypatch.setattr(handlers.topics, "_page", broken)
    with caplog.at_level(logging.ERROR):
        (reply,) = await samples.send("/topic Kyiv")
    assert reply.text == "😕 Sorry, something went wrong on my side. Please try again in a moment."
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "the database fell over" in logged
    assert "RuntimeError" in logged
    assert TOKEN not in logged
    assert TOKEN.split(":")[1] not in logged
