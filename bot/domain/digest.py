"""The daily digest: one compact message listing what arrived since the chat's last digest."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.domain.labels import fold_label, hashtag_form
from bot.domain.messages import Action, Button, Message, rows
from bot.domain.text import escape, local_time, utf16_len

# Telegram refuses a text longer than 4,096 UTF-16 code units once the HTML is parsed; stay a
# little under it so a digest never meets that limit whatever the articles hold.
MAX_TEXT = 4000
MAX_TITLE = 160
MAX_TAKEAWAY = 240
MAX_LABELS = 4
BUTTONS_PER_ROW = 5


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One article in a digest: what the list shows of it and how well it matches the chat."""

    article_id: int
    title: str
    takeaway: str | None
    tags: tuple[str, ...]
    themes: tuple[str, ...]
    matched: int
    sort_at: datetime


def rank_entries(entries: Sequence[DigestEntry]) -> list[DigestEntry]:
    """Order entries by how many of the chat's labels they match, then newest first."""
    return sorted(entries, key=lambda e: (-e.matched, -e.sort_at.timestamp(), -e.article_id))


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _labels(entry: DigestEntry, followed: Collection[str]) -> list[str]:
    """Display forms of the entry's labels, the ones the chat follows first."""
    labels = [(hashtag_form(tag), fold_label(tag)) for tag in entry.tags]
    labels += [(theme, fold_label(theme)) for theme in entry.themes]
    labels.sort(key=lambda pair: pair[1] not in followed)
    return [shown for shown, _ in labels[:MAX_LABELS]]


def _entry_lines(number: int, entry: DigestEntry, followed: Collection[str]) -> tuple[str, str]:
    """Return the entry as (HTML, plain text); the plain text is what Telegram counts."""
    title = _shorten(entry.title, MAX_TITLE)
    html = [f"<b>{number}. {escape(title)}</b>"]
    plain = [f"{number}. {title}"]
    if entry.takeaway:
        takeaway = _shorten(entry.takeaway, MAX_TAKEAWAY)
        html.append(escape(takeaway))
        plain.append(takeaway)
    labels = " · ".join(_labels(entry, followed))
    if labels:
        html.append(f"<i>{escape(labels)}</i>")
        plain.append(labels)
    return "\n".join(html), "\n".join(plain)


def compose_digest(
    entries: Sequence[DigestEntry],
    *,
    total: int,
    since: datetime,
    zone: tzinfo,
    followed: Collection[str] = (),
    delivery_id: int,
    first: int = 1,
    max_items: int = 10,
) -> Message:
    """Compose one page of the digest `delivery_id` from ranked `entries`, numbered from `first`.

    As many entries as fit in one message (at most `max_items`) are listed, each with a button
    that opens its card; when more remain, a "More" button shows the next page in its place,
    and a later page has a "Back" button. `total` is how many
    entries the whole digest has; `followed` holds the folded labels the chat follows.
    """
    if first == 1:
        noun = "article" if total == 1 else "articles"
        header = f"📰 Your digest: {total} new {noun} since {local_time(since, zone)}"
    else:
        header = f"📰 Your digest, continued ({first}–{total} of {total})"
    html_parts = [f"<b>{escape(header)}</b>"]
    length = utf16_len(header)
    shown: list[DigestEntry] = []
    footer_room = 40  # "…and 9,999 more: tap More." and its blank line
    for offset, entry in enumerate(entries[:max_items]):
        html, plain = _entry_lines(first + offset, entry, followed)
        size = utf16_len(plain) + 2
        if shown and length + size + footer_room > MAX_TEXT:
            break
        html_parts.append(html)
        length += size
        shown.append(entry)
    last = first + len(shown) - 1
    remaining = total - last
    if first > 1:
        header = f"📰 Your digest, continued ({first}–{last} of {total})"
        html_parts[0] = f"<b>{escape(header)}</b>"
    if remaining > 0:
        html_parts.append(f"…and {remaining} more: tap More.")
    buttons = [
        Button(str(first + offset), Action.DIGEST_OPEN, (entry.article_id,))
        for offset, entry in enumerate(shown)
    ]
    laid_out = list(rows(buttons, BUTTONS_PER_ROW))
    # Pages replace each other in one message, so a later page leads back as well as on.
    turns: list[Button] = []
    if first > 1:
        back = max(first - max_items, 1)
        turns.append(Button("◂ Back", Action.DIGEST_MORE, (delivery_id, back)))
    if remaining > 0:
        turns.append(Button(f"More ({remaining}) ▸", Action.DIGEST_MORE, (delivery_id, last + 1)))
    if turns:
        laid_out.append(tuple(turns))
    return Message("\n\n".join(html_parts), tuple(laid_out))
