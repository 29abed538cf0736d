"""The lines of one section, read as its values. The text parser and the JSON Lines reader both
build sections here, so that one input means the same article in either form."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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


# What a line of the graph section is (see _graph_line).
_LABEL_LINE = object()
_OTHER_LINE = object()


def graph_line(stripped: str) -> object:
    """Read a stripped graph line once, for read_graph: _LABEL_LINE for a link label; a row's
    Connection (its count on the same line), or its (name, kind) when the count is on the
    next; a count line's number ("14 shared"); else _OTHER_LINE."""
    if is_label(stripped):
        return _LABEL_LINE
    read = row_of(stripped)
    if read is not None:
        connection, name = read
        return connection if connection is not None else (name, ROW_KINDS[stripped[0]])
    counted = split_count(stripped)
    if counted is not None and not counted[0]:
        return counted[1]
    return _OTHER_LINE


_graph_line = lru_cache(maxsize=32768)(graph_line)


def graph_of(raw_lines: Sequence[str]) -> tuple[Graph | None, str | None]:
    """Read the graph section: (structured graph, None), or (None, its text) when it is not in
    the structure the source writes, which keeps it whole rather than half-read."""
    content = [s for line in raw_lines if (s := line.strip())]
    kinds = [_graph_line(s) for s in content]
    return read_graph(content, kinds, lambda: graph_text(raw_lines))


def read_graph(
    content: list[str], kinds: list[object], text: Callable[[], str]
) -> tuple[Graph | None, str | None]:
    """graph_of, from the section's non-blank lines, stripped, and what graph_line made of
    each; `text` returns the section as written."""
    first = 0
    while first < len(content) and kinds[first] is _LABEL_LINE:
        first += 1
    if first == len(content):
        return None, None
    graph = _structured_graph(content[first], kinds[first + 1 :])
    if graph is not None:
        return graph, None
    return None, text()


def graph_text(raw_lines: Sequence[str]) -> str:
    """Return a section's lines as written, without blank lines at its ends."""
    lines = [line.rstrip() for line in raw_lines]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def _structured_graph(heading: str, kinds: list[object]) -> Graph | None:
    """Read the graph from its first line and what _graph_line made of the others."""
    first = heading.casefold()
    if first.startswith(_NO_CONNECTIONS):
        return Graph(None) if all(kind is _LABEL_LINE for kind in kinds) else None
    if not first.startswith(_CONNECTIONS_FOR):
        return None
    main = heading[len(_CONNECTIONS_FOR) :].strip()
    if main.endswith(":"):
        main = main[:-1].rstrip()
    if not main:
        return None
    rows: list[Connection] = []
    pending: tuple[str, EntityKind] | None = None  # a row whose count is on the next line
    for kind in kinds:
        if kind is _LABEL_LINE:
            continue
        if pending is not None:
            if type(kind) is not int:
                return None
            rows.append(Connection(*pending, kind))
            pending = None
        elif type(kind) is Connection:
            rows.append(kind)
        elif type(kind) is tuple:
            pending = kind
        else:
            return None
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
