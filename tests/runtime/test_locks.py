"""One poller per database; any number of webhook processes on PostgreSQL; SQLite alone."""

from __future__ import annotations

import asyncio
import shutil
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

import asyncpg
import pytest

from sandbox.localapi import LocalBotApi
from storage.locks import UPDATES_LOCK_ID, AlreadyRunning, process_lock
from tests.conftest import asyncpg_dsn
from tests.processes import child, exit_status, terminate
from tests.runtime.conftest import TOKEN

DIGESTBOT = str(Path(sys.executable).parent / "digestbot")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


async def test_a_second_poller_is_refused(db_url: str) -> None:
    async with process_lock(db_url, "polling"):
        with pytest.raises(AlreadyRunning) as refused:
            async with process_lock(db_url, "polling"):
                pass
    message = str(refused.value)
    if is_sqlite(db_url):
        assert "SQLite mode is single-process" in message
        assert "`digestbot run` (pid " in message
        assert "PostgreSQL" in message
    else:
        assert "Another `digestbot run` is already polling" in message
        assert "--webhook" in message
    # Released with the block: the next poller starts.
    async with process_lock(db_url, "polling"):
        pass


async def test_webhook_processes_run_side_by_side_on_postgresql_only(db_url: str) -> None:
    async with process_lock(db_url, "webhook"):
        if is_sqlite(db_url):
            with pytest.raises(AlreadyRunning, match="SQLite mode is single-process"):
                async with process_lock(db_url, "webhook"):
                    pass
            return
        async with process_lock(db_url, "webhook"), process_lock(db_url, "worker"):
            with pytest.raises(AlreadyRunning, match="refuses getUpdates while a webhook"):
                async with process_lock(db_url, "polling"):
                    pass


async def test_no_webhook_process_starts_beside_a_poller(db_url: str) -> None:
    async with process_lock(db_url, "polling"):
        expected = "single-process" if is_sqlite(db_url) else "would cut it off"
        with pytest.raises(AlreadyRunning, match=expected):
            async with process_lock(db_url, "webhook"):
                pass


async def _lock_holders(connection: asyncpg.Connection) -> list[int]:
    rows = await connection.fetch(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND objid::bigint = $1 AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())",
        UPDATES_LOCK_ID,
    )
    return [row["pid"] for row in rows]


@pytest.mark.postgres
async def test_a_poller_whose_connection_breaks_takes_its_lock_again_or_stops(
    postgres_url: str,
) -> None:
    other = await asyncpg.connect(asyncpg_dsn(postgres_url))
    try:
        async with process_lock(postgres_url, "polling", check_every=0.02) as lock:
            (first,) = await _lock_holders(other)
            await other.execute("SELECT pg_terminate_backend($1)", first)
            for _ in range(250):
                holders = await _lock_holders(other)
                if holders and holders != [first]:
                    break
                await asyncio.sleep(0.02)
            (second,) = holders
            assert second != first
            assert not lock.lost.is_set()
            # Now another poller gets in while the connection is down: this one must stop.
            await other.execute("SELECT pg_terminate_backend($1)", second)
            await other.execute("SELECT pg_advisory_lock($1)", UPDATES_LOCK_ID)
            await asyncio.wait_for(lock.lost.wait(), timeout=5)
    finally:
        await other.close()


async def test_digestbot_run_twice_on_one_database_the_second_exits_with_status_2(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    child_env: dict[str, str],
) -> None:
    async with LocalBotApi(TOKEN) as api:
        env = {
            "BOT_TOKEN": TOKEN,
            "DATABASE_URL": db_url,
            "TELEGRAM_API_URL": api.url,
            "METRICS_LISTEN": "",
            "LOG_LEVEL": "WARNING",
        }
        async with child(
            DIGESTBOT, "run", cwd=tmp_path, env={**child_env, **env}, stderr=PIPE
        ) as first:
            # Polling starts with deleteWebhook; the lock was taken before any call.
            await api.wait_for_call("deleteWebhook", timeout=30)
            # The second one runs in this process (the same command, without the start-up
            # time of another interpreter): it is refused before it calls Telegram.
            monkeypatch.chdir(tmp_path)
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            calls = len(api.calls)
            assert await asyncio.to_thread(exit_status, ["run"]) == 2
            message = capsys.readouterr().err
            expected = "single-process" if is_sqlite(db_url) else "already polling"
            assert expected in message
            assert len(message.strip().splitlines()) == 1
            assert len(api.calls) == calls
            # The first one polls on, undisturbed, and stops cleanly on SIGTERM.
            assert first.returncode is None
            _, first_err = await terminate(first)
            assert first.returncode == 0, first_err.decode()


@pytest.mark.slow
async def test_a_second_sandbox_on_one_file_is_refused_and_the_first_runs_on(
    tmp_path: Path, sqlite_template: Path, child_env: dict[str, str]
) -> None:
    database = tmp_path / "sandbox.db"
    shutil.copyfile(sqlite_template, database)
    env = {**child_env, "NO_COLOR": "1", "METRICS_LISTEN": ""}
    sandbox = [DIGESTBOT, "sandbox", "--db", str(database)]
    async with child(
        *sandbox, cwd=tmp_path, env=env, stdin=PIPE, stdout=PIPE, stderr=PIPE
    ) as first:
        assert first.stdout is not None
        banner = ""
        while "/quit or Ctrl-D leaves." not in banner:
            line = await asyncio.wait_for(first.stdout.readline(), timeout=60)
            assert line, "the first sandbox ended before its banner"
            banner += line.decode()
        # The second one asks for a fresh database: refused before it removes anything.
        second = await asyncio.create_subprocess_exec(
            *sandbox, "--fresh", cwd=tmp_path, env=env, stdin=PIPE, stdout=PIPE, stderr=PIPE
        )
        out, err = await asyncio.wait_for(second.communicate(b"/start\n"), timeout=60)
        assert second.returncode == 2
        assert out == b""
        (message,) = err.decode().strip().splitlines()
        assert message.startswith("digestbot: SQLite mode is single-process:")
        assert f"`digestbot sandbox` (pid {first.pid}) already uses {database}" in message
        assert "--db PATH" in message
        assert database.exists()
        # The first one answers on, undisturbed, and ends cleanly with its input.
        assert first.returncode is None
        out, err = await asyncio.wait_for(first.communicate(b"/start\n"), timeout=60)
        assert first.returncode == 0, err.decode()
        assert "bot › 👋 **Hi! I'm Digestbot.**" in out.decode()
