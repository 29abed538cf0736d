"""Alembic environment: runs on the connection `storage.database` hands over, or on its own."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # Batch mode rebuilds tables on SQLite, which cannot ALTER most things in place.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from bot.runtime.config import Settings  # noqa: PLC0415 - only the bare `alembic` command needs it

        url = Settings().database_url
    asyncio.run(_run_standalone(url))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `digestbot db upgrade`")
run_migrations_online()
