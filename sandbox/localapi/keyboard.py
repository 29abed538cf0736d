"""Validation of ``reply_markup`` the way Telegram does it."""

from __future__ import annotations

import json
from typing import Any

from sandbox.localapi.errors import ApiError, bad_request

__all__ = ["parse_reply_markup"]

# The optional fields of InlineKeyboardButton; a button needs exactly one of them.
_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# These two may be empty strings ("insert just the bot's username").
_EMPTY_ALLOWED = frozenset({"switch_inline_query", "switch_inline_query_current_chat"})
MAX_BUTTONS = 100
MAX_CALLBACK_DATA_BYTES = 64


def _button_error(reason: str) -> ApiError:
    return bad_request(f"can't parse inline keyboard button: {reason}")


def _check_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise _button_error("InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise _button_error('Can\'t find field "text"')
    text = button["text"]
    if not isinstance(text, str):
        raise _button_error('Field "text" must be of type String')
    if not text.strip():
        raise bad_request("text buttons are unallowed in the inline keyboard")
    # Telegram treats empty optional fields as absent.
    actions = [
        key
        for key in _ACTIONS
        if key in button
        and button[key] is not None
        and (button[key] != "" or key in _EMPTY_ALLOWED)
        and button[key] is not False
    ]
    if not actions:
        raise _button_error("Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _button_error(
            "exactly one of the optional fields must be used, found " + ", ".join(actions)
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise _button_error('Field "callback_data" must be of type String')
        # The limit is in bytes of UTF-8, so Cyrillic data runs out at 32 letters.
        if len(data.encode("utf-8", "surrogatepass")) > MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = button["url"]
        if not isinstance(url, str):
            raise _button_error('Field "url" must be of type String')
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme not in ("http", "https", "tg") or any(c.isspace() for c in url):
            raise bad_request("BUTTON_URL_INVALID")
    return {key: value for key, value in button.items() if key == "text" or key in actions}


def parse_reply_markup(value: Any) -> tuple[list[list[dict[str, Any]]], bool]:
    """Validate a reply_markup parameter: (inline keyboard rows, whether it was inline)."""
    if value is None or value == "":
        return [], False
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in value:
        if any(k in value for k in ("keyboard", "remove_keyboard", "force_reply")):
            return [], False
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = value["inline_keyboard"]
    if not isinstance(rows, list):
        raise bad_request(
            'can\'t parse inline keyboard markup: Field "inline_keyboard" must be of type Array'
        )
    result: list[list[dict[str, Any]]] = []
    count = 0
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(
                "can't parse inline keyboard markup: InlineKeyboardRow must be an Array"
            )
        checked = [_check_button(button) for button in row]
        count += len(checked)
        if checked:
            result.append(checked)
    if count > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return result, True
