"""The terminal sandbox: pushed messages print as they come; a person's own articles go in."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.runtime.config import Settings
from sandbox.terminal import run_sandbox
from tests.cli.test_run import ROOT, clean_env

DANUBE = ROOT / "tests" / "data" / "articles" / "danube-grain-barges.txt"
TITLE = "Drought Strands Danube Grain Barges as River Falls to Record Low Near Izmail"


class Screen(io.StringIO):
    """What the sandbox prints, with a way to wait for a piece of it."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        self._changed.set()
        return written

    async def shows(self, piece: str, timeout: float = 60) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while piece not in self.getvalue():
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
def kyiv_article(tmp_path: Path) -> Path:
    """A new article on #Kyiv, which the samples make a known label."""
    lines = DANUBE.read_text(encoding="utf-8").splitlines()
    lines[1] = "#Kyiv #Danube"
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "danube.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def stdin() -> Iterator[tuple[int, int]]:
    read, write = os.pipe()
    yield read, write
    for fd in (read, write):
        with contextlib.suppress(OSError):
            os.close(fd)


def sandbox_settings(tick_seconds: float = 30) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        flood={"rate": 0, "per_chat_interval": 0, "group_per_minute": 0},
        digest={"tick_seconds": tick_seconds},
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.slow
async def test_a_pushed_alert_prints_without_further_input(
    tmp_path: Path, sqlite_template: Path, kyiv_article: Path, stdin: tuple[int, int]
) -> None:
    db_path = tmp_path / "sandbox.db"
    shutil.copyfile(sqlite_template, db_path)
    read, write = stdin
    screen = Screen()
    # The scheduler looks for new articles often, so the alert comes soon.
    settings = sandbox_settings(tick_seconds=0.2)
    session = asyncio.create_task(
        run_sandbox(settings, db_path=db_path, clock=utc_now, stdin_fd=read, out=screen)
    )
    os.write(write, b"/subscribe #Kyiv\n/alerts on\n")
    await screen.shows("bot › 🔔 Alerts on")
    # The documented way to add articles while the sandbox runs, from another process.
    env = clean_env(DATABASE_URL=f"sqlite:///{db_path}")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "ingest",
        str(kyiv_article),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    assert "1 new, 0 updated, 0 already known, 0 refused" in out.decode() + err.decode()
    # Nothing more is typed: the alert prints on its own.
    await screen.shows(f"bot › **{TITLE}**")
    assert not session.done()
    os.close(write)
    assert await asyncio.wait_for(session, timeout=60) == 0
    printed = screen.getvalue()
    assert printed.index("you › /alerts on") < printed.index(TITLE)
    assert "Traceback" not in printed


@pytest.mark.slow
async def test_own_articles_go_into_the_sandbox(
    tmp_path: Path, kyiv_article: Path, stdin: tuple[int, int]
) -> None:
    read, write = stdin
    os.write(write, b"/topic Danube\n")
    os.close(write)
    screen = Screen()
    code = await run_sandbox(
        sandbox_settings(),
        db_path=tmp_path / "sandbox.db",
        clock=utc_now,
        stdin_fd=read,
        out=screen,
        articles=[str(kyiv_article)],
    )
    assert code == 0
    printed = screen.getvalue()
    assert "(10 articles loaded; 10 articles in all)" in printed
    assert f"bot › **{TITLE}**" in printed
