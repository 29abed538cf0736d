"""Chats the bot has seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.records import Chat
from storage.dialect import insert_ignoring_conflicts
from storage.models import ChatRow


class ChatRepository:
    """Chats the bot has seen."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def ensure(self, chat_id: int, chat_type: str, title: str | None, now: datetime) -> Chat:
        """Return the chat, creating it on first contact."""
        await self._session.execute(
            insert_ignoring_conflicts(self._dialect, ChatRow, "id"),
            [
                {
                    "id": chat_id,
                    "type": chat_type,
                    "title": title,
                    "active": True,
                    "created_at": now,
                }
            ],
        )
        row = await self._session.get(ChatRow, chat_id)
        assert row is not None
        return _chat(row)

    async def get(self, chat_id: int) -> Chat | None:
        """Return one chat, or None if the bot has never seen it."""
        row = await self._session.get(ChatRow, chat_id)
        return None if row is None else _chat(row)


def _chat(row: ChatRow) -> Chat:
    return Chat(
        id=row.id, type=row.type, title=row.title, timezone=row.timezone, active=row.active
    )
