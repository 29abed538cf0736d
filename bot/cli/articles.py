"""`digestbot ingest` and `digestbot search`: putting articles in, finding them again."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from bot.cli.common import EXIT_OK, EXIT_REFUSED, count, positive, utc_now
from bot.runtime.config import Settings

if TYPE_CHECKING:
    from bot.domain.records import StoredArticle


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `ingest` and `search`."""
    ingest = commands.add_parser(
        "ingest",
        help="store article files",
        description="Store article files: files, directories (recursively, *.txt and *.jsonl) "
        "or - for standard input. Exit status 0 when all were accepted, 1 when any was refused.",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument(
        "--parsers",
        type=count,
        metavar="N",
        help="processes that read and parse the files of a large batch beside the one that "
        "writes (default: one per core beyond the first, at most 4); 0 parses in the writing "
        "process",
    )
    ingest.add_argument(
        "--strict",
        action="store_true",
        help="refuse files with sections the parser does not know (kept as they are otherwise)",
    )
    ingest.set_defaults(handler=_ingest)

    search = commands.add_parser(
        "search",
        help="newest articles with a hashtag or theme, or free-text search",
        description="Print the newest articles carrying a hashtag or theme. The label is "
        "folded: 'peace-talks', '#Peace_talks' and 'PEACE TALKS' are the same. Text that names "
        "no label is searched for in titles, takeaways and retellings by the stems of its "
        "words (English, Ukrainian, Russian): articles holding more of them first, newest "
        "first among equals, at most 100; case, quotes, operators and punctuation are "
        "ignored. /topic shows the same results.",
    )
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--limit", type=positive, default=10, metavar="N")
    search.add_argument("--json", action="store_true", help="print a JSON list")
    search.set_defaults(handler=_search)


async def _ingest(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm  # noqa: PLC0415 - keep `--help` fast

    from bot.domain.articles import ArticleError  # noqa: PLC0415
    from ingest.pipeline import ingest  # noqa: PLC0415
    from storage.database import Database  # noqa: PLC0415

    def refused(error: ArticleError) -> None:
        tqdm.write(f"refused {error}", file=sys.stderr)

    db = Database(settings.database_url)
    try:
        await db.upgrade()
        report = await ingest(
            db,
            args.paths,
            utc_now,
            on_refused=refused,
            progress=sys.stderr.isatty(),
            parsers=args.parsers,
            strict=args.strict,
        )
    finally:
        await db.dispose()
    print(report.summary())
    return EXIT_REFUSED if report.refused else EXIT_OK


async def _search(settings: Settings, args: argparse.Namespace) -> int:
    from storage.database import Database  # noqa: PLC0415 - keep `--help` fast

    db = Database(settings.database_url)
    try:
        await db.upgrade()
        async with db.read() as repos:
            found = await repos.articles.find(args.query, limit=args.limit)
    finally:
        await db.dispose()
    if args.json:
        print(json.dumps([_as_json(stored) for stored in found], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not found:
        print(f"No articles for {args.query!r}.")
    for stored in found:
        tags = " ".join(f"#{tag}" for tag in stored.article.tags)
        print(f"{stored.id:>7}  {stored.published_at:%Y-%m-%d %H:%M}  {stored.article.title}")
        if tags:
            print(f"         {tags}")
    return EXIT_OK


def _as_json(stored: StoredArticle) -> dict[str, Any]:
    """One found article as `search --json` prints it: every section it has, as data."""
    article = stored.article
    graph = article.graph
    main, rows = (graph.main, graph.connections) if graph is not None else (None, ())
    analysis = article.analysis
    return {
        "id": stored.id,
        "title": article.title,
        "tags": list(article.tags),
        "themes": list(article.themes),
        "takeaways": list(article.takeaways),
        "url": article.url,
        "published_at": stored.published_at.isoformat(),
        "source": article.source,
        "entities": [
            {"name": entity.name, "description": entity.description, "role": role}
            for role, entities in (("related", article.related), ("mentioned", article.entities))
            for entity in entities
        ],
        "connections": [
            {"main": main, "name": row.name, "kind": row.kind.value, "shared": row.shared}
            for row in rows
        ],
        "analysis": None
        if analysis is None or analysis.is_empty()
        else {
            "why_it_matters": analysis.why_it_matters,
            "context": list(analysis.context),
            "what_next": analysis.what_next,
            "faq": [{"question": qa.question, "answer": qa.answer} for qa in analysis.faq],
            "summary": analysis.summary,
        },
    }
