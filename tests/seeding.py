"""Rows a test puts straight into the store, where no command makes them quickly enough."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from storage.models import DeliveryRow
from storage.repos import Repos


def add_deliveries(
    repos: Repos, chat_id: int, history: Iterable[tuple[str, str, datetime]]
) -> None:
    """Ledger rows for `chat_id`, one per (kind, state, at); digests' spans a minute apart,
    so that no two collide."""
    for n, (kind, state, at) in enumerate(history):
        repos.session.add(
            DeliveryRow(
                chat_id=chat_id,
                kind=kind,
                span_end=at - timedelta(minutes=n) if kind == "digest" else None,
                state=state,
                priority=1,
                attempts=1,
                created_at=at,
                updated_at=at,
            )
        )
