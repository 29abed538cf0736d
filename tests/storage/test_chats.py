"""Chats and the labels they follow."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.labels import LabelKind
from bot.domain.records import Chat
from storage.database import Database
from tests.conftest import FIXED_NOW


async def test_a_chat_is_created_on_first_contact_and_kept_after(db: Database) -> None:
    async with db.transaction() as repos:
        assert await repos.chats.get(42) is None
        first = await repos.chats.ensure(42, "group", "News", FIXED_NOW)
        # A second contact changes nothing, not even a new title.
        again = await repos.chats.ensure(42, "supergroup", "Renamed", FIXED_NOW)
    async with db.read() as repos:
        stored = await repos.chats.get(42)
    expected = Chat(id=42, type="group", title="News", timezone=None, active=True)
    assert first == again == stored == expected


async def test_subscriptions_report_what_changed_and_keep_their_order(db: Database) -> None:
    async with db.transaction() as repos:
        await repos.chats.ensure(42, "private", None, FIXED_NOW)
        ids = await repos.labels.ensure(
            {
                (LabelKind.TAG.value, "kyiv"): "Kyiv",
                (LabelKind.TAG.value, "odesa"): "Odesa",
                (LabelKind.THEME.value, "energy"): "Energy",
            }
        )
        kyiv, odesa, energy = ids.values()
        assert await repos.subscriptions.add(42, [energy, kyiv, energy], FIXED_NOW) == [
            energy,
            kyiv,
        ]
        later = FIXED_NOW + timedelta(minutes=1)
        assert await repos.subscriptions.add(42, [kyiv, odesa], later) == [odesa]
        assert await repos.subscriptions.remove(42, [kyiv, 999_999]) == [kyiv]
        assert await repos.subscriptions.remove(42, [kyiv]) == []
    async with db.read() as repos:
        followed = await repos.subscriptions.for_chat(42)
        others = await repos.subscriptions.for_chat(43)
    assert [label.name for label in followed] == ["Energy", "Odesa"]
    assert others == []
