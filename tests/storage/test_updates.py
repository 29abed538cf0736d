"""processed_updates: each update id is claimed once, taken over after a lease, then pruned."""

from __future__ import annotations

from storage.database import Database
from storage.models import ProcessedUpdateRow
from storage.updates import KEEP_UPDATE_IDS, UPDATE_LEASE, Claim
from tests.conftest import FIXED_NOW


async def test_stale_update_ids_are_pruned(db: Database) -> None:
    async with db.transaction() as repos:
        updates = repos.updates
        assert await updates.claim(1, FIXED_NOW - KEEP_UPDATE_IDS * 2) is Claim.HANDLE
        assert await updates.claim(2, FIXED_NOW) is Claim.HANDLE
        assert await updates.claim(2, FIXED_NOW) is Claim.BUSY
        await updates.handled(2, FIXED_NOW)
        assert await updates.claim(2, FIXED_NOW) is Claim.HANDLED
    async with db.transaction() as repos:
        updates = repos.updates
        assert await updates.prune(FIXED_NOW) == 1
        assert await updates.claim(1, FIXED_NOW) is Claim.HANDLE  # forgotten, so new again
        rows = await repos.session.get(ProcessedUpdateRow, 2)
        assert rows is not None


async def test_an_unhandled_claim_is_taken_over_only_after_its_lease(db: Database) -> None:
    taken_at = FIXED_NOW - UPDATE_LEASE
    async with db.transaction() as repos:
        assert await repos.updates.claim(7, taken_at) is Claim.HANDLE
    async with db.transaction() as repos:
        # Exactly a lease old is still the first process's.
        assert await repos.updates.claim(7, FIXED_NOW) is Claim.BUSY
        assert await repos.updates.claim(7, FIXED_NOW + UPDATE_LEASE / 2) is Claim.HANDLE
        # The process that took it over now holds a fresh lease.
        assert await repos.updates.claim(7, FIXED_NOW + UPDATE_LEASE) is Claim.BUSY


async def test_a_handled_update_is_never_taken_over(db: Database) -> None:
    async with db.transaction() as repos:
        assert await repos.updates.claim(8, FIXED_NOW) is Claim.HANDLE
        await repos.updates.handled(8, FIXED_NOW)
    async with db.transaction() as repos:
        assert await repos.updates.claim(8, FIXED_NOW + UPDATE_LEASE * 10) is Claim.HANDLED
