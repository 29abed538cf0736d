"""Benchmarks anyone can run: `digestbot bench ingest --count N` (see README)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.articles import (
    QA,
    Analysis,
    Article,
    Connection,
    Entity,
    EntityKind,
    Graph,
    format_article,
)

_WORDS = [
    "grid",
    "power",
    "talks",
    "energy",
    "winter",
    "strike",
    "city",
    "council",
    "minister",
    "report",
    "market",
    "border",
    "frontline",
    "agreement",
    "vote",
    "budget",
    "storm",
    "heat",
    "shelter",
    "repair",
    "station",
    "rail",
    "port",
    "grain",
    "drone",
    "defence",
    "summit",
    "sanction",
    "court",
    "election",
    "reform",
    "water",
    "school",
    "hospital",
    "bridge",
]
_TAGS = [f"Topic {n}" for n in range(400)] + [f"Тема {n}" for n in range(100)] + ["Kyiv", "Київ"]
_THEMES = [f"Theme {n}" for n in range(30)]


def synthetic_article(number: int, rng: random.Random) -> Article:
    """Return a made-up article of realistic size (about 3 KB) and shape."""

    def sentence(words: int) -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."

    return Article(
        title=f"Report {number}: {sentence(8)}",
        tags=tuple(dict.fromkeys(rng.choice(_TAGS) for _ in range(7))),
        takeaways=tuple(sentence(18) for _ in range(4)),
        retelling=tuple(" ".join(sentence(14) for _ in range(6)) for _ in range(4)),
        themes=tuple(dict.fromkeys(rng.choice(_THEMES) for _ in range(4))),
        entity_graph="No entity connections available yet for this article.",
    )


_PEOPLE = [f"Person {n}" for n in range(300)]
_KINDS = list(EntityKind)


def rich_article(number: int, rng: random.Random) -> Article:
    """Return a made-up article with every section the source writes, of about the size of a
    synthetic_article (a shorter retelling leaves room for the entities and the analysis)."""

    def sentence(words: int) -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "."

    people = list(dict.fromkeys(rng.choice(_PEOPLE) for _ in range(14)))
    return Article(
        title=f"Report {number}: {sentence(8)}",
        tags=tuple(dict.fromkeys(rng.choice(_TAGS) for _ in range(7))),
        takeaways=tuple(sentence(18) for _ in range(3)),
        retelling=tuple(" ".join(sentence(14) for _ in range(4)) for _ in range(3)),
        themes=tuple(dict.fromkeys(rng.choice(_THEMES) for _ in range(4))),
        related=tuple(Entity(name, sentence(8)) for name in people[:3]),
        graph=Graph(
            people[0],
            tuple(
                Connection(name, rng.choice(_KINDS), rng.randint(1, 40)) for name in people[1:11]
            ),
        ),
        entities=tuple(Entity(name, sentence(6)) for name in people[11:13]),
        analysis=Analysis(
            why_it_matters=sentence(16),
            context=(sentence(12), sentence(12)),
            what_next=sentence(14),
            faq=(QA(sentence(8).rstrip(".") + "?", sentence(12)),),
        ),
        source=f"https://news.example.com/{number}/{rng.choice(_WORDS)}",
    )


def write_articles(directory: Path, count: int, seed: int = 7, *, rich: bool = False) -> int:
    """Write `count` synthetic article files, 1,000 to a subdirectory (with every section
    when `rich`); return their total size in bytes."""
    rng = random.Random(seed)
    make = rich_article if rich else synthetic_article
    size = 0
    for number in range(count):
        folder = directory / f"{number // 1000:04d}"
        if number % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        data = format_article(make(number, rng)).encode()
        (folder / f"article-{number:07d}.txt").write_bytes(data)
        size += len(data)
    return size


def _raw_load(directory: Path, database: Path) -> float:
    """The plainest possible load: read the files and executemany their text into one table."""
    started = time.perf_counter()
    connection = sqlite3.connect(database)
    connection.execute("CREATE TABLE raw (path TEXT, body TEXT)")
    batch: list[tuple[str, str]] = []
    for path in sorted(directory.rglob("*.txt")):
        batch.append((str(path), path.read_text(encoding="utf-8")))
        if len(batch) >= 1000:
            connection.executemany("INSERT INTO raw VALUES (?, ?)", batch)
            batch.clear()
    connection.executemany("INSERT INTO raw VALUES (?, ?)", batch)
    connection.commit()
    connection.close()
    return time.perf_counter() - started


def _our_load(directory: Path, database: Path) -> float:
    from ingest.pipeline import ingest  # noqa: PLC0415
    from storage.database import Database  # noqa: PLC0415

    async def run() -> float:
        db = Database(f"sqlite+aiosqlite:///{database}")
        await db.upgrade()
        started = time.perf_counter()
        report = await ingest(db, [str(directory)], lambda: datetime.now(UTC))
        elapsed = time.perf_counter() - started
        await db.dispose()
        if report.refused:
            raise SystemExit(f"benchmark articles were refused: {report.refused[:3]}")
        return elapsed

    return asyncio.run(run())


def _child(mode: str, directory: Path, database: Path) -> None:
    seconds = _raw_load(directory, database) if mode == "raw" else _our_load(directory, database)
    print(json.dumps({"seconds": seconds}))


def _measure(mode: str, directory: Path, database: Path) -> tuple[float, float]:
    """Run one load in a fresh process; return (seconds, peak resident MiB)."""
    with subprocess.Popen(
        [sys.executable, "-m", "bench.ingest", mode, str(directory), str(database)],
        stdout=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"the {mode} load failed with status {process.returncode}")
    return json.loads(output)["seconds"], usage.ru_maxrss / 1024


def ingest_benchmark(
    count: int, *, keep: bool = False, rich: bool = False, repeat: int = 3
) -> int:
    """Print the ingest rate, the plain-load rate, their ratio and peak memory; with `rich`,
    also the rate on files with every section, against the simple files' rate.

    Each load runs `repeat` times into a fresh database, the loads taking turns so that a
    slow spell of a shared machine falls on all of them alike; the median counts."""
    from ingest.pipeline import parser_count  # noqa: PLC0415 - the plain load's process stays bare

    work = Path(tempfile.mkdtemp(prefix="digestbot-bench-"))
    try:
        corpora = {"simple": work / "articles"}
        started = time.perf_counter()
        size = write_articles(corpora["simple"], count)
        print(
            f"generated {count} articles ({size / count:,.0f} bytes each) in "
            f"{time.perf_counter() - started:.1f} s ({work})"
        )
        if rich:
            corpora["rich"] = work / "rich"
            rich_size = write_articles(corpora["rich"], count, rich=True)
            print(f"generated {count} rich articles ({rich_size / count:,.0f} bytes each)")
        runs: dict[str, list[tuple[float, float]]] = {"raw": [], "simple": [], "rich": []}
        for turn in range(repeat):
            runs["raw"].append(_measure("raw", corpora["simple"], work / f"raw-{turn}.db"))
            for name, directory in corpora.items():
                runs[name].append(_measure("ours", directory, work / f"{name}-{turn}.db"))
        rates = {
            name: count / statistics.median(s for s, _ in done)
            for name, done in runs.items()
            if done
        }
        peaks = {name: max(mib for _, mib in done) for name, done in runs.items() if done}
        print(
            f"cores: {os.cpu_count()}  articles: {count}  "
            f"parser processes beside the writer: {parser_count()}  "
            f"runs: {repeat} each, median  load average: {os.getloadavg()[0]:.2f}"
        )
        names = {
            "raw": "plain load (read + executemany)",
            "simple": "digestbot ingest (SQLite)",
            "rich": "digestbot ingest, rich files",
        }
        for name, rate in rates.items():
            print(f"{names[name]:<34}{rate:10,.0f} articles/s  peak {peaks[name]:.0f} MiB")
        print(f"ratio: {rates['simple'] / rates['raw']:.2f}")
        if rich:
            each = "  ".join(
                f"{s / r:.2f}" for (s, _), (r, _) in zip(runs["simple"], runs["rich"], strict=True)
            )
            print(f"rich / simple: {rates['rich'] / rates['simple']:.2f}  (turn by turn: {each})")
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    _child(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
