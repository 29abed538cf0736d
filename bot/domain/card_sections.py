"""What a card opens in place besides the retelling: the entity graph and the deep analysis.

Both replace the card's text, like the retelling, and lead back to the takeaways. A card
offers only the sections its article has (see section_buttons).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.domain.articles import Article, EntityKind
from bot.domain.messages import Action, Button, Message, rows
from bot.domain.paging import paginate, section_page
from bot.domain.records import StoredArticle
from bot.domain.text import clip, escape, utf16_len

MESSAGE_LIMIT = 4096
TITLE_LIMIT = 300
# An entity's name on a button and in the text, and a description line.
NAME_LIMIT = 60
DESCRIPTION_LIMIT = 200
# Entity buttons under the graph: the graph's twelve rows, the main entity and a few more.
MAX_ENTITY_BUTTONS = 20
HOST_LIMIT = 60
_ICONS = {EntityKind.PERSON: "👤", EntityKind.ORGANISATION: "🏢", EntityKind.OTHER: "🌐"}
_BACK = (Button("📌 Back to takeaways", Action.TAKEAWAYS),)


def has_connections(article: Article) -> bool:
    """Return whether the article names entities a Connections view can show."""
    graph = article.graph
    return bool(
        (graph is not None and graph.main is not None) or article.related or article.entities
    )


def has_analysis(article: Article) -> bool:
    """Return whether the article has a deep analysis that says something."""
    return article.analysis is not None and not article.analysis.is_empty()


def source_host(article: Article) -> str | None:
    """Return the host of the article's source: its URL's, or the Source section's host."""
    url = article.source_url
    if url is not None:
        return urlsplit(url).hostname
    return article.source


def section_buttons(stored: StoredArticle) -> tuple[tuple[Button, ...], ...]:
    """Return the card's rows of buttons for the sections its article has (maybe none)."""
    article = stored.article
    opened: list[Button] = []
    if has_connections(article):
        opened.append(Button("🔗 Connections", Action.CONNECTIONS, (stored.id,)))
    if has_analysis(article):
        opened.append(Button("💡 Analysis", Action.ANALYSIS, (stored.id, 1)))
    result = [tuple(opened)] if opened else []
    if article.source_url is not None:
        result.append((Button("🌐 Source", Action.NOTHING, url=article.source_url),))
    return tuple(result)


def entity_names(article: Article) -> list[str]:
    """Return the entities a Connections view offers as topics, in the order of its buttons:
    the main entity, the graph's rows, the related and the mentioned entities (each once)."""
    names: list[str] = []
    graph = article.graph
    if graph is not None and graph.main is not None:
        names += [graph.main, *(row.name for row in graph.connections)]
    names += [entity.name for entity in (*article.related, *article.entities)]
    seen: set[str] = set()
    unique = []
    for name in names:
        key = " ".join(name.split()).casefold()
        if key and key not in seen:
            seen.add(key)
            unique.append(name)
    return unique[:MAX_ENTITY_BUTTONS]


def render_connections(stored: StoredArticle) -> Message:
    """Return the Connections view: the main entity, its connected entities with their
    counts, the related and mentioned entities; each one a button to its topic."""
    article = stored.article
    title = escape(clip(article.title, TITLE_LIMIT))
    lines = [f"<b>{title}</b>", "🔗 <i>Connections</i>"]
    used = utf16_len(clip(article.title, TITLE_LIMIT)) + 20
    budget = MESSAGE_LIMIT - 100  # room for the "… more" line

    def add(line: str, visible: str) -> bool:
        nonlocal used
        cost = utf16_len(visible) + 1
        if used + cost > budget:
            return False
        lines.append(line)
        used += cost
        return True

    graph = article.graph
    left = 0
    if graph is not None and graph.main is not None:
        main = clip(graph.main, NAME_LIMIT)
        add("", "")
        add(f"Connections for <b>{escape(main)}</b>:", f"Connections for {main}:")
        for row in graph.connections:
            name = clip(row.name, NAME_LIMIT)
            noun = "article" if row.shared == 1 else "articles"
            text = f"{_ICONS[row.kind]} {name} · {row.shared} shared {noun}"
            if not add(escape(text), text):
                left += 1
    for heading, entities in (
        ("📚 Related people & topics", article.related),
        ("👥 Mentioned", article.entities),
    ):
        if not entities:
            continue
        add("", "")
        add(f"<b>{heading}</b>", heading)
        for entity in entities:
            name = clip(entity.name, NAME_LIMIT)
            about = clip(entity.description, DESCRIPTION_LIMIT)
            visible = f"• {name}" + (f" — {about}" if about else "")
            line = f"• <b>{escape(name)}</b>" + (f" — {escape(about)}" if about else "")
            if not add(line, visible):
                left += 1
    if left:
        lines.append(f"… {left} more")
    buttons = [
        Button(clip(name, NAME_LIMIT), Action.ENTITY, (stored.id, number))
        for number, name in enumerate(entity_names(article))
    ]
    back = (Button(_BACK[0].text, Action.TAKEAWAYS, (stored.id,)),)
    return Message("\n".join(lines), (*rows(buttons), back))


def analysis_paragraphs(article: Article) -> list[str]:
    """Return the analysis as plain-text paragraphs, each part under its heading."""
    analysis = article.analysis
    if analysis is None:
        return []
    paragraphs: list[str] = []
    if analysis.summary:
        paragraphs.append(analysis.summary)
    if analysis.why_it_matters:
        paragraphs += ["❗ Why it matters", analysis.why_it_matters]
    if analysis.context:
        paragraphs += ["🧭 Context & background", *(f"• {item}" for item in analysis.context)]
    if analysis.what_next:
        paragraphs += ["⏭ What happens next", analysis.what_next]
    if analysis.faq:
        paragraphs.append("❓ Frequently asked questions")
        for qa in analysis.faq:
            paragraphs.append(f"Q: {qa.question}" + (f"\nA: {qa.answer}" if qa.answer else ""))
    return paragraphs


def _analysis_budget(title: str) -> int:
    # The header is counted with the widest page numbers, so a page never overflows.
    header = f"{clip(title, TITLE_LIMIT)}\n💡 Analysis · 9999/9999\n\n"
    return MESSAGE_LIMIT - utf16_len(header)


def analysis_pages(stored: StoredArticle) -> list[str]:
    """Return the plain text of each page of an article's analysis."""
    article = stored.article
    return paginate(analysis_paragraphs(article), _analysis_budget(article.title))


def render_analysis(stored: StoredArticle, page: int) -> Message:
    """Return one page of the article's analysis (1-based, clamped), with paging buttons."""
    title = clip(stored.article.title, TITLE_LIMIT)
    pages = analysis_pages(stored)
    return section_page(
        stored.id, title, pages, page, heading="💡 Analysis", action=Action.ANALYSIS
    )
