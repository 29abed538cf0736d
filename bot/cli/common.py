"""What every subcommand shares: exit statuses, the clock, settings and argument types."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from bot.runtime.config import Settings, database_url, describe_error

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

# What an asynchronous subcommand is; a synchronous one takes the arguments only.
Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def load_settings() -> Settings:
    """Read the settings; a bad value ends the program with one clear line and status 2."""
    try:
        return Settings()
    except ValidationError as error:
        print(describe_error(error), file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"expected a number of at least {minimum}, got {value}"
            )
        return value

    return parse


count = whole_number(0)
positive = whole_number(1)


def database(text: str) -> str:
    """An argparse type: a database URL, in the forms DATABASE_URL takes."""
    try:
        return database_url(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error} (got {text!r})") from None


def postgres(text: str) -> str:
    """An argparse type: a PostgreSQL URL."""
    try:
        url = database_url(text)
    except ValueError:
        url = ""
    if not url.startswith("postgresql+asyncpg://"):
        raise argparse.ArgumentTypeError(
            f"expected a PostgreSQL URL (postgresql://user@host/db), got {text!r}"
        )
    return url
