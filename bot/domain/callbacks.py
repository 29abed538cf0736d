"""Callback data: a button's action and arguments as a short string, and back.

Callback data is short and stateless: the action's code and ids or short words, never text
a person typed, so it stays within Telegram's 64 bytes whatever the article or label. One
compiled pattern per action both registers its handler and parses its data. The formats are
the ones buttons already in chats carry (`ret:<id>:<page>`, `dg:o:<id>`, ...), so old
buttons keep working.
"""

from __future__ import annotations

import re

from bot.domain.messages import Action, Button

# Telegram refuses callback data over 64 bytes (UTF-8).
LIMIT = 64

# Ids are 64-bit at most (19 digits); pages and offsets are small; names are a time zone's.
_ID = r"\d{1,19}"
_SMALL = r"\d{1,6}"
_ZONE = r"[A-Za-z0-9_/+\-]{1,58}"

_ARGUMENTS: dict[Action, tuple[str, ...]] = {
    Action.RETELL: (_ID, _SMALL),
    Action.TAKEAWAYS: (_ID,),
    Action.MORE: (_ID, _SMALL),
    Action.SUBSCRIBE: (_ID,),
    Action.FOLLOW: (_ID, _ID),
    Action.UNSUBSCRIBE: (_ID,),
    Action.TOPIC: (_ID,),
    Action.ACTIVE: (),
    Action.HELP: (),
    Action.NOTHING: (),
    Action.DIGEST_OPEN: (_ID,),
    Action.DIGEST_MORE: (_ID, _SMALL),
    Action.DIGEST_TIME: (r"\d{4}|off|now",),
    Action.DIGEST_ZONE: (_ZONE,),
    Action.ALERTS: (r"on|off",),
}

PATTERNS: dict[Action, re.Pattern[str]] = {
    action: re.compile(
        "^" + re.escape(action.value) + "".join(f":({arg})" for arg in args) + r"\Z",
        # ASCII: `\d` is 0-9 only, not every script's digits.
        re.ASCII,
    )
    for action, args in _ARGUMENTS.items()
}


def encode(button: Button) -> str:
    """Return a button's callback data, `ret:<article id>:<page>` and the like.

    Raises ValueError for data over 64 bytes or arguments its action does not take."""
    data = ":".join([button.action.value, *(str(arg) for arg in button.args)])
    if len(data.encode()) > LIMIT:
        raise ValueError(f"callback data {data!r} is longer than {LIMIT} bytes")
    if not PATTERNS[button.action].match(data):
        raise ValueError(f"button {button!r} does not fit its callback data pattern")
    return data


def decode(action: Action, data: str | None) -> tuple[str, ...] | None:
    """Return the arguments in callback data for `action`, or None if it does not match."""
    match = PATTERNS[action].match(data or "")
    return None if match is None else match.groups()


def decode_ids(action: Action, data: str | None) -> tuple[int, ...] | None:
    """Return the integer arguments in callback data for `action`, or None if it does not
    match (or its arguments are not numbers)."""
    args = decode(action, data)
    if args is None or not all(arg.isdigit() for arg in args):
        return None
    return tuple(int(arg) for arg in args)


def parse(data: str | None) -> tuple[Action, tuple[str, ...]] | None:
    """Return the action and arguments of any callback data, or None for unknown data."""
    for action in PATTERNS:
        args = decode(action, data)
        if args is not None:
            return action, args
    return None
