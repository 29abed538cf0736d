"""Users, chats, messages and recorded calls of the local Bot API server."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

CHAT_TYPES = frozenset({"private", "group", "supergroup", "channel"})


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API request as the server saw and answered it."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None
    description: str | None
    result: Any
    at: float
    # The server did the work but the answer never reached the client (see drop_next).
    dropped: bool = False


@dataclass(slots=True)
class User:
    """A Telegram user (a person, or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": self.is_bot,
            "first_name": self.first_name,
        }
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(slots=True)
class StoredMessage:
    """The current state of a message in a chat, as a Telegram client would show it."""

    message_id: int
    chat_id: int
    text: str
    html: str
    entities: list[dict[str, Any]]
    reply_markup: list[list[dict[str, Any]]]
    from_bot: bool
    user_id: int
    date: int
    edited: bool = False
    edit_date: int | None = None
    reply_to_message_id: int | None = None
    # Service fields such as migrate_to_chat_id, copied into the Message object as they are.
    service: dict[str, Any] = field(default_factory=dict)

    def buttons(self) -> list[dict[str, Any]]:
        """All inline keyboard buttons, row by row."""
        return [button for row in self.reply_markup for button in row]


@dataclass(slots=True)
class Chat:
    """A chat the server knows, with the bot's standing in it."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    blocked: bool = False
    kicked: bool = False
    deactivated: bool = False
    migrated_to: int | None = None
    admins: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1

    @property
    def is_group(self) -> bool:
        """Groups and supergroups share the per-minute group flood limit."""
        return self.type in ("group", "supergroup")

    def to_dict(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or f"User {self.id}"
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title or f"Chat {abs(self.id)}"
        if self.username:
            data["username"] = self.username
        return data

    def new_message_id(self) -> int:
        """Message ids grow by one per chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(slots=True)
class CallbackQueryState:
    """A button press waiting for answerCallbackQuery."""

    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None


def now_unix() -> int:
    """Telegram dates are whole Unix seconds."""
    return int(time.time())


def message_to_dict(
    message: StoredMessage, chat: Chat, sender: dict[str, Any], *, reply: dict[str, Any] | None
) -> dict[str, Any]:
    """The Bot API ``Message`` object for a stored message."""
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "from": sender,
        "chat": chat.to_dict(),
        "date": message.date,
    }
    if chat.type == "channel":
        data["sender_chat"] = data["chat"]
    if reply is not None:
        data["reply_to_message"] = reply
    if message.edit_date is not None:
        data["edit_date"] = message.edit_date
    if message.service:
        data.update(message.service)
    else:
        data["text"] = message.text
        if message.entities:
            data["entities"] = message.entities
    if message.reply_markup:
        data["reply_markup"] = {"inline_keyboard": message.reply_markup}
    return data
