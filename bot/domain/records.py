"""What the store hands back: articles with their ids and times, chats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.articles import Article


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as stored: its id (used in buttons) and when it was published and arrived."""

    id: int
    article: Article
    published_at: datetime
    ingested_at: datetime


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What storing a batch did: ids of the new articles, how many were already known, and
    how many updated an article stored before (or earlier in the batch)."""

    new_ids: tuple[int, ...]
    known: int
    updated: int = 0


@dataclass(frozen=True, slots=True)
class Chat:
    """A Telegram chat the bot talks to."""

    id: int
    type: str
    title: str | None
    timezone: str | None
    active: bool
