"""When Telegram says no: 429 storms, blocked and vanished chats, migrated groups, and sends
that get no answer at all."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.deliveries import DeliveryState
from sandbox.localapi import LocalBotApi
from storage.models import ChatRow, DeliveryRow
from tests.delivery.conftest import ALICE, MONDAY, Bot, article, titles_in

SLOT = MONDAY + timedelta(hours=6)


def delivered(api: LocalBotApi) -> Counter[int]:
    """Successful sendMessage calls per chat."""
    return Counter(call.result["chat"]["id"] for call in api.calls_to("sendMessage") if call.ok)


async def chats_with_a_digest_due(bot: Bot, chat_ids: list[int]) -> None:
    for chat_id in chat_ids:
        await bot.chat(chat_id, ["Kyiv"])
    await bot.tick()
    await bot.ingest(article("The news", "Kyiv"), at=SLOT - timedelta(hours=1))
    bot.clock.set(SLOT)


async def ledger_states(bot: Bot) -> Counter[str]:
    async with bot.db.transaction() as repos:
        return Counter(await repos.ledger.states())


async def test_a_429_storm_delays_but_every_chat_gets_its_digest_exactly_once(bot: Bot) -> None:
    chats = list(range(3001, 3021))
    await chats_with_a_digest_due(bot, chats)
    bot.api.set_fault_rate("sendMessage", 0.3, 429, retry_after=1, seed=4)
    await bot.tick()
    while (await ledger_states(bot))["planned"]:
        # A send that met 429 more often than FLOOD__MAX_RETRIES went back to the ledger.
        await bot.tick()
    assert bot.api.too_many_requests >= 5
    assert delivered(bot.api) == dict.fromkeys(chats, 1)
    assert await ledger_states(bot) == {"sent": len(chats)}


async def test_blocked_deactivated_kicked_and_vanished_chats_become_inactive(bot: Bot) -> None:
    blocked, deactivated, gone, fine = 3101, 3102, 3103, 3104
    kicked, told_us = -3105, 3106
    await chats_with_a_digest_due(bot, [blocked, deactivated, gone, fine, kicked, told_us])
    bot.api.block(blocked, deliver=False)
    bot.api.deactivate(deactivated)
    bot.api.kick(kicked, deliver=False)
    bot.api.delete_chat(gone)
    # This one blocks the bot and Telegram tells the bot so: it never tries to send.
    bot.api.block(told_us, deliver=False)
    await bot.deliver_update(bot.api.updates[-1])
    await bot.tick()

    assert delivered(bot.api) == {fine: 1}
    failed = Counter(str(c.params["chat_id"]) for c in bot.api.calls_to("sendMessage") if not c.ok)
    assert failed == {str(blocked): 1, str(deactivated): 1, str(kicked): 1, str(gone): 1}
    async with bot.db.transaction() as repos:
        rows = await repos.session.execute(
            select(ChatRow.id, ChatRow.active, ChatRow.inactive_reason).order_by(ChatRow.id)
        )
        status = {chat_id: (active, reason) for chat_id, active, reason in rows}
    assert status == {
        kicked: (False, "kicked"),
        blocked: (False, "blocked"),
        deactivated: (False, "deactivated"),
        gone: (False, "not_found"),
        fine: (True, None),
        told_us: (False, "blocked"),
    }
    assert await ledger_states(bot) == {"sent": 1, "failed": 4}

    # Nothing more is sent to them, and nothing is retried.
    calls = len(bot.api.calls_to("sendMessage"))
    await bot.ingest(article("More news", "Kyiv"), at=SLOT + timedelta(hours=1))
    bot.clock.set(SLOT + timedelta(days=1))
    await bot.tick()
    new_calls = bot.api.calls_to("sendMessage")[calls:]
    assert [call.params["chat_id"] for call in new_calls] == [fine]

    # /start from a chat that blocked the bot unblocks it: it gets digests again.
    await bot.send("/start", chat_id=blocked)
    await bot.ingest(article("Even more news", "Kyiv"), at=SLOT + timedelta(days=1, hours=1))
    bot.clock.set(SLOT + timedelta(days=1, minutes=30))
    await bot.tick()  # reschedules it: its next digest is tomorrow's
    bot.clock.set(SLOT + timedelta(days=2))
    await bot.tick()
    (digest,) = bot.digests(blocked)
    # Its span runs from its last digest that was planned, so it misses nothing.
    assert titles_in(digest) == ["Even more news", "More news"]


async def test_a_group_that_became_a_supergroup_gets_its_digest_at_the_new_id(bot: Bot) -> None:
    group = -3201
    await chats_with_a_digest_due(bot, [group])
    new_id = bot.api.migrate(group, deliver=False)
    await bot.tick()
    assert delivered(bot.api) == {new_id: 1}
    async with bot.db.transaction() as repos:
        old = await repos.session.get(ChatRow, group)
        new = await repos.session.get(ChatRow, new_id)
        assert old is not None
        assert new is not None
        assert (old.active, old.inactive_reason, old.migrated_to) == (False, "migrated", new_id)
        assert new.active
        assert [label.name for label in await repos.subscriptions.for_chat(new_id)] == ["Kyiv"]
        assert await repos.subscriptions.for_chat(group) == []
        rows = (await repos.session.scalars(select(DeliveryRow))).all()
        assert [(r.chat_id, r.state, r.attempts) for r in rows] == [(new_id, "sent", 1)]
    # The next digest goes straight to the supergroup.
    await bot.ingest(article("Tomorrow's news", "Kyiv"), at=SLOT + timedelta(hours=1))
    bot.clock.set(SLOT + timedelta(days=1))
    await bot.tick()
    assert delivered(bot.api) == {new_id: 2}


async def test_the_migration_service_message_moves_the_group_before_any_send(bot: Bot) -> None:
    group = -3202
    await chats_with_a_digest_due(bot, [group])
    new_id = bot.api.migrate(group, deliver=False)
    for update in bot.api.updates[-2:]:
        await bot.deliver_update(update)
    await bot.tick()
    assert delivered(bot.api) == {new_id: 1}
    assert not [c for c in bot.api.calls_to("sendMessage") if not c.ok]


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"delivery": {"timeout_seconds": 0.3, "max_attempts": 3}}


async def test_a_send_without_an_answer_is_ambiguous_and_sent_again(bot: Bot) -> None:
    await chats_with_a_digest_due(bot, [ALICE])
    # Telegram delivers the digest, but the answer is lost.
    bot.api.drop_next("sendMessage")
    await bot.tick()
    # The policy: a possible duplicate rather than a lost digest.
    assert delivered(bot.api) == {ALICE: 2}
    assert [c.dropped for c in bot.api.calls_to("sendMessage")] == [True, False]
    async with bot.db.transaction() as repos:
        (row,) = (await repos.session.scalars(select(DeliveryRow))).all()
    assert (row.state, row.attempts) == (DeliveryState.SENT.value, 2)
    assert bot.reports[-1].ambiguous == 1


async def test_a_timeout_is_ambiguous_and_gives_up_after_max_attempts(bot: Bot) -> None:
    await chats_with_a_digest_due(bot, [ALICE])
    bot.api.drop_next("sendMessage", times=3, hang=0.6)
    await bot.tick()
    async with bot.db.transaction() as repos:
        (row,) = (await repos.session.scalars(select(DeliveryRow))).all()
    assert (row.state, row.attempts) == (DeliveryState.FAILED.value, 3)
    assert row.error is not None
    assert row.error.startswith("no answer")
    assert len(bot.api.calls_to("sendMessage")) == 3
