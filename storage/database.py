"""The Database: engine, one transaction per unit of work, and schema upgrades."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.repos import Repos
from storage.staging import STAGE

SQLITE_BUSY_TIMEOUT_MS = 10_000
# SQLite's page cache per connection, and during a bulk load (a trusted transaction).
CACHE_KIB = 16 * 1024
BULK_CACHE_KIB = 32 * 1024
# Any constant works; it only has to be the same for every process sharing the database.
MIGRATION_LOCK_ID = 0x6469676573
# Execution option of a transaction that skips SQLite's foreign-key checks (see transaction).
_TRUSTED = "digestbot_trusted_writes"
# Execution option of a transaction that only reads (see read).
_READ_ONLY = "digestbot_read_only"
# Execution option naming a staging file to attach (see transaction); the DBAPI connection's
# info remembers which one is attached.
_STAGE = "digestbot_stage"


class Database:
    """Owns the engine; hands out transactions that commit on exit and roll back on error."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            _create_sqlite_parent(parsed.database)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
        self._sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(
        self, *, trusted: bool = False, stage: str | None = None
    ) -> AsyncIterator[Repos]:
        """Open one session and one transaction for a unit of work.

        `trusted`: every row the transaction writes refers only to rows that exist for sure
        (written in the same transaction, or never deleted), so SQLite may skip its foreign-key
        checks; ingest writes a dozen references per article and they cost a fifth of its
        time. Deletes always cascade: other transactions check as usual.

        `stage` (SQLite): a staging file to attach as `stage` for this transaction (see
        storage.staging); SQLite attaches files only outside a transaction."""
        async with self._sessionmaker() as session, session.begin():
            options: dict[str, object] = {}
            if trusted:
                options[_TRUSTED] = True
            if stage is not None:
                options[_STAGE] = stage
            if options:
                # The first statement procures the connection: with these options, before BEGIN.
                await session.connection(execution_options=options)
            yield Repos(session, self.dialect)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Repos]:
        """Open one session and one transaction that only reads.

        On SQLite it reads the last committed state without taking the write lock, so a
        person's /topic never waits for an ingest batch being written; a write in it fails
        at once ("attempt to write a readonly database"). On PostgreSQL it is an ordinary
        transaction: readers never wait for writers there."""
        async with self._sessionmaker() as session, session.begin():
            if self.dialect == "sqlite":
                await session.connection(execution_options={_READ_ONLY: True})
            yield Repos(session, self.dialect)

    async def upgrade(self, revision: str = "heads") -> None:
        """Bring the schema to the newest migration, or to `revision` (safe with several
        processes at once)."""
        async with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                # Replicas starting together must not run the same migration twice.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
                )
            await connection.run_sync(_upgrade_on, revision)

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def alembic_config() -> Config:
    """Return an Alembic config pointing at the migrations shipped inside `storage`."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    return config


def _upgrade_on(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    # "heads": migrations developed side by side may form parallel branches until merged.
    command.upgrade(config, revision)


def _create_sqlite_parent(database: str | None) -> None:
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # 16 KiB pages (for a new, empty database; an existing one keeps its own): an article
        # and its retelling fit one page instead of a chain of overflow pages, and a large
        # ingest writes a quarter as many log frames. Must come before WAL is switched on.
        cursor.execute("PRAGMA page_size=16384")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A 16 MiB page cache holds the hot index pages of a large ingest (each label's newest
        # leaf), and bounds the memory of a process however large the database grows.
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        # Checkpoint every ~40 MiB of log rather than every few MiB: a page that several
        # commits of a large ingest touch is then copied into the database once, not once per
        # commit.
        cursor.execute("PRAGMA wal_autocheckpoint=2500")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Foreign keys can only be switched outside a transaction, so each one says.
        options = connection.get_execution_options()
        trusted = bool(options.get(_TRUSTED))
        read_only = bool(options.get(_READ_ONLY))
        connection.exec_driver_sql(f"PRAGMA foreign_keys={'OFF' if trusted else 'ON'}")
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
        stage = options.get(_STAGE)
        attached = connection.info.get(_STAGE)
        if attached is not None and attached != stage:
            connection.exec_driver_sql(f"DETACH DATABASE {STAGE}")
            del connection.info[_STAGE]
        if stage is not None and attached != stage:
            connection.exec_driver_sql(f"ATTACH DATABASE ? AS {STAGE}", (stage,))
            connection.info[_STAGE] = stage
        # A bulk load touches leaves of every label's index all over: a larger page cache
        # while it runs saves reading them back (the memory is given back after).
        cache = BULK_CACHE_KIB if trusted else CACHE_KIB
        connection.exec_driver_sql(f"PRAGMA cache_size=-{cache}")
        # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        # writes fails at once with "database is locked" instead of waiting for busy_timeout.
        # A transaction that only reads needs no lock: in WAL mode it reads a snapshot.
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
