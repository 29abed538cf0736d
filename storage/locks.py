"""Who may run beside whom on one database.

Telegram hands updates to one `getUpdates` consumer at a time and answers a second one with
409 Conflict, and it refuses `getUpdates` altogether while a webhook is set. So, per database:

- PostgreSQL: a poller holds an exclusive advisory lock for its lifetime, webhook processes
  hold the same lock shared. Any number of webhook processes (and workers, which take no
  updates) run side by side; a poller runs alone.
- SQLite is the single-process embedded mode: every process (the terminal sandbox too) holds
  an exclusive lock on a file next to the database, so a second one refuses to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

Role = Literal["polling", "webhook", "worker", "sandbox"]
# Any constant below 2**32 works (pg_locks then shows it as objid); all processes share it.
UPDATES_LOCK_ID = 0x706F6C6C
# How often a PostgreSQL lock holder checks that its connection, and so its lock, is alive.
CHECK_EVERY_SECONDS = 30.0

_COMMAND = {
    "polling": "digestbot run",
    "webhook": "digestbot run --webhook",
    "worker": "digestbot worker",
    "sandbox": "digestbot sandbox",
}


class AlreadyRunning(RuntimeError):
    """Another process holds what this one needs; the message says what to do."""


@dataclass(slots=True)
class ProcessLock:
    """A held lock; `lost` is set if it could not be kept (the process should stop)."""

    role: Role
    lost: asyncio.Event = field(default_factory=asyncio.Event)


@contextlib.asynccontextmanager
async def process_lock(
    database_url: str, role: Role, *, check_every: float = CHECK_EVERY_SECONDS
) -> AsyncIterator[ProcessLock]:
    """Hold this process's lock on the database for the block; raise AlreadyRunning if not."""
    url = make_url(database_url)
    lock = ProcessLock(role)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_lock_path(url.database)
        if path is None:  # an in-memory database belongs to this process anyway
            yield lock
            return
        fd = _lock_file(path, role)
        try:
            yield lock
        finally:
            os.close(fd)
        return
    if role not in ("polling", "webhook"):  # only processes that take updates lock them
        yield lock
        return
    async with _pg_lock(database_url, lock, check_every) as held:
        yield held


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_lock_path(database: str | None) -> Path | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{database}.lock")


def _lock_file(path: Path, role: Role) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 200, 0).decode(errors="replace").split()
        os.close(fd)
        who = (
            f"`{_COMMAND.get(holder[1], holder[1])}` (pid {holder[0]})"
            if len(holder) >= 2
            else "another digestbot process"
        )
        advice = (
            "Stop it first, or give this sandbox a file of its own: digestbot sandbox --db PATH"
            if role == "sandbox"
            else "Stop it first. To run several processes (webhooks, workers), use PostgreSQL: "
            "DATABASE_URL=postgresql+asyncpg://user:password@host/db"
        )
        raise AlreadyRunning(
            f"SQLite mode is single-process: {who} already uses {path.with_suffix('')}. {advice}"
        ) from None
    # Who holds it, for the message another process prints (the lock itself is the flock).
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {role}\n".encode(), 0)
    return fd


# --- PostgreSQL --------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _pg_lock(
    database_url: str, lock: ProcessLock, check_every: float
) -> AsyncIterator[ProcessLock]:
    # A dedicated connection: the session-level lock lives exactly as long as it does. In
    # autocommit mode it never sits idle in a transaction, which a server may time out.
    holder = _PgHolder(
        create_async_engine(
            database_url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"server_settings": {"application_name": f"digestbot {lock.role}"}},
        ),
        lock,
    )
    try:
        if not await holder.take():
            raise AlreadyRunning(await holder.refusal())
        watcher = asyncio.create_task(holder.watch(check_every))
        try:
            yield lock
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    finally:
        await holder.close()


class _PgHolder:
    def __init__(self, engine: AsyncEngine, lock: ProcessLock) -> None:
        self._engine = engine
        self._lock = lock
        self._connection: AsyncConnection | None = None

    async def take(self) -> bool:
        """Connect and try to take the lock; the connection stays open either way."""
        await self._drop_connection()
        self._connection = connection = await self._engine.connect()
        function = (
            "pg_try_advisory_lock"
            if self._lock.role == "polling"
            else "pg_try_advisory_lock_shared"
        )
        taken = await connection.scalar(text(f"SELECT {function}(:id)"), {"id": UPDATES_LOCK_ID})
        return bool(taken)

    async def refusal(self) -> str:
        """Say who holds the lock and what to do."""
        assert self._connection is not None
        modes = set(
            await self._connection.scalars(
                text(
                    "SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = 0 AND objid::bigint = :id AND objsubid = 1 AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"id": UPDATES_LOCK_ID},
            )
        )
        if "ExclusiveLock" in modes and self._lock.role == "polling":
            return (
                "Another `digestbot run` is already polling for updates with this database; "
                "only one poller may run (Telegram answers a second getUpdates with 409 "
                "Conflict). Stop it first, or run any number of `digestbot run --webhook` "
                "processes instead."
            )
        if "ExclusiveLock" in modes:
            return (
                "A `digestbot run` is polling for updates with this database; registering a "
                "webhook would cut it off. Stop the poller first, then start webhook processes."
            )
        return (
            "`digestbot run --webhook` processes receive this database's updates, and Telegram "
            "refuses getUpdates while a webhook is set. Stop them first, or start another "
            "webhook process instead of a poller."
        )

    async def watch(self, check_every: float) -> None:
        """Check the connection now and then; take the lock again on a new one if it broke."""
        role = self._lock.role
        held = True
        while True:
            await asyncio.sleep(check_every)
            if held and self._connection is not None:
                try:
                    await self._connection.execute(text("SELECT 1"))
                    continue
                except Exception as error:  # any failure means the lock may be gone
                    log.warning("The connection holding the %s lock failed: %s", role, error)
            held = False
            try:
                taken = await self.take()
            except Exception as error:  # the database is away: try again later
                log.warning("Cannot take the %s lock again yet: %s", role, error)
                continue
            if not taken:
                log.error("Another process took the %s lock meanwhile; stopping", role)
                self._lock.lost.set()
                return
            held = True
            log.info("The %s lock is held again", role)

    async def close(self) -> None:
        """Close the connection, which releases the lock."""
        await self._drop_connection()
        await self._engine.dispose()

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()
