"""Articles as JSON Lines records: the same fields as the file, with clear keys.

Keys: title, tags (or hashtags), takeaways, retelling, reactions, dialogue, themes, related,
graph (or entity_graph as text), entities, analysis, original, source, extra, url, published_at.
A value the text form would read otherwise (a paragraph that is a header) is refused, so that a
record and the file format_article writes from it are the same article.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.articles.json_values import JsonValues, type_name
from bot.domain.articles.lines import (
    UNKNOWN,
    bullet_text,
    describe,
    header_of,
    known_header,
    quote,
    split_count,
)
from bot.domain.articles.model import (
    QA,
    ROW_ICONS,
    Analysis,
    Article,
    ArticleError,
    Connection,
    Entity,
    EntityKind,
    Graph,
    is_http_url,
)
from bot.domain.articles.sections import graph_of, split_tags, split_themes, unique_labels
from bot.domain.labels import clean_label

_KINDS = {kind.value: kind for kind in EntityKind} | {"organization": EntityKind.ORGANISATION}


class _Reader(JsonValues):
    """Read each field of one record."""

    def title(self) -> str:
        if "title" not in self.obj:
            raise self.fail("title", "missing")
        # A byte order mark carries nothing, and at the start of a file it is dropped: a title
        # starting with one would not read back from the text form.
        title = self.one_line("title", self.obj["title"]).lstrip("\ufeff").lstrip()
        if not title:
            raise self.fail("title", "must not be empty")
        if title.startswith("#"):
            raise self.fail("title", 'must not start with "#" (it would read as a hashtag line)')
        if header_of(title) not in (None, UNKNOWN):
            raise self.fail("title", f"reads as {describe(title)}")
        return title

    def tags(self) -> tuple[str, ...]:
        if "tags" in self.obj and "hashtags" in self.obj:
            raise self.fail("tags", 'give "tags" or "hashtags", not both')
        name = "tags" if "tags" in self.obj else "hashtags"
        value = self.obj.get(name)
        if value is None:
            return ()
        if isinstance(value, str):
            line = self.text(name, value).strip()
            return unique_labels(split_tags(line if line.startswith("#") else "#" + line))
        labels: list[str] = []
        for item_name, item in self.strings(name, value):
            label = clean_label(item)
            if " #" in label:
                raise self.fail(item_name, f'a tag cannot contain " #": {quote(label)}')
            labels.append(label)
        return unique_labels(labels)

    def takeaways(self) -> tuple[str, ...]:
        value = self.obj.get("takeaways")
        if value is None:
            raise self.fail("takeaways", "missing")
        items = self.strings("takeaways", value)
        if not items:
            raise self.fail("takeaways", "must have at least one item")
        return tuple(self.one_line(item_name, item) for item_name, item in items)

    def retelling(self) -> tuple[str, ...]:
        value = self.obj.get("retelling")
        if value is None:
            raise self.fail("retelling", "missing")
        if isinstance(value, str):
            chunks = [("retelling", self.text("retelling", value))]
        elif isinstance(value, list):
            chunks = self.strings("retelling", value)
        else:
            raise self.wrong_type("retelling", "a string or an array of strings", value)
        paragraphs: list[str] = []
        for chunk_name, chunk in chunks:
            for line in chunk.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                paragraph = line.strip()
                if paragraph:
                    if header_of(paragraph) is not None:
                        raise self.fail(chunk_name, f"a paragraph reads as {describe(paragraph)}")
                    paragraphs.append(paragraph)
        if not paragraphs:
            raise self.fail("retelling", "must have at least one paragraph")
        return tuple(paragraphs)

    def themes(self) -> tuple[str, ...]:
        value = self.obj.get("themes")
        if value is None:
            return ()
        if isinstance(value, str):
            themes = split_themes(self.text("themes", value).split("\n"))
        else:
            labels = []
            for item_name, item in self.strings("themes", value):
                label = clean_label(item)
                if "," in label:
                    raise self.fail(item_name, f'a theme cannot contain ",": {quote(label)}')
                labels.append(label)
            themes = unique_labels(labels)
        line = ", ".join(themes)
        if header_of(line) is not None:
            raise self.fail("themes", f"reads as {describe(line)}")
        return themes

    def entities(self, name: str) -> tuple[Entity, ...]:
        value = self.obj.get(name)
        if value is None:
            return ()
        entities: list[Entity] = []
        for item_name, item in self.objects(name, value):
            entity = self.one_line(f"{item_name}.name", item.get("name"))
            entity = self.content(f"{item_name}.name", entity, labels=True)
            about = self.optional_line(
                f"{item_name}.description", item.get("description"), labels=True
            )
            entities.append(Entity(entity, about))
        return tuple(entities)

    def graph(self) -> tuple[Graph | None, str | None]:
        if "graph" in self.obj and "entity_graph" in self.obj:
            raise self.fail("graph", 'give "graph" or "entity_graph", not both')
        if "entity_graph" in self.obj:
            return self.graph_text()
        value = self.obj.get("graph")
        if value is None:
            return None, None
        graph = self.mapping("graph", value)
        main = graph.get("main")
        rows = graph.get("connections")
        if main is None:
            if rows:
                raise self.fail("graph.connections", "a graph without a main entity has none")
            return Graph(None), None
        main_name = self.one_line("graph.main", main)
        connections = self.objects("graph.connections", rows)
        return Graph(main_name, tuple(self.connection(n, row) for n, row in connections)), None

    def connection(self, name: str, row: dict[str, object]) -> Connection:
        entity = self.one_line(f"{name}.name", row.get("name"))
        if split_count(entity) is not None:
            raise self.fail(f"{name}.name", f"reads as a count of shared articles {quote(entity)}")
        kind_value = row.get("kind")
        kind = _KINDS.get(kind_value) if isinstance(kind_value, str) else None
        if kind is None:
            found = quote(kind_value) if isinstance(kind_value, str) else type_name(kind_value)
            raise self.fail(
                f"{name}.kind", f'expected "person", "organisation" or "other", found {found}'
            )
        line = f"{ROW_ICONS[kind]} {entity}"
        if known_header(line) is not None:
            raise self.fail(f"{name}.name", f"the row reads as {describe(line)}")
        shared = row.get("shared")
        if not isinstance(shared, int) or isinstance(shared, bool) or not 0 <= shared < 10**9:
            raise self.fail(f"{name}.shared", "expected a whole number of articles")
        return Connection(entity, kind, shared)

    def graph_text(self) -> tuple[Graph | None, str | None]:
        value = self.obj.get("entity_graph")
        if value is None:
            return None, None
        text = self.text("entity_graph", value).replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        for line in lines:
            if line.strip():
                self.content("entity_graph", line.strip(), in_graph=True)
        return graph_of(lines)

    def analysis(self) -> Analysis | None:
        value = self.obj.get("analysis")
        if value is None:
            return None
        parts = self.mapping("analysis", value)
        context_value = parts.get("context")
        if isinstance(context_value, str):
            lines = self.lines("analysis.context", context_value)
            context = tuple(text for line in lines if (text := _bullet(line)))
        elif context_value is None:
            context = ()
        else:
            context = tuple(
                self.content(item, self.one_line(item, text))
                for item, text in self.strings("analysis.context", context_value)
            )
        analysis = Analysis(
            why_it_matters="\n".join(
                self.lines("analysis.why_it_matters", parts.get("why_it_matters"))
            ),
            context=context,
            what_next="\n".join(self.lines("analysis.what_next", parts.get("what_next"))),
            faq=tuple(
                self.qa(name, qa) for name, qa in self.objects("analysis.faq", parts.get("faq"))
            ),
            summary="\n".join(self.lines("analysis.summary", parts.get("summary"))),
        )
        return None if analysis.is_empty() else analysis

    def qa(self, name: str, item: dict[str, object]) -> QA:
        question = self.one_line(f"{name}.question", item.get("question"))
        answer = self.one_line(f"{name}.answer", item.get("answer"))
        return QA(
            self.content(f"{name}.question", question), self.content(f"{name}.answer", answer)
        )

    def source_field(self) -> str | None:
        return self.optional_line("source", self.obj.get("source"), labels=True) or None

    def extra(self, *, strict: bool) -> tuple[tuple[str, str], ...]:
        value = self.obj.get("extra")
        if value is None:
            return ()
        sections: list[tuple[str, str]] = []
        for name, item in self.objects("extra", value):
            if strict:
                raise self.fail(name, "an unknown section (refused when strict)")
            header = self.one_line(f"{name}.header", item.get("header"))
            if header_of(header) is not UNKNOWN:
                raise self.fail(
                    f"{name}.header",
                    f"expected the header of a section not known here (an emoji and a short "
                    f"name), found {describe(header)}",
                )
            sections.append((header, "\n".join(self.lines(f"{name}.text", item.get("text")))))
        return tuple(sections)

    def url(self) -> str | None:
        value = self.obj.get("url")
        if value is None:
            return None
        url = self.text("url", value).strip()
        if not url:
            return None
        if not is_http_url(url):
            raise self.fail("url", f"expected an http(s) URL, found {quote(url)}")
        return url

    def published_at(self) -> datetime | None:
        value = self.obj.get("published_at")
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.wrong_type("published_at", "an ISO-8601 date-time string", value)
        text = value.strip()
        if not text:
            return None
        message = f"expected an ISO-8601 date-time, found {quote(text)}"
        try:
            moment = datetime.fromisoformat(text)
            if moment.utcoffset() is None:
                return moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise self.fail("published_at", message) from None


def _bullet(line: str) -> str:
    text = bullet_text(line)
    return line if text is None else text


def parse_article_json(
    obj: object, *, source: str, line: int | None = None, strict: bool = False
) -> Article:
    """Build an article from one decoded JSON Lines object; ArticleError names the bad field."""
    if not isinstance(obj, dict):
        raise ArticleError(source, line, f"expected a JSON object, found {type_name(obj)}")
    for key in obj:
        if not isinstance(key, str):
            raise ArticleError(source, line, f"expected string keys, found {key!r}")
    reader = _Reader(obj, source, line)
    title = reader.title()
    tags = reader.tags()
    takeaways = reader.takeaways()
    retelling = reader.retelling()
    graph, entity_graph = reader.graph()
    return Article(
        title=title,
        tags=tags,
        takeaways=takeaways,
        retelling=retelling,
        reactions=reader.lines("reactions", obj.get("reactions")),
        dialogue=reader.lines("dialogue", obj.get("dialogue")),
        themes=reader.themes(),
        related=reader.entities("related"),
        graph=graph,
        entity_graph=entity_graph,
        entities=reader.entities("entities"),
        analysis=reader.analysis(),
        original=reader.lines("original", obj.get("original"), labels=True),
        source=reader.source_field(),
        extra=reader.extra(strict=strict),
        url=reader.url(),
        published_at=reader.published_at(),
    )
