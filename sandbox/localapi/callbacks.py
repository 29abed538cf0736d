"""Callback queries: a person presses an inline button, the bot answers the press."""

from __future__ import annotations

import itertools
import time
from typing import Any

from sandbox.localapi import errors
from sandbox.localapi.chats import Chats
from sandbox.localapi.errors import bad_request
from sandbox.localapi.html import utf16_len
from sandbox.localapi.params import Params
from sandbox.localapi.state import CallbackQueryState, StoredMessage

MAX_CALLBACK_ANSWER_LENGTH = 200


def _button(message: StoredMessage, data: str | None, text: str | None) -> dict[str, Any]:
    """The callback button of ``message`` with this callback data and/or text."""
    if data is None and text is None:
        raise ValueError("say which button: data=... or text=...")
    button = next(
        (
            b
            for b in message.buttons()
            if (data is None or b.get("callback_data") == data)
            and (text is None or b.get("text") == text)
        ),
        None,
    )
    if button is None:
        available = [
            {k: v for k, v in b.items() if k in ("text", "callback_data")}
            for b in message.buttons()
        ]
        wanted = f"data={data!r}" if data is not None else f"text={text!r}"
        raise LookupError(
            f"message {message.message_id} in chat {message.chat_id} has no button with "
            f"{wanted}; its buttons: {available or 'none'}"
        )
    if "callback_data" not in button:
        raise ValueError(f"button {button['text']!r} is not a callback button: {button}")
    return button


class Callbacks(Chats):
    """Button presses and their answers."""

    def _init_callbacks(self, timeout: float) -> None:
        self.callback_timeout = timeout
        self._callbacks: dict[str, CallbackQueryState] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001)

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        *,
        data: str | None = None,
        text: str | None = None,
        user_id: int | None = None,
        deliver: bool = True,
    ) -> dict[str, Any]:
        """A person presses an inline button of a bot message; returns the ``Update``.

        The button is found by its callback data or its text.
        """
        chat = self.chat(chat_id)
        message = chat.messages.get(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        if not message.from_bot:
            raise LookupError(f"message {message_id} in chat {chat_id} is not from the bot")
        button = _button(message, data, text)
        user = self._sender(chat, user_id)
        query_id = str(next(self._query_ids))
        self._callbacks[query_id] = CallbackQueryState(
            id=query_id,
            chat_id=chat.id,
            message_id=message_id,
            user_id=user.id,
            data=button["callback_data"],
            created=time.monotonic(),
        )
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": self._message_dict(message),
            "chat_instance": str(abs(chat.id) * 7919 + 1_000_000_007),
            "data": button["callback_data"],
        }
        return self._new_update("callback_query", query, deliver=deliver)

    def callback_answer(self, callback_query_id: str) -> dict[str, Any] | None:
        """What the bot answered to a button press (text, show_alert, url), if it did."""
        state = self._callbacks.get(callback_query_id)
        return state.answer if state else None

    def unanswered_callbacks(self) -> list[str]:
        """The ids of button presses the bot has not answered (answerCallbackQuery) yet."""
        return [query_id for query_id, state in self._callbacks.items() if not state.answered]

    def _answer_callback_query(self, p: Params) -> bool:
        query_id = p.text("callback_query_id")
        state = self._callbacks.get(query_id or "")
        if (
            state is None
            or state.answered
            or time.monotonic() - state.created > self.callback_timeout
        ):
            raise bad_request(errors.QUERY_TOO_OLD)
        text = p.text("text")
        if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        state.answered = True
        state.answer = {
            "text": text,
            "show_alert": p.flag("show_alert"),
            "url": p.text("url"),
            "cache_time": p.integer("cache_time") or 0,
        }
        return True
