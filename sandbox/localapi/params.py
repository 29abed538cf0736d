"""Request parameters as the Bot API reads them, from query strings, forms and JSON bodies."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from sandbox.localapi.errors import bad_request

METHODS = (
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "getChatMember",
    "getChat",
    "sendChatAction",
    "close",
    "logOut",
)


CANONICAL = {name.lower(): name for name in METHODS}


# Parameters that are strings even when they look like JSON ("123", "true", "[1]").
_STRING_PARAMS = frozenset(
    {
        "text",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "inline_message_id",
        "action",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "caption",
        "ip_address",
        "title",
        "description",
    }
)


def decode_form_value(name: str, value: str) -> Any:
    """PTB JSON-encodes every non-string value of a form; strings are sent as they are."""
    if name in _STRING_PARAMS or not value or value[0] not in '{["-0123456789tf':
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, float) and not math.isfinite(decoded):
        return value
    return decoded


class Params:
    """Typed access to a request's parameters; empty values count as absent like Telegram."""

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        """Whether the parameter is given and not empty."""
        value = self.data.get(name)
        return value is not None and value != ""

    def text(self, name: str) -> str | None:
        """A string parameter; numbers sent in JSON bodies become strings like Telegram."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value, ensure_ascii=False)

    def integer(self, name: str, *, required: str | None = None) -> int | None:
        """An integer parameter; ``required`` is the error reason when it is missing."""
        value = self.data.get(name)
        if value is None or value == "":
            if required is not None:
                raise bad_request(required)
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,20}\s*", value):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def number(self, name: str) -> float | None:
        """A numeric parameter such as a timeout."""
        value = self.data.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """A Boolean parameter."""
        value = self.data.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, error: str) -> Any:
        """An object or array parameter, given as JSON text in forms or inline in JSON bodies."""
        value = self.data.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return value
