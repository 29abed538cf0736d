"""The sections of an article beyond its takeaways and retelling, as the store keeps them.

Entities and graph rows become rows of their own (article_entities, article_connections) so
that later queries can ask which articles name an entity; the analysis and the sections only
ever shown are JSON on the article's row. Pure functions: parser processes call them too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.domain.articles import QA, Analysis, Article, Connection, Entity, EntityKind, Graph

RELATED, MENTIONED = "related", "mentioned"


def _json_encoder() -> Callable[[Any], str]:
    """Return what json.dumps(value, ensure_ascii=False) is for lists and dicts, built once.

    JSONEncoder.encode builds the C encoder again on every call, which costs more than
    encoding an article's short lists; the encoder it builds is kept here instead (without the
    check for circular values, which rows never are). Pythons without it use encode."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(ensure_ascii=False).encode

    def unknown(value: object) -> object:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    encode = make(
        None, unknown, json.encoder.encode_basestring, None, ": ", ", ", False, False, True
    )

    def to_json(value: Any) -> str:
        return "".join(encode(value, 0))

    return to_json


to_json = _json_encoder()

# (role, position, name, description) and (position, main, name, kind, shared).
EntityValues = tuple[str, int, str, str]
ConnectionValues = tuple[int, str, str, str, int]


def entities_json(article: Article) -> str | None:
    """Return an article's related and mentioned entities as the JSON text rows carry them,
    [[[name, description], ...], [...]], or None without any (see entity_values)."""
    if not article.related and not article.entities:
        return None
    # Entities are named tuples: JSON arrays as they are.
    return to_json((article.related, article.entities))


def connections_json(article: Article) -> str | None:
    """Return an article's entity graph rows as the JSON text rows carry them,
    [main, [[name, kind, shared], ...]], or None without any (see connection_values)."""
    graph = article.graph
    if graph is None or graph.main is None or not graph.connections:
        return None
    # Rows are named tuples, and a kind is a str enum: JSON arrays and strings as they are.
    return to_json((graph.main, graph.connections))


def entity_values(value: str | None) -> list[EntityValues]:
    """Return entities_json's text as article_entities values."""
    if value is None:
        return []
    related, mentioned = json.loads(value)
    return [
        (role, position, name, description)
        for role, entities in ((RELATED, related), (MENTIONED, mentioned))
        for position, (name, description) in enumerate(entities)
    ]


def connection_values(value: str | None) -> list[ConnectionValues]:
    """Return connections_json's text as article_connections values."""
    if value is None:
        return []
    main, rows = json.loads(value)
    return [
        (position, main, name, kind, shared) for position, (name, kind, shared) in enumerate(rows)
    ]


def analysis_json(article: Article) -> str | None:
    """Return the analysis as the articles.analysis JSON text, or None without one."""
    analysis = article.analysis
    if analysis is None or analysis.is_empty():
        return None
    value = {
        "why": analysis.why_it_matters,
        "context": list(analysis.context),
        "next": analysis.what_next,
        "faq": [[qa.question, qa.answer] for qa in analysis.faq],
        "summary": analysis.summary,
    }
    return to_json(value)


def sections_json(article: Article) -> str | None:
    """Return the sections kept as they are as articles.sections JSON text, or None."""
    value: dict[str, Any] = {}
    for key, items in (
        ("reactions", article.reactions),
        ("dialogue", article.dialogue),
        ("original", article.original),
    ):
        if items:
            value[key] = list(items)
    if article.extra:
        value["extra"] = [list(pair) for pair in article.extra]
    if article.graph is not None:
        # The graph's main entity is kept here too: a graph may say there are no connections
        # yet, or name its main entity with no rows, and neither leaves connection rows.
        value["graph"] = {"main": article.graph.main}
    return to_json(value) if value else None


def read_analysis(value: Any) -> Analysis | None:
    """Return the Analysis an articles.analysis value holds (JSON text or decoded)."""
    data = _decoded(value)
    if not data:
        return None
    return Analysis(
        why_it_matters=data.get("why", ""),
        context=tuple(data.get("context", ())),
        what_next=data.get("next", ""),
        faq=tuple(QA(question, answer) for question, answer in data.get("faq", ())),
        summary=data.get("summary", ""),
    )


def read_sections(
    value: Any, entities: list[EntityValues], connections: list[ConnectionValues]
) -> dict[str, Any]:
    """Return the Article fields stored as sections JSON, entity rows and graph rows."""
    data = _decoded(value) or {}
    graph = None
    if "graph" in data:
        rows = tuple(
            Connection(name, EntityKind(kind), shared)
            for _, _, name, kind, shared in sorted(connections)
        )
        graph = Graph(data["graph"].get("main"), rows)
    ordered = sorted(entities, key=lambda row: (row[0] != RELATED, row[1]))
    return {
        "reactions": tuple(data.get("reactions", ())),
        "dialogue": tuple(data.get("dialogue", ())),
        "original": tuple(data.get("original", ())),
        "extra": tuple((header, text) for header, text in data.get("extra", ())),
        "graph": graph,
        "related": tuple(Entity(n, d) for role, _, n, d in ordered if role == RELATED),
        "entities": tuple(Entity(n, d) for role, _, n, d in ordered if role == MENTIONED),
    }


def _decoded(value: Any) -> Any:
    # JSON arrives as text from SQLite's driver at the driver level, decoded through the ORM.
    return json.loads(value) if isinstance(value, str) else value
