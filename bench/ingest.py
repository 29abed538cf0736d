"""Benchmarks anyone can run: `digestbot bench ingest --count N` (see README)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.articles import Article, format_article

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


def write_articles(directory: Path, count: int, seed: int = 7) -> None:
    """Write `count` synthetic article files, 1,000 to a subdirectory."""
    rng = random.Random(seed)
    for number in range(count):
        folder = directory / f"{number // 1000:04d}"
        if number % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"article-{number:07d}.txt").write_text(
            format_article(synthetic_article(number, rng)), encoding="utf-8"
        )


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


def ingest_benchmark(count: int, *, keep: bool = False) -> int:
    """Print the ingest rate, the plain-load rate, their ratio and peak memory."""
    from ingest.pipeline import parser_count  # noqa: PLC0415 - the plain load's process stays bare

    work = Path(tempfile.mkdtemp(prefix="digestbot-bench-"))
    try:
        articles = work / "articles"
        started = time.perf_counter()
        write_articles(articles, count)
        print(f"generated {count} articles in {time.perf_counter() - started:.1f} s ({work})")
        raw_seconds, raw_mib = _measure("raw", articles, work / "raw.db")
        our_seconds, our_mib = _measure("ours", articles, work / "ours.db")
        raw_rate, our_rate = count / raw_seconds, count / our_seconds
        print(
            f"cores: {os.cpu_count()}  articles: {count}  "
            f"parser processes beside the writer: {parser_count()}  "
            f"load average: {os.getloadavg()[0]:.2f}"
        )
        for name, rate, mib in (
            ("plain load (read + executemany)", raw_rate, raw_mib),
            ("digestbot ingest (SQLite)", our_rate, our_mib),
        ):
            print(f"{name:<34}{rate:10,.0f} articles/s  peak {mib:.0f} MiB")
        print(f"ratio: {our_rate / raw_rate:.2f}")
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    _child(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
