"""Long-lived objects, built once in `bot.__main__`/`bot.cli` and passed down."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.runtime.config import Settings
from storage.database import Database


@dataclass(frozen=True, slots=True)
class Deps:
    """What handlers and jobs need: settings, the database and the clock."""

    settings: Settings
    db: Database
    clock: Callable[[], datetime]
