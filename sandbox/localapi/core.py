"""What every part of the local Bot API shares: the bot, its users, its chats, the calls."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.localapi import errors
from sandbox.localapi.errors import ApiError, bad_request, forbidden, too_many_requests
from sandbox.localapi.flood import FloodControl, FloodLimits
from sandbox.localapi.params import Params
from sandbox.localapi.state import Call, Chat, StoredMessage, User, message_to_dict


@dataclass(slots=True)
class Answer:
    """A successful result with Telegram's optional ``description`` next to it."""

    result: Any
    description: str


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    """A Bot API answer as Telegram sends it: JSON, non-ASCII text as it is."""
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode(),
        status=status,
        content_type="application/json",
    )


class Core:
    """The server's state; each area of the Bot API adds its methods in a subclass."""

    def __init__(
        self,
        token: str | None,
        *,
        bot_username: str,
        bot_first_name: str,
        bot_id: int | None,
        flood: FloodLimits | None,
        strict_html_entities: bool,
        record_calls: bool,
    ) -> None:
        self.token = token
        if bot_id is None:
            prefix = (token or "").split(":", 1)[0]
            bot_id = int(prefix) if prefix.isdigit() else 7_000_000_001
        self.bot = User(bot_id, bot_first_name, username=bot_username, is_bot=True)
        self.strict_html_entities = strict_html_entities
        self.record_calls = record_calls

        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.counters: Counter[str] = Counter()
        self.commands: dict[str, list[dict[str, str]]] = {}

        self._users: dict[int, User] = {bot_id: self.bot}
        self._chats: dict[int, Chat] = {}
        self._flood = FloodControl(flood)
        self._changed = asyncio.Event()

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        error: ApiError | None,
        result: Any = None,
        *,
        dropped: bool = False,
    ) -> None:
        if self.record_calls:
            self.calls.append(
                Call(
                    method=method,
                    params=params,
                    ok=error is None,
                    error_code=error.error_code if error else None,
                    description=error.description if error else None,
                    result=result,
                    at=time.monotonic(),
                    dropped=dropped,
                )
            )
        self._notify()

    def _notify(self) -> None:
        changed = self._changed
        self._changed = asyncio.Event()
        changed.set()

    # -----------------------------------------------------------------------------------
    # Chats as seen by Bot API methods

    def chat(self, chat_id: int) -> Chat:
        """The server's record of a chat."""
        try:
            return self._chats[chat_id]
        except KeyError:
            raise LookupError(f"unknown chat {chat_id}") from None

    def _chat_id(self, p: Params) -> int:
        value = p.data.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            username = value[1:].lower()
            for chat in self._chats.values():
                if chat.type != "private" and (chat.username or "").lower() == username:
                    return chat.id
            raise bad_request(errors.CHAT_NOT_FOUND)
        try:
            chat_id = p.integer("chat_id")
        except ApiError:
            raise bad_request(errors.CHAT_NOT_FOUND) from None
        assert chat_id is not None
        return chat_id

    def _find_chat(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise bad_request(errors.CHAT_NOT_FOUND)
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def _writable_chat(self, chat_id: int) -> Chat:
        chat = self._find_chat(chat_id)
        if chat.type == "private":
            if chat.deactivated:
                raise forbidden("user is deactivated")
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
        elif chat.kicked:
            if chat.type == "channel":
                raise forbidden("bot is not a member of the channel chat")
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        return chat

    def _resolve_user(self, user_id: int) -> dict[str, Any] | None:
        user = self._users.get(user_id)
        return user.to_dict() if user else None

    def _message_dict(self, message: StoredMessage, *, nested: bool = False) -> dict[str, Any]:
        chat = self._chats[message.chat_id]
        sender = self._users.get(message.user_id) or self.bot
        reply = None
        if message.reply_to_message_id is not None and not nested:
            replied = chat.messages.get(message.reply_to_message_id)
            if replied is not None:
                reply = self._message_dict(replied, nested=True)
        return message_to_dict(message, chat, sender.to_dict(), reply=reply)

    # -----------------------------------------------------------------------------------
    # Flood limits

    @property
    def flood_limits(self) -> FloodLimits:
        """The flood limits in force."""
        return self._flood.limits

    def set_flood_limits(self, limits: FloodLimits | None) -> None:
        """Change the flood limits at runtime (``None`` switches them all off)."""
        self._flood.configure(limits or FloodLimits())

    @property
    def too_many_requests(self) -> int:
        """How many 429 answers were sent, from flood limits and injected faults."""
        return self.counters["429"]

    @property
    def flood_rejections(self) -> int:
        """How many 429 answers the flood limits produced."""
        return self.counters["429.flood"]

    def _check_flood(self, chat: Chat) -> float:
        now = time.monotonic()
        retry_after = self._flood.retry_after(chat.id, chat.is_group, now)
        if retry_after:
            self.counters["429.flood"] += 1
            raise too_many_requests(retry_after)
        return now
