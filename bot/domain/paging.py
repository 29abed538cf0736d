"""Long text in pages that fit one Telegram message each (the retelling, the analysis)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.domain.messages import Action, Button, Message
from bot.domain.text import escape, utf16_len

# A sentence ends at '.', '!', '?' or '…', possibly followed by closing quotes or brackets,
# then whitespace.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'»”’)\]]*(\s+)")
# A page broken inside a paragraph ends at least this full; else the paragraph moves whole.
_MIN_FILL = 0.5


def paginate(paragraphs: Sequence[str], budget: int) -> list[str]:
    """Split paragraphs into pages of at most `budget` UTF-16 units.

    Pages break between paragraphs when they can, else between sentences, else between
    words; only a word longer than a whole page is ever cut. Joining the pages' words gives
    back the words of the text, in order."""
    if budget < 2:
        raise ValueError("a page needs room for at least two characters")
    pages: list[str] = []
    parts: list[str] = []
    used = 0  # UTF-16 length of "".join(parts), kept as we go: pages stay linear to build

    def add(separator: str, text: str, cost: int) -> None:
        nonlocal used
        if parts:
            parts.append(separator)
            used += len(separator)
        parts.append(text)
        used += cost

    def flush() -> None:
        nonlocal used
        pages.append("".join(parts))
        parts.clear()
        used = 0

    for raw in paragraphs:
        paragraph = " ".join(raw.split())
        if not paragraph:
            continue
        size = utf16_len(paragraph)
        if used + (2 if parts else 0) + size <= budget:
            add("\n\n", paragraph, size)
            continue
        if parts and (size <= budget or used >= budget * _MIN_FILL):
            # Start the paragraph on a fresh page rather than breaking it needlessly.
            flush()
        separator = "\n\n"
        for piece in _pieces(paragraph, budget):
            cost = utf16_len(piece)
            if parts and used + len(separator) + cost > budget:
                flush()
            add(separator, piece, cost)
            separator = " "
    if parts or not pages:
        flush()
    return pages


def _pieces(paragraph: str, budget: int) -> list[str]:
    """Split a paragraph into sentences, and sentences longer than a page into words."""
    pieces: list[str] = []
    for sentence in _sentences(paragraph):
        if utf16_len(sentence) <= budget:
            pieces.append(sentence)
        else:
            for word in sentence.split(" "):
                pieces.extend(_cut_word(word, budget))
    return pieces


def _sentences(paragraph: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(paragraph):
        sentences.append(paragraph[start : match.start(1)])
        start = match.end(1)
    sentences.append(paragraph[start:])
    return [sentence for sentence in sentences if sentence]


def _cut_word(word: str, budget: int) -> list[str]:
    """Cut a word longer than a page (a pasted URL, a run of emoji) into page-sized parts,
    never inside a character."""
    if utf16_len(word) <= budget:
        return [word]
    parts: list[str] = []
    start = used = 0
    for index, ch in enumerate(word):
        cost = 2 if ord(ch) > 0xFFFF else 1
        if used + cost > budget:
            parts.append(word[start:index])
            start, used = index, 0
        used += cost
    parts.append(word[start:])
    return parts


def section_page(
    article_id: int, title: str, pages: Sequence[str], page: int, *, heading: str, action: Action
) -> Message:
    """Return page `page` (1-based, clamped) of a section shown in place of a card: the
    escaped title, the section's `heading` (an icon and a name) with the page number, the
    page's text, ‹ n/N › buttons that press `action`, and the way back to the takeaways."""
    page = min(max(page, 1), len(pages))
    where = f" · {page}/{len(pages)}" if len(pages) > 1 else ""
    icon, name = heading.split(" ", 1)
    text = f"<b>{escape(title)}</b>\n{icon} <i>{name}{where}</i>\n\n{escape(pages[page - 1])}"
    rows: list[tuple[Button, ...]] = []
    if len(pages) > 1:
        nav: list[Button] = []
        if page > 1:
            nav.append(Button("‹", action, (article_id, page - 1)))
        nav.append(Button(f"{page}/{len(pages)}", Action.NOTHING))
        if page < len(pages):
            nav.append(Button("›", action, (article_id, page + 1)))
        rows.append(tuple(nav))
    rows.append((Button("📌 Back to takeaways", Action.TAKEAWAYS, (article_id,)),))
    return Message(text, tuple(rows))
