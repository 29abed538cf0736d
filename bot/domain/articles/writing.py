"""Articles written back as article files, in the source's own layout."""

from __future__ import annotations

from bot.domain.articles.lines import HEADERS, PART_HEADERS, Part, Section
from bot.domain.articles.model import Analysis, Article, Entity, graph_lines

# The page's link labels, written where the source writes them.
PROFILE_LABEL = "View Profile →"
GRAPH_LABEL = "View full profile"
ORIGINAL_LABEL = "Read full article at source"


def format_article(article: Article) -> str:
    """Render an article in the canonical file format; parse_article reads back the same
    article (url and published_at, which no file carries, aside)."""
    lines = [article.title]
    if article.tags:
        lines.append(" ".join("#" + tag for tag in article.tags))
    lines += ["", HEADERS[Section.TAKEAWAYS]]
    lines += ["- " + takeaway for takeaway in article.takeaways]
    lines += ["", HEADERS[Section.RETELLING], *article.retelling]
    if article.reactions:
        lines += ["", HEADERS[Section.REACTIONS], *article.reactions]
    if article.dialogue:
        lines += ["", HEADERS[Section.DIALOGUE], *article.dialogue]
    if article.themes:
        lines += ["", HEADERS[Section.THEMES], ", ".join(article.themes)]
    if article.related:
        lines += ["", HEADERS[Section.RELATED], *_entity_lines(article.related)]
    if article.graph is not None:
        lines += ["", HEADERS[Section.GRAPH], *graph_lines(article.graph)]
        if article.graph.main is not None:
            lines.append(GRAPH_LABEL)
    elif article.entity_graph:
        lines += ["", HEADERS[Section.GRAPH], article.entity_graph]
    if article.entities:
        lines += ["", HEADERS[Section.ENTITIES], *_entity_lines(article.entities)]
    if article.analysis is not None and not article.analysis.is_empty():
        lines += ["", HEADERS[Section.ANALYSIS], *_analysis_lines(article.analysis)]
    if article.original:
        lines += ["", HEADERS[Section.ORIGINAL], *article.original, ORIGINAL_LABEL]
    if article.source:
        lines += ["", HEADERS[Section.SOURCE], article.source]
    for header, text in article.extra:
        lines += ["", header]
        if text:
            lines.append(text)
    return "\n".join(lines) + "\n"


def _entity_lines(entities: tuple[Entity, ...]) -> list[str]:
    # An entity without a description ends at a link label, as on the page.
    lines: list[str] = []
    for entity in entities:
        lines += [entity.name, entity.description or PROFILE_LABEL]
    return lines


def _analysis_lines(analysis: Analysis) -> list[str]:
    lines: list[str] = []
    if analysis.summary:
        lines.append(analysis.summary)
    if analysis.why_it_matters:
        lines += [PART_HEADERS[Part.WHY], analysis.why_it_matters]
    if analysis.context:
        lines += [PART_HEADERS[Part.CONTEXT], *("- " + item for item in analysis.context)]
    if analysis.what_next:
        lines += [PART_HEADERS[Part.NEXT], analysis.what_next]
    if analysis.faq:
        lines.append(PART_HEADERS[Part.FAQ])
        for qa in analysis.faq:
            lines.append(qa.question)
            if qa.answer:
                lines.append(qa.answer)
    return lines
