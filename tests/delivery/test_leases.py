"""Claims with a lease, and the flood budget shared among live senders (both databases)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from delivery.heartbeat import Heartbeat
from storage.database import Database
from storage.models import ChatRow, DeliveryRow, table_of

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=3)


async def _ledger(db: Database, rows: dict[int, tuple[str, str | None, datetime | None]]) -> None:
    """One chat per row: {chat id: (state, claimed by, claimed until)}."""
    async with db.transaction() as repos:
        await repos.session.execute(
            insert(table_of(ChatRow)),
            [
                {"id": chat_id, "type": "private", "active": True, "created_at": NOW}
                for chat_id in rows
            ],
        )
        await repos.session.execute(
            insert(table_of(DeliveryRow)),
            [
                {
                    "chat_id": chat_id,
                    "kind": "digest",
                    "span_start": NOW - timedelta(days=1),
                    "span_end": NOW,
                    "state": state,
                    "priority": 1,
                    "attempts": 1 if state == "sending" else 0,
                    "claimed_by": claimed_by,
                    "claimed_until": until,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for chat_id, (state, claimed_by, until) in rows.items()
            ],
        )


async def _another_delivery(db: Database, chat_id: int) -> None:
    """A second delivery waiting for a chat (tomorrow's digest)."""
    async with db.transaction() as repos:
        await repos.session.execute(
            insert(table_of(DeliveryRow)),
            [
                {
                    "chat_id": chat_id,
                    "kind": "digest",
                    "span_start": NOW,
                    "span_end": NOW + timedelta(days=1),
                    "state": "planned",
                    "priority": 1,
                    "attempts": 0,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            ],
        )


async def _states(db: Database) -> dict[int, tuple[str, str | None, datetime | None]]:
    async with db.transaction() as repos:
        result = await repos.session.execute(
            select(
                DeliveryRow.chat_id,
                DeliveryRow.state,
                DeliveryRow.claimed_by,
                DeliveryRow.claimed_until,
            )
        )
        return {chat_id: (state, by, until) for chat_id, state, by, until in result}


async def test_an_expired_lease_is_taken_over_and_a_live_one_is_not(db: Database) -> None:
    await _ledger(
        db,
        {
            1: ("sending", "dead", NOW - timedelta(seconds=1)),  # its sender died
            2: ("sending", "alive", NOW + timedelta(seconds=30)),  # its sender is sending
            3: ("sending", "old", None),  # claimed before leases existed
        },
    )
    async with db.transaction() as repos:
        assert await repos.ledger.recover("me", NOW) == 2
        claimed = await repos.ledger.claim(
            limit=10, claimed_by="me", now=NOW, max_attempts=3, lease=LEASE
        )
    assert sorted(d.chat_id for d in claimed) == [1, 3]
    assert all(d.retried_ambiguous for d in claimed)
    states = await _states(db)
    assert states[1] == ("sending", "me", NOW + LEASE)
    assert states[2] == ("sending", "alive", NOW + timedelta(seconds=30))
    # My own claims are never taken over by me; the live one is once its lease runs out.
    async with db.transaction() as repos:
        assert await repos.ledger.recover("me", NOW + timedelta(seconds=2)) == 0
        assert await repos.ledger.recover("me", NOW + timedelta(seconds=31)) == 1
    assert (await _states(db))[2][0] == "ambiguous"
    # Another sender takes mine over once my lease has run out.
    async with db.transaction() as repos:
        assert await repos.ledger.recover("other", NOW + LEASE + timedelta(seconds=1)) == 2


async def test_a_chat_another_sender_is_sending_to_is_skipped(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("on SQLite one process sends")
    await _ledger(db, {1: ("sending", "other", NOW + LEASE), 2: ("planned", None, None)})
    await _another_delivery(db, 1)
    async with db.transaction() as repos:
        claimed = await repos.ledger.claim(
            limit=10, claimed_by="me", now=NOW, max_attempts=3, lease=LEASE
        )
    assert [d.chat_id for d in claimed] == [2]


async def test_claims_take_turns_so_a_chat_is_never_claimed_twice(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("on SQLite one process sends")
    # Chat 1 has two deliveries waiting, chat 2 one.
    await _ledger(db, {1: ("planned", None, None), 2: ("planned", None, None)})
    await _another_delivery(db, 1)
    started = asyncio.Event()

    async def second_sender() -> list[int]:
        started.set()
        async with db.transaction() as repos:
            claimed = await repos.ledger.claim(
                limit=10, claimed_by="second", now=NOW, max_attempts=3, lease=LEASE
            )
        return [d.chat_id for d in claimed]

    async with db.transaction() as repos:
        first = await repos.ledger.claim(
            limit=1, claimed_by="first", now=NOW, max_attempts=3, lease=LEASE
        )
        # Another sender's claim waits for this one to commit ...
        second = asyncio.create_task(second_sender())
        await started.wait()
        done, _ = await asyncio.wait({second}, timeout=1.0)
        assert not done
    # ... and then sees chat 1 is being sent to, so it takes only chat 2.
    assert [d.chat_id for d in first] == [1]
    assert await second == [2]


async def test_the_flood_budget_is_shared_among_live_senders(db: Database) -> None:
    now = [NOW]
    shares: dict[str, float] = {}

    def heartbeat(name: str) -> Heartbeat:
        return Heartbeat(
            db,
            sender_id=name,
            role="worker",
            rate=300.0,
            lease=LEASE,
            clock=lambda: now[0],
            on_share=lambda rate: shares.__setitem__(name, rate),
        )

    first, second, third = heartbeat("a"), heartbeat("b"), heartbeat("c")
    assert await first.beat() == 1
    assert shares == {"a": 300.0}
    await second.beat()
    await third.beat()
    for sender in (first, second, third):
        assert await sender.beat() == 3
    assert shares == {"a": 100.0, "b": 100.0, "c": 100.0}
    await third.stop()  # leaves at once
    assert await first.beat() == 2
    assert shares["a"] == 150.0
    # "b" dies: its share counts until its heartbeat is a lease old.
    now[0] += timedelta(seconds=2)
    assert await first.beat() == 2
    now[0] += timedelta(seconds=2)
    assert await first.beat() == 1
    assert shares["a"] == 300.0
