"""The one place that knows SQLite and PostgreSQL differ (upserts, locks, pragmas)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from storage.models import Base, table_of
from storage.rows import sqlite_datetime

# Rows (or keys) per statement: large enough to amortise round trips, small enough to stay under
# SQLite's and asyncpg's bound-parameter limits.
ROWS_PER_STATEMENT = 500


def insert_ignoring_conflicts(
    dialect_name: str, table: type[Base], *columns: str, where: str | None = None
) -> Insert:
    """Return an INSERT that skips rows whose `columns` already exist (ON CONFLICT DO NOTHING).

    `where` names the predicate of a partial unique index on `columns`."""
    index_where = text(where) if where is not None else None
    if dialect_name == "postgresql":
        return postgresql.insert(table_of(table)).on_conflict_do_nothing(
            index_elements=list(columns), index_where=index_where
        )
    return sqlite.insert(table_of(table)).on_conflict_do_nothing(
        index_elements=list(columns), index_where=index_where
    )


async def prepare_bulk_join(session: AsyncSession, dialect_name: str, *tables: str) -> None:
    """Before one large join in this transaction: on PostgreSQL, fresh statistics for tables
    that just grew (else the planner expects a handful of rows and picks nested loops) and
    memory to sort and hash in (else they spill to disk). SQLite needs neither."""
    if dialect_name != "postgresql":
        return
    await session.execute(text("SET LOCAL work_mem = '64MB'"))
    for table in tables:
        await session.execute(text(f"ANALYZE {table}"))


def upsert(
    dialect_name: str, table: type[Base], conflict: tuple[str, ...], update: dict[str, Any]
) -> Insert:
    """Return an INSERT that updates `update` columns when a row with `conflict` exists."""
    if dialect_name == "postgresql":
        pg = postgresql.insert(table_of(table))
        return pg.on_conflict_do_update(
            index_elements=list(conflict),
            set_={
                name: (pg.excluded[name] if value is None else value)
                for name, value in update.items()
            },
        )
    lite = sqlite.insert(table_of(table))
    return lite.on_conflict_do_update(
        index_elements=list(conflict),
        set_={
            name: (lite.excluded[name] if value is None else value)
            for name, value in update.items()
        },
    )


def bulk_insert_sql(
    dialect_name: str, table: str, columns: tuple[str, ...], conflict: str | None = None
) -> str:
    """Return a driver-level INSERT for executemany, skipping rows that clash on `conflict`.

    The hot ingest path uses it to skip SQLAlchemy's per-row parameter processing, which
    costs more than the insert itself."""
    if dialect_name == "postgresql":
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    else:
        marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    return sql if conflict is None else f"{sql} ON CONFLICT ({conflict}) DO NOTHING"


def driver_datetime(dialect_name: str, value: datetime | None) -> datetime | str | None:
    """Return an aware datetime as the driver takes it for a `UTCDateTime` column."""
    if value is None:
        return None
    if dialect_name != "postgresql":
        return sqlite_datetime(value)
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
    return value.astimezone(UTC)
