"""The lines of one section, read as its values. The text parser and the JSON Lines reader both
build sections here, so that one input means the same article in either form."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from bot.domain.articles.lines import (
    ROW_KINDS,
    Part,
    bullet_text,
    is_label,
    split_count,
)
from bot.domain.articles.model import QA, Analysis, Connection, Entity, EntityKind, Graph
from bot.domain.labels import clean_label, fold_label

# Tags and themes repeat from article to article; folding them is the costliest step of a parse.
_fold = lru_cache(maxsize=16384)(fold_label)
_NO_CONNECTIONS = "no entity connections"
_CONNECTIONS_FOR = "connections for "
_VARIATION_SELECTOR = "\ufe0f"


def unique_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Keep the first spelling of each label; drop labels with nothing to compare by."""
    seen: set[str] = set()
    kept: list[str] = []
    for label in labels:
        key = _fold(label)
        if key and key not in seen:
            seen.add(key)
            kept.append(label)
    return tuple(kept)


def split_tags(line: str) -> list[str]:
    """Split a hashtag line: a tag runs from its '#' up to the next whitespace-and-'#'."""
    # Once the line's whitespace is single spaces, a part has no leading or doubled spaces and
    # no " #", so what clean_label would do comes down to dropping its '#'s and the space after.
    return [part.lstrip("#").lstrip(" ") for part in " ".join(line.split()).split(" #")]


def split_themes(lines: Iterable[str]) -> tuple[str, ...]:
    """Return the themes of comma-separated theme lines, each once."""
    return unique_labels(clean_label(part) for line in lines for part in line.split(","))


def entities_of(lines: Sequence[str]) -> tuple[Entity, ...]:
    """Read name and description lines; a link label ends an entity that has no description."""
    entities: list[Entity] = []
    name: str | None = None
    for line in lines:
        if is_label(line):
            if name is not None:
                entities.append(Entity(name))
                name = None
        elif name is None:
            name = line
        else:
            entities.append(Entity(name, line))
            name = None
    if name is not None:
        entities.append(Entity(name))
    return tuple(entities)


def without_labels(lines: Iterable[str]) -> tuple[str, ...]:
    """Return the lines that are not link labels."""
    return tuple(line for line in lines if not is_label(line))


# Like split_count's: the rows of a graph repeat from file to file, and building a frozen
# dataclass costs more than finding it again. Connections are frozen, so articles may share them.
_connection = lru_cache(maxsize=16384, typed=True)(Connection)


@lru_cache(maxsize=16384)
def row_of(stripped: str) -> tuple[Connection | None, str] | None:
    """Read a graph row: its connection when the count is on the same line, else (None, name).
    None when the line is not a row (no icon, or no name)."""
    kind = ROW_KINDS.get(stripped[0])
    if kind is None:
        return None
    rest = stripped[1:]
    if rest.startswith(_VARIATION_SELECTOR):
        rest = rest[1:]
    rest = rest.strip()
    counted = split_count(rest)
    if counted is not None:
        name, shared = counted
        return (Connection(name, kind, shared), name) if name else None
    return (None, rest) if rest else None


def graph_of(raw_lines: Sequence[str]) -> tuple[Graph | None, str | None]:
    """Read the graph section: (structured graph, None), or (None, its text) when it is not in
    the structure the source writes, which keeps it whole rather than half-read."""
    lines = [line.rstrip() for line in raw_lines]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    content = [s for line in lines if (s := line.lstrip()) and not is_label(s)]
    if not content:
        return None, None
    graph = _structured_graph(content)
    if graph is not None:
        return graph, None
    return None, "\n".join(lines)


def _structured_graph(content: list[str]) -> Graph | None:
    first = content[0].casefold()
    if first.startswith(_NO_CONNECTIONS):
        return Graph(None) if len(content) == 1 else None
    if not first.startswith(_CONNECTIONS_FOR):
        return None
    main = content[0][len(_CONNECTIONS_FOR) :].strip()
    if main.endswith(":"):
        main = main[:-1].rstrip()
    if not main:
        return None
    rows: list[Connection] = []
    pending: tuple[str, EntityKind] | None = None  # a row whose count is on the next line
    for line in content[1:]:
        if pending is not None:
            counted = split_count(line)
            if counted is None or counted[0]:
                return None
            rows.append(_connection(*pending, counted[1]))
            pending = None
            continue
        read = row_of(line)
        if read is None:
            return None
        connection, name = read
        if connection is not None:
            rows.append(connection)
        else:
            pending = (name, ROW_KINDS[line[0]])
    if pending is not None:
        return None
    return Graph(main, tuple(rows))


def analysis_of(parts: dict[Part | None, list[str]]) -> Analysis | None:
    """Read the analysis from its parts' lines (None holds the lines before the first part)."""
    context: list[str] = []
    for line in parts.get(Part.CONTEXT, ()):
        text = bullet_text(line)
        if text is None:
            context.append(line)
        elif text:
            context.append(text)
    faq_lines = parts.get(Part.FAQ, [])
    faq = tuple(
        QA(faq_lines[k], faq_lines[k + 1] if k + 1 < len(faq_lines) else "")
        for k in range(0, len(faq_lines), 2)
    )
    analysis = Analysis(
        why_it_matters="\n".join(parts.get(Part.WHY, ())),
        context=tuple(context),
        what_next="\n".join(parts.get(Part.NEXT, ())),
        faq=faq,
        summary="\n".join(parts.get(None, ())),
    )
    return None if analysis.is_empty() else analysis
