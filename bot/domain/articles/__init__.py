"""Article files: parsing, validation, writing, and the identities of an article.

An article file is the source's rendering of one article, section by section: model holds the
values, lines how one line reads, sections how a section's lines read, text and jsonl the two
input forms, writing the file format_article writes (tests/data/articles has real examples).
"""

from bot.domain.articles.jsonl import parse_article_json
from bot.domain.articles.lines import HEADERS, PART_HEADERS, Part, Section, header_of, is_label
from bot.domain.articles.model import (
    NO_CONNECTIONS,
    QA,
    Analysis,
    Article,
    ArticleError,
    Connection,
    Entity,
    EntityKind,
    Graph,
    content_hash,
    identity_key,
)
from bot.domain.articles.text import parse_article, parse_article_bytes
from bot.domain.articles.writing import format_article

TAKEAWAYS_HEADER = HEADERS[Section.TAKEAWAYS]
RETELLING_HEADER = HEADERS[Section.RETELLING]
THEMES_HEADER = HEADERS[Section.THEMES]
GRAPH_HEADER = HEADERS[Section.GRAPH]


def is_header_line(line: str) -> bool:
    """Return whether a line reads as a section header of an article file (known or not)."""
    return header_of(line.strip()) is not None


__all__ = [
    "GRAPH_HEADER",
    "HEADERS",
    "NO_CONNECTIONS",
    "PART_HEADERS",
    "QA",
    "RETELLING_HEADER",
    "TAKEAWAYS_HEADER",
    "THEMES_HEADER",
    "Analysis",
    "Article",
    "ArticleError",
    "Connection",
    "Entity",
    "EntityKind",
    "Graph",
    "Part",
    "Section",
    "content_hash",
    "format_article",
    "identity_key",
    "is_header_line",
    "is_label",
    "parse_article",
    "parse_article_bytes",
    "parse_article_json",
]
