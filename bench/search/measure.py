"""Timing /topic's queries beside the same questions answered by a plain LIKE scan."""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import text

from bench.search.corpus import POPULAR_LABEL, Corpus, common_word, free_text_queries, single_words
from bot.domain.labels import fold_label
from bot.domain.search import query_words
from storage.database import Database


@dataclass(frozen=True, slots=True)
class Timing:
    """Latencies of one kind of query, in milliseconds."""

    median: float
    p95: float


def _timing(samples: Sequence[float]) -> Timing:
    ordered = sorted(samples)
    index = max(math.ceil(0.95 * len(ordered)) - 1, 0)
    return Timing(median=statistics.median(ordered) * 1000, p95=ordered[index] * 1000)


async def _measure(
    run: Callable[[str], Awaitable[object]], queries: Sequence[str], repeat: int, warm: int
) -> Timing:
    for query in queries[:warm]:  # warm the caches, as a running bot's are
        await run(query)
    samples = []
    for number in range(repeat):
        started = time.perf_counter()
        await run(queries[number % len(queries)])
        samples.append(time.perf_counter() - started)
    return _timing(samples)


def _scan_sql(dialect: str, kind: str, words: int) -> str:
    like = "ILIKE" if dialect == "postgresql" else "LIKE"
    if kind == "label":
        not_indexed = "" if dialect == "postgresql" else " NOT INDEXED"
        return (
            f"SELECT al.article_id FROM article_labels AS al{not_indexed} "
            "JOIN labels AS l ON l.id = al.label_id WHERE l.key LIKE :key ESCAPE '\\' "
            "ORDER BY al.sort_key DESC, al.article_id DESC LIMIT :limit"
        )
    takeaways = "takeaways::text" if dialect == "postgresql" else "takeaways"
    conditions = " AND ".join(
        f"(title {like} :w{n} OR {takeaways} {like} :w{n} OR retelling {like} :w{n})"
        for n in range(words)
    )
    return (
        f"SELECT id FROM articles WHERE {conditions} ORDER BY sort_at DESC, id DESC LIMIT :limit"
    )


@dataclass(frozen=True, slots=True)
class Case:
    """One row of the report: a kind of /topic query, its queries and its scan."""

    name: str
    queries: list[str]
    scan_kind: str  # "label" or "text"


async def _run_cases(
    db: Database, cases: list[Case], limit: int, repeat: int, scan_repeat: int
) -> list[tuple[Case, Timing, Timing, int]]:
    async def indexed(query: str) -> object:
        async with db.transaction() as repos:
            return await repos.articles.find(query, limit=limit)

    results = []
    for case in cases:
        sample = await indexed(case.queries[0])
        assert isinstance(sample, list)

        async def scan(query: str, case: Case = case) -> object:
            async with db.transaction() as repos:
                if db.dialect == "postgresql":
                    # The plain scan: no index may answer it.
                    for setting in (
                        "enable_indexscan",
                        "enable_bitmapscan",
                        "enable_indexonlyscan",
                    ):
                        await repos.session.execute(text(f"SET LOCAL {setting} = off"))
                if case.scan_kind == "label":
                    key = fold_label(query)
                    for special in ("\\", "%", "_"):
                        key = key.replace(special, "\\" + special)
                    params: dict[str, object] = {"key": key}
                    sql = _scan_sql(db.dialect, "label", 0)
                else:
                    words = query_words(query)
                    params = {f"w{n}": f"%{word}%" for n, word in enumerate(words)}
                    sql = _scan_sql(db.dialect, "text", len(words))
                params["limit"] = limit
                ids = (await repos.session.execute(text(sql), params)).scalars().all()
                return await repos.articles.get_many(ids)

        fast = await _measure(indexed, case.queries, repeat, warm=5)
        slow = await _measure(scan, case.queries, scan_repeat, warm=1)
        results.append((case, fast, slow, len(sample)))
    return results


async def _label_count(db: Database, name: str) -> int:
    async with db.transaction() as repos:
        labels = await repos.labels.find(name)
        return await repos.articles.count_for_labels([label.id for label in labels])


async def report(
    url: str, corpus: Corpus, *, count: int, limit: int, repeat: int, scan_repeat: int
) -> None:
    """Time every kind of /topic query and its scan, and print the table."""
    # The machine may be shared: the load beside the figures says how much to trust the tails.
    load_before = os.getloadavg()[0]
    db = Database(url)
    try:
        cases = [
            Case(f"popular label #{POPULAR_LABEL}", [f"#{POPULAR_LABEL}"], "label"),
            Case(f"rare labels ({len(corpus.rare_labels)})", corpus.rare_labels, "label"),
            Case("free text, 2 words", free_text_queries(corpus, count), "text"),
            Case("free text, 1 word (any rank)", single_words(corpus), "text"),
            Case("free text, 1 very common word", [common_word(corpus)], "text"),
        ]
        popular = await _label_count(db, POPULAR_LABEL)
        rare = await _label_count(db, corpus.rare_labels[0])
        started = time.perf_counter()
        async with db.transaction() as repos:
            await repos.articles.count_for_labels(
                [label.id for label in await repos.labels.find(POPULAR_LABEL)]
            )
        count_ms = (time.perf_counter() - started) * 1000
        results = await _run_cases(db, cases, limit, repeat, scan_repeat)
    finally:
        await db.dispose()
    print(
        f"articles with #{POPULAR_LABEL}: {popular:,}; with each rare label: about {rare}; "
        f"free-text queries: {', '.join(cases[2].queries[:3])}, ...; "
        f"single words: {', '.join(cases[3].queries[:3])}, ...; "
        f"common word: {cases[4].queries[0]}"
    )
    print(
        f"{'query (limit ' + str(limit) + ')':<32}{'indexed median':>15}{'p95':>9}"
        f"{'scan median':>13}{'p95':>10}{'speed-up':>10}  goal"
    )
    for case, fast, slow, found in results:
        speedup = slow.median / fast.median
        met = fast.p95 < 20 and speedup >= 50
        print(
            f"{case.name:<32}{fast.median:>12.2f} ms{fast.p95:>6.2f} ms"
            f"{slow.median:>10.0f} ms{slow.p95:>7.0f} ms{speedup:>9,.0f}x  "
            f"{'met' if met else 'MISSED'}{'' if found else ' (found nothing)'}"
        )
    print(
        f"goal: p95 under 20 ms and a median at least 50x under the scan's; "
        f"{repeat} indexed and {scan_repeat} scan runs per row. "
        f"count_for_labels(#{POPULAR_LABEL}), which /topic also runs: {count_ms:.0f} ms"
    )
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
