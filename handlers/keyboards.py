"""Button descriptions to Telegram keyboards, and callback data back to ids.

Callback data is short and stateless: the action's code and integer ids, never text a person
typed, so it stays within Telegram's 64 bytes whatever the article or label. One compiled
pattern per action both registers its handler and parses its data.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.cards import Action, Button, Card

# Telegram refuses callback data over 64 bytes.
CALLBACK_DATA_LIMIT = 64
# Ids are 64-bit at most (19 digits); pages and offsets are small.
_ID = r"(\d{1,19})"
_SMALL = r"(\d{1,6})"

PATTERNS: dict[Action, re.Pattern[str]] = {
    Action.RETELL: re.compile(rf"^ret:{_ID}:{_SMALL}\Z"),
    Action.TAKEAWAYS: re.compile(rf"^tak:{_ID}\Z"),
    Action.MORE: re.compile(rf"^more:{_ID}:{_SMALL}\Z"),
    Action.SUBSCRIBE: re.compile(rf"^sub:{_ID}\Z"),
    Action.UNSUBSCRIBE: re.compile(rf"^uns:{_ID}\Z"),
    Action.TOPIC: re.compile(rf"^top:{_ID}\Z"),
    Action.ACTIVE: re.compile(r"^act\Z"),
    Action.HELP: re.compile(r"^hlp\Z"),
    Action.NOTHING: re.compile(r"^nop\Z"),
}


def callback_data(button: Button) -> str:
    """Return the callback data of a button: `ret:<article id>:<page>` and the like."""
    data = ":".join([button.action.value, *(str(arg) for arg in button.args)])
    if not PATTERNS[button.action].match(data):
        raise ValueError(f"button {button!r} does not fit its callback data pattern")
    return data


def parse_ids(action: Action, data: str | None) -> tuple[int, ...] | None:
    """Return the integer arguments of callback data for `action`, or None if it does not match."""
    match = PATTERNS[action].match(data or "")
    if match is None:
        return None
    return tuple(int(group) for group in match.groups())


def keyboard(card: Card) -> InlineKeyboardMarkup | None:
    """Return the inline keyboard of a card (None when it has no buttons)."""
    if not card.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(button.text, callback_data=callback_data(button))
                for button in row
            ]
            for row in card.buttons
        ]
    )
