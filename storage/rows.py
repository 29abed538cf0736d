"""An article as the store writes it, worked out without a database.

Everything here is a pure function of the article, so ingest computes it in its parser
processes (see ingest.pipeline) and the writing process only maps labels to ids and inserts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from bot.domain.articles import Article, identity_key
from bot.domain.labels import LabelKind, fold_label
from bot.domain.search import index_text
from storage.sections import (
    analysis_json,
    connections_json,
    entities_json,
    sections_json,
    to_json,
)

_TAG, _THEME = LabelKind.TAG.value, LabelKind.THEME.value


class ArticleRows(NamedTuple):
    """One article's values for the articles row, its labels and its search index entry."""

    content_hash: str
    title: str
    takeaways: str  # JSON
    retelling: str
    entity_graph: str | None
    url: str | None
    published_at: datetime | None
    # (kind, folded key, name as written), in the file's order, each (kind, key) once.
    labels: tuple[tuple[str, str, str], ...]
    # The stems of the title, takeaways and retelling the search index holds.
    search: tuple[str, str, str]
    # Which article this is (a later file of it updates it), and its other sections (see
    # storage.sections).
    identity_key: str
    source: str | None
    analysis: str | None  # JSON
    sections: str | None  # JSON
    # JSON, read with storage.sections.entity_values and connection_values: a parser process
    # hands them over, or writes them to a staging file, as one value each.
    entities: str | None
    connections: str | None


def article_rows(dialect: str, article: Article) -> ArticleRows:
    """Return what storing `article` writes, on `dialect` ("sqlite" or "postgresql")."""
    labels: dict[tuple[str, str], str] = {}
    for kind, names in ((_TAG, article.tags), (_THEME, article.themes)):
        for name in names:
            key = fold_label(name)
            if key:
                labels.setdefault((kind, key), name)
    return ArticleRows(
        content_hash=article.content_hash,
        title=article.title,
        takeaways=to_json(article.takeaways),
        retelling="\n".join(article.retelling),
        entity_graph=article.entity_graph,
        url=article.url,
        published_at=article.published_at,
        labels=tuple((kind, key, name) for (kind, key), name in labels.items()),
        search=index_fields(dialect, article.title, article.takeaways, article.retelling),
        identity_key=identity_key(article),
        source=article.source,
        analysis=analysis_json(article),
        sections=sections_json(article),
        entities=entities_json(article),
        connections=connections_json(article),
    )


def sort_key_of(moment: datetime) -> int:
    """Return the integer that orders articles newest-first in article_labels."""
    return int(moment.timestamp() * 1_000_000)


def sqlite_datetime(value: datetime) -> str:
    """Return an aware datetime in the text form SQLAlchemy's SQLite DATETIME type writes and
    reads back (UTC)."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def index_fields(
    dialect: str, title: str, takeaways: Sequence[str], retelling: Sequence[str]
) -> tuple[str, str, str]:
    """Return an article's title, takeaways and retelling as the search index holds them:
    their distinct stems, one space apart (see storage.fulltext).

    Both dialects index the same text. Stems hold letters and digits only, so PostgreSQL's
    parser and FTS5's tokenizer split them alike whatever the database's locale says."""
    del dialect  # the same on both databases since stems are indexed
    return (index_text(title), index_text("\n".join(takeaways)), index_text("\n".join(retelling)))
