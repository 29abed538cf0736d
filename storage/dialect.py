"""The one place that knows SQLite and PostgreSQL differ (upserts, locks, pragmas)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from storage.models import Base


def insert_ignoring_conflicts(dialect_name: str, table: type[Base], *columns: str) -> Insert:
    """Return an INSERT that skips rows whose `columns` already exist (ON CONFLICT DO NOTHING)."""
    if dialect_name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(columns))
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(columns))


def upsert(
    dialect_name: str, table: type[Base], conflict: tuple[str, ...], update: dict[str, Any]
) -> Insert:
    """Return an INSERT that updates `update` columns when a row with `conflict` exists."""
    if dialect_name == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=list(conflict),
            set_={
                name: (pg.excluded[name] if value is None else value)
                for name, value in update.items()
            },
        )
    lite = sqlite.insert(table)
    return lite.on_conflict_do_update(
        index_elements=list(conflict),
        set_={
            name: (lite.excluded[name] if value is None else value)
            for name, value in update.items()
        },
    )
