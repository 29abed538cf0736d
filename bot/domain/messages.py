"""What the bot sends: a message of escaped HTML with rows of button descriptions.

Only `handlers/` turns a `Message` into a Telegram keyboard; here a button is a description
(an `Action` and its arguments) that `bot.domain.callbacks` encodes as callback data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """What pressing a button does; the value starts its callback data (see callbacks)."""

    RETELL = "ret"  # args: article id, page (1-based)
    TAKEAWAYS = "tak"  # args: article id
    MORE = "more"  # args: label id, offset
    SUBSCRIBE = "sub"  # args: label id
    FOLLOW = "fol"  # args: hashtag id, theme id; a name no article carries yet, as both kinds
    UNSUBSCRIBE = "uns"  # args: label id
    TOPIC = "top"  # args: label id
    ACTIVE = "act"  # the most active topics
    HELP = "hlp"  # the command list
    NOTHING = "nop"  # a label-only button, such as the page indicator
    DIGEST_OPEN = "dg:o"  # args: article id; sends the card of an article in a digest
    DIGEST_MORE = "dg:m"  # args: delivery id, number of the first entry to show
    DIGEST_TIME = "dg:t"  # args: "HHMM", "off" or "now"
    DIGEST_ZONE = "dg:z"  # args: a time zone name
    ALERTS = "dg:a"  # args: "on" or "off"


@dataclass(frozen=True, slots=True)
class Button:
    """A button's text and what pressing it does."""

    text: str
    action: Action
    args: tuple[int | str, ...] = ()


Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Message:
    """A message ready to send: escaped HTML `text` and rows of `buttons`."""

    text: str
    buttons: Rows = ()

    def __post_init__(self) -> None:
        # Telegram refuses an empty text and an empty keyboard row alike.
        if not self.text.strip():
            raise ValueError("a message needs some text")
        if any(not row for row in self.buttons):
            raise ValueError("a row of buttons needs at least one button")


def rows(buttons: Sequence[Button], per_row: int = 2) -> Rows:
    """Lay buttons out in rows of at most `per_row`, in order."""
    if per_row < 1:
        raise ValueError("a row holds at least one button")
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))
