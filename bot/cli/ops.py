"""`digestbot db upgrade` and `digestbot healthcheck`: looking after a deployment."""

from __future__ import annotations

import argparse

from pydantic import ValidationError

from bot.cli.common import EXIT_OK, EXIT_REFUSED
from bot.runtime.config import Settings, describe_error


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `db upgrade` and `healthcheck`."""
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_commands.add_parser(
        "upgrade", help="migrate the schema to the newest version (the bot also does on start)"
    )
    upgrade.set_defaults(handler=_db_upgrade)

    healthcheck = commands.add_parser(
        "healthcheck",
        help="ask /healthz on METRICS_LISTEN (the Docker HEALTHCHECK)",
        description="Exit with status 0 if the process serving METRICS_LISTEN reports itself "
        "healthy, else 1; print one line saying why.",
    )
    healthcheck.set_defaults(sync_handler=_healthcheck)


async def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    from storage.database import Database  # noqa: PLC0415 - keep `--help` fast

    db = Database(settings.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    print("The database schema is up to date.")
    return EXIT_OK


def _healthcheck(_args: argparse.Namespace) -> int:
    from bot.runtime.healthcheck import check_health  # noqa: PLC0415 - keep `--help` fast

    # Read here rather than by main(): a bad setting is the answer (status 1), not a usage error.
    try:
        listen = Settings().metrics_listen
    except ValidationError as error:
        print(describe_error(error).replace("\n", "; "))
        return EXIT_REFUSED
    if listen is None:
        print("METRICS_LISTEN is not set, so there is no /healthz to ask")
        return EXIT_REFUSED
    healthy, line = check_health(listen)
    print(line)
    return EXIT_OK if healthy else EXIT_REFUSED
