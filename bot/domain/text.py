"""Text helpers every message uses: HTML escaping, UTF-16 lengths, clipping, local times."""

from __future__ import annotations

import html
import re
from datetime import datetime, tzinfo

# A tag of the HTML the bot writes (its texts escape every other `<`).
_TAG = re.compile(r"<[^>]*>")


def escape(text: str) -> str:
    """Escape text for Telegram's HTML parse mode (`<`, `>` and `&`; quotes need nothing)."""
    return html.escape(text, quote=False)


def escape_attribute(text: str) -> str:
    """Escape text for an HTML attribute value in double quotes, such as a link's `href`."""
    return html.escape(text, quote=True)


def utf16_len(text: str) -> int:
    """Return the length of a text in UTF-16 code units, the unit of Telegram's limits."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def visible_len(html_text: str) -> int:
    """Return how many UTF-16 units escaped HTML shows once Telegram parsed it (tags and
    escapes do not count against the 4,096 limit, what they stand for does)."""
    return utf16_len(html.unescape(_TAG.sub("", html_text)))


def clip(text: str, limit: int) -> str:
    """Shorten text to at most `limit` UTF-16 units, at a word boundary, ending with '…'."""
    if utf16_len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    while utf16_len(cut) > limit - 1:
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def local_time(moment: datetime, zone: tzinfo) -> str:
    """Return a moment as messages show it, in a chat's zone: `Mon 23 Nov, 07:00`."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"
