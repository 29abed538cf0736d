"""Cards: what the bot shows for an article, as a `Message` (escaped HTML, buttons)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo

from bot.domain.card_sections import HOST_LIMIT, section_buttons, source_host
from bot.domain.labels import hashtag_form
from bot.domain.messages import Action, Button, Message, Rows
from bot.domain.paging import paginate, section_page
from bot.domain.records import StoredArticle
from bot.domain.text import clip, escape, escape_attribute, local_time, utf16_len, visible_len

# Telegram refuses a message whose text, after entity parsing, is longer than 4,096 UTF-16
# code units; escaping does not count, the visible text does.
MESSAGE_LIMIT = 4096
# Caps that keep a card within MESSAGE_LIMIT whatever the article: 300 + 6 * 500 + 500 + 200
# plus the fixed headings stays well below 4,096.
TITLE_LIMIT = 300
TAKEAWAY_LIMIT = 500
MAX_TAKEAWAYS = 6
TAGS_LIMIT = 500
THEMES_LIMIT = 200
# Room every card keeps free for the line a page of cards ends with ("Showing 3 of 12 articles
# on #Kyiv."), which rides on the page's last card rather than costing a message of its own.
FOOTER_ROOM = 256
# A retelling that fits in the card with that room to spare goes in the card itself, as an
# expandable quote the reader opens without a round trip; a longer one is paged (see below).
CARD_LIMIT = MESSAGE_LIMIT - FOOTER_ROOM


# --- The card: takeaways first ------------------------------------------------------------


def render_card(stored: StoredArticle, zone: tzinfo = UTC) -> Message:
    """Return an article's card: bold title, key takeaways, hashtags, themes, when it was
    published (in `zone`, the chat's) and where from, the retelling (in a collapsed quote when
    it fits, else behind a button) and a button per other section it has."""
    article = stored.article
    lines = [f"<b>{escape(clip(article.title, TITLE_LIMIT))}</b>", "", "📌 <b>Key takeaways</b>"]
    takeaways = article.takeaways[:MAX_TAKEAWAYS]
    lines += [f"• {escape(clip(takeaway, TAKEAWAY_LIMIT))}" for takeaway in takeaways]
    if len(article.takeaways) > MAX_TAKEAWAYS:
        lines.append(f"• … {len(article.takeaways) - MAX_TAKEAWAYS} more in the full retelling")
    tags = _fitting(
        [hashtag_form(tag) for tag in article.tags if hashtag_form(tag) != "#"], TAGS_LIMIT, " "
    )
    lines.append("")
    if tags:
        # Hashtags without spaces or hyphens are tappable in Telegram (see hashtag_form).
        lines.append(escape(tags))
    if article.themes:
        themes = _fitting(list(article.themes), THEMES_LIMIT, ", ")
        lines.append(f"🏷 <i>{escape(themes)}</i>")
    lines.append(_published_line(stored, zone))
    return _with_retelling(stored, "\n".join(lines), section_buttons(stored))


def _published_line(stored: StoredArticle, zone: tzinfo) -> str:
    """One short line: when the article was published, and its source where known."""
    line = f"🕒 {local_time(stored.published_at, zone)}"
    url = stored.article.source_url
    host = source_host(stored.article)
    if url is not None:
        line += f' · 🔗 <a href="{escape_attribute(url)}">Source</a>'
        if host:
            line += f" ({escape(clip(host, HOST_LIMIT))})"
    elif host:
        line += f" · 🔗 {escape(clip(host, HOST_LIMIT))}"
    return line


def _with_retelling(stored: StoredArticle, card: str, sections: Rows) -> Message:
    """Add the retelling to a card: inline and collapsed when it fits, else a button to page it;
    the buttons of the article's other sections follow."""
    quote = retelling_quote(stored)
    if quote is not None and visible_len(card) + 2 + visible_len(quote) <= CARD_LIMIT:
        return Message(f"{card}\n\n{quote}", sections)
    button = Button("📖 Full retelling", Action.RETELL, (stored.id, 1))
    return Message(card, ((button,), *sections))


def retelling_quote(stored: StoredArticle) -> str | None:
    """Return the whole retelling as an expandable quote (Bot API 7.4), None if it is empty.

    Telegram shows its first lines and opens the rest on a tap, in the client: no request."""
    paragraphs = [" ".join(raw.split()) for raw in stored.article.retelling]
    body = "\n\n".join(escape(paragraph) for paragraph in paragraphs if paragraph)
    if not body:
        return None
    return f"<blockquote expandable>📖 <b>Full retelling</b>\n{body}</blockquote>"


def _fitting(items: Sequence[str], limit: int, separator: str) -> str:
    """Join as many items as fit in `limit` UTF-16 units; say how many were left out."""
    kept: list[str] = []
    used = 0
    for index, item in enumerate(items):
        cost = utf16_len(item) + (utf16_len(separator) if kept else 0)
        if used + cost > limit:
            return separator.join(kept) + f" … (+{len(items) - index})"
        kept.append(item)
        used += cost
    return separator.join(kept)


# --- A page of cards ------------------------------------------------------------------


def page(cards: Sequence[Message], footer: Message | None) -> list[Message]:
    """Return a page of cards as it is sent: the footer's line and buttons ride on the last
    card when they fit (three cards are three messages), else the footer comes alone."""
    if footer is None:
        return list(cards)
    joined = with_footer(cards[-1], footer) if cards else None
    if joined is None:
        return [*cards, footer]
    return [*cards[:-1], joined]


def with_footer(card: Message, footer: Message) -> Message | None:
    """Return a card with a page's footer under it, None if the two exceed a message."""
    text = f"{card.text}\n\n{footer.text}"
    if visible_len(text) > MESSAGE_LIMIT:
        return None
    return Message(text, card.buttons + footer.buttons)


# --- The retelling, in pages ----------------------------------------------------------------


def retelling_header(title: str, page: int, pages: int) -> str:
    """Return the plain-text header of a retelling page (counted against the page's limit)."""
    where = f" · {page}/{pages}" if pages > 1 else ""
    return f"{clip(title, TITLE_LIMIT)}\n📖 Full retelling{where}\n\n"


def _budget(title: str) -> int:
    # The header is counted with the widest page numbers, so a page never overflows.
    return MESSAGE_LIMIT - utf16_len(retelling_header(title, 9999, 9999))


def render_retelling(stored: StoredArticle, page: int) -> Message:
    """Return one page of an article's retelling (1-based, clamped), with paging buttons."""
    article = stored.article
    pages = paginate(article.retelling, _budget(article.title))
    title = clip(article.title, TITLE_LIMIT)
    return section_page(
        stored.id, title, pages, page, heading="📖 Full retelling", action=Action.RETELL
    )


def retelling_pages(stored: StoredArticle) -> list[str]:
    """Return the plain text of each page of an article's retelling."""
    return paginate(stored.article.retelling, _budget(stored.article.title))
