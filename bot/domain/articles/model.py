"""What an article file says, as values: the article, its sections, and its two identities."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit, urlunsplit


class ArticleError(ValueError):
    """An article file that cannot be read as an article; says where and what was expected."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class EntityKind(StrEnum):
    """What the entity graph says an entity is, by the icon of its row."""

    PERSON = "person"  # 👤
    ORGANISATION = "organisation"  # 🏢
    OTHER = "other"  # 🌐


# Entities and graph rows are named tuples, not frozen dataclasses like the rest: a rich file
# has a score of them, and a tuple is built in a fraction of the time.
class Entity(NamedTuple):
    """A related or mentioned entity: its name and the source's one-line description."""

    name: str
    description: str = ""


class Connection(NamedTuple):
    """A row of the entity graph: another entity, and how many articles it shares with the main."""

    name: str
    kind: EntityKind
    shared: int


@dataclass(frozen=True, slots=True)
class Graph:
    """The entity intersection graph; `main` is None when the source has no connections yet."""

    main: str | None
    connections: tuple[Connection, ...] = ()


@dataclass(frozen=True, slots=True)
class QA:
    """One frequently asked question and its answer."""

    question: str
    answer: str = ""


@dataclass(frozen=True, slots=True)
class Analysis:
    """The deep analysis; paragraphs of one part are joined with newlines."""

    why_it_matters: str = ""
    context: tuple[str, ...] = ()  # the "Context & Background" bullets
    what_next: str = ""
    faq: tuple[QA, ...] = ()
    summary: str = ""  # any text between the "Deep Analysis" header and its first part

    def is_empty(self) -> bool:
        """Return whether the analysis says nothing at all."""
        return not (self.why_it_matters or self.context or self.what_next or self.faq) and (
            not self.summary
        )


@dataclass(frozen=True, slots=True)
class Article:
    """One article as the file says it; `content_hash` is its content, `identity_key` which
    article it is."""

    title: str
    tags: tuple[str, ...]
    takeaways: tuple[str, ...]
    retelling: tuple[str, ...]  # paragraphs
    themes: tuple[str, ...] = ()
    # The graph section's text when it is not in the structure `graph` holds (older exports).
    entity_graph: str | None = None
    url: str | None = None  # where a JSON Lines record says the article is; not in the file
    published_at: datetime | None = None
    reactions: tuple[str, ...] = ()  # "Character Reactions (Tweets)", one item per line
    dialogue: tuple[str, ...] = ()  # "Character Dialogue", one item per line
    related: tuple[Entity, ...] = ()  # "Related People & Topics"
    graph: Graph | None = None
    entities: tuple[Entity, ...] = ()  # "Mentioned Entities"
    analysis: Analysis | None = None
    original: tuple[str, ...] = ()  # the excerpt of the original article, by paragraph
    source: str | None = None  # the "Source" section: the original's URL, or only its host
    # Sections the parser does not know, in file order: (header as written, lines joined).
    extra: tuple[tuple[str, str], ...] = ()
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self))

    @property
    def source_url(self) -> str | None:
        """The original article's URL: the Source section's when it is one, else `url`."""
        if self.source is not None and is_http_url(self.source):
            return self.source
        return self.url


def is_http_url(text: str) -> bool:
    """Return whether text is an absolute http(s) URL with a host (and a valid port)."""
    return _http_parts(text) is not None


def _http_parts(text: str) -> SplitResult | None:
    """Return the parts of an absolute http(s) URL with a host (and a valid port), else None."""
    # str.split() splits at exactly the characters str.isspace() accepts, and at C speed.
    if not text or text.split() != [text]:
        return None
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return parts
    return None


NO_CONNECTIONS = "No entity connections available yet for this article."
ROW_ICONS = {EntityKind.PERSON: "👤", EntityKind.ORGANISATION: "🏢", EntityKind.OTHER: "🌐"}


def graph_lines(graph: Graph) -> list[str]:
    """Return the lines the source writes under the graph header (link labels left out)."""
    if graph.main is None:
        return [NO_CONNECTIONS]
    lines = [f"Connections for {graph.main}:"]
    for row in graph.connections:
        lines += [f"{ROW_ICONS[row.kind]} {row.name}", f"{row.shared} shared"]
    return lines


def _graph_text(graph: Graph) -> str:
    """Return "\n".join(graph_lines(graph)), in one string per row."""
    if graph.main is None:
        return NO_CONNECTIONS
    icons = ROW_ICONS
    rows = "".join(
        [f"\n{icons[row.kind]} {row.name}\n{row.shared} shared" for row in graph.connections]
    )
    return f"Connections for {graph.main}:{rows}"


def content_hash(article: Article) -> str:
    """Return the hex SHA-256 of an article's normalised content (every section)."""
    graph = article.entity_graph
    if graph is None and article.graph is not None:
        graph = _graph_text(article.graph)
    parts = [
        article.title,
        "\x1f".join(article.tags),
        "\x1f".join(article.takeaways),
        "\x1f".join(article.retelling),
        "\x1f".join(article.themes),
        graph or "",
    ]
    # Sections added later are hashed only when present, so that an article without them keeps
    # the hash it was stored under before they existed.
    if _has_later_sections(article):
        parts += _later_parts(article)
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


def _has_later_sections(article: Article) -> bool:
    return bool(
        article.reactions
        or article.dialogue
        or article.related
        or article.entities
        or article.analysis
        or article.original
        or article.source
        or article.extra
    )


def _later_parts(article: Article) -> list[str]:
    parts: list[str] = []
    analysis = article.analysis or Analysis()
    later = {
        "reactions": article.reactions,
        "dialogue": article.dialogue,
        "related": [f"{e.name}\x1d{e.description}" for e in article.related],
        "entities": [f"{e.name}\x1d{e.description}" for e in article.entities],
        "summary": [analysis.summary],
        "why": [analysis.why_it_matters],
        "context": analysis.context,
        "next": [analysis.what_next],
        "faq": [f"{qa.question}\x1d{qa.answer}" for qa in analysis.faq],
        "original": article.original,
        "source": [article.source or ""],
        "extra": [f"{header}\x1d{text}" for header, text in article.extra],
    }
    for name, values in later.items():
        joined = "\x1f".join(values)
        if joined:
            parts.append(f"{name}={joined}")
    return parts


def identity_key(article: Article) -> str:
    """Return which article this is, whatever its sections say this time (hex SHA-256).

    The source renders an article again as its graph grows; every rendering has the same source
    URL and title, or, without a source URL, the same title and retelling.
    """
    title = " ".join(article.title.split()).casefold()
    # article.source_url, split once.
    parts = _http_parts(article.source) if article.source is not None else None
    if parts is None and article.url is not None:
        parts = urlsplit(article.url.strip())
    if parts is not None:
        basis = ["url", _normal_url(parts), title]
    else:
        basis = ["text", title, *(" ".join(p.split()) for p in article.retelling)]
    return hashlib.sha256("\x1e".join(basis).encode("utf-8")).hexdigest()


def _normal_url(parts: SplitResult) -> str:
    """Return a URL with its scheme and host in lower case and without its fragment."""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))
