"""`digestbot ingest` killed outright, then run again: each article stored once, no parser left."""

from __future__ import annotations

import asyncio
import glob
import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy import func, select

from bench.ingest import write_articles
from ingest.pipeline import BATCH_SIZE
from storage.database import Database
from storage.models import ArticleRow
from tests.processes import wait_until

DIGESTBOT = str(Path(sys.executable).with_name("digestbot"))
# Several batches still to store when the first has been committed and the kill comes.
FILES = 3 * BATCH_SIZE + BATCH_SIZE // 2


def parsers_of(pid: int) -> list[int]:
    """Pids of the live processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pids: list[int]) -> bool:
    return any(Path(f"/proc/{pid}").exists() for pid in pids)


async def count(db: Database) -> int:
    async with db.transaction() as repos:
        return int(await repos.session.scalar(select(func.count()).select_from(ArticleRow)) or 0)


async def test_a_killed_ingest_loses_nothing_and_leaves_no_parser(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "articles"
    write_articles(folder, FILES)
    env = {**os.environ, "DATABASE_URL": db_url}
    first = await asyncio.create_subprocess_exec(
        DIGESTBOT, "ingest", str(folder), env=env, stdout=asyncio.subprocess.DEVNULL
    )

    # Kill it once some batches are committed and the parsers are busy with the rest.
    async def started_storing() -> bool:
        return await count(db) > 0 or first.returncode is not None

    await wait_until(started_storing, 30)
    parsers = parsers_of(first.pid)
    first.kill()  # SIGKILL: no chance to clean up
    await first.wait()
    stored = await count(db)
    print(f"killed with {stored} of {FILES} articles stored, {len(parsers)} parser(s) running")
    assert 0 < stored < FILES

    # Parsers notice their ingest is gone and stop.
    async def parsers_gone() -> bool:
        return not alive(parsers)

    await wait_until(parsers_gone, 10)

    again = await asyncio.create_subprocess_exec(
        DIGESTBOT, "ingest", str(folder), env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await again.communicate()
    assert again.returncode == 0
    assert (
        out.decode().strip()
        == f"{FILES - stored} new, 0 updated, {stored} already known, 0 refused"
    )
    assert await count(db) == FILES
    # The killed run's staging files (SQLite) were cleared away by the next one.
    pattern = os.path.join(tempfile.gettempdir(), f"digestbot-ingest-{first.pid}-*")
    assert glob.glob(pattern) == []
