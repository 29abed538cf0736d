"""Tables. Storage code maps rows to domain dataclasses; nothing outside `storage/` sees these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Named constraints let Alembic's batch mode rebuild SQLite tables and drop constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every dialect (SQLite keeps no time zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The UNSCHEDULED sentinel of bot.domain.schedule as a literal both SQLite (text compared as
# SQLAlchemy writes it) and PostgreSQL read as 1970-01-01.
UNSCHEDULED_SQL = "1970-01-01 00:00:00.000000"

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """Return a model's Core table: bulk statements on it skip the ORM's per-row work."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    takeaways: Mapped[list[str]] = mapped_column(JSON)
    retelling: Mapped[str] = mapped_column(Text)
    entity_graph: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    # When the article was published, if its source said so (JSON Lines can).
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # What "newest" orders by: published_at when known, else ingested_at.
    sort_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LabelRow(Base):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    # The folded key: lookups never depend on the database's own case rules
    # (SQLite's only fold ASCII).
    key: Mapped[str] = mapped_column(Text, index=True)
    name: Mapped[str] = mapped_column(Text)
    # Followed before any article carried it: no known label until one does (migration 0106).
    provisional: Mapped[bool] = mapped_column(Boolean, server_default=false())


class ArticleLabelRow(Base):
    __tablename__ = "article_labels"
    __table_args__ = (
        # Serves "newest articles with this label" from the index alone.
        Index("ix_article_labels_label_newest", "label_id", "sort_key", "article_id"),
        # The primary key is the table on SQLite (see migration 0105).
        {"sqlite_with_rowid": False},
    )

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True
    )
    # articles.sort_at in microseconds since the epoch, so the index above answers "newest with
    # this label" without a join (an integer also binds far faster than a datetime in bulk).
    sort_key: Mapped[int] = mapped_column(BigInteger)
    # The label's place in the article's own list (cards show tags in the file's order).
    position: Mapped[int] = mapped_column(Integer, default=0)


class ChatRow(Base):
    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(Text)
    # An IANA name or a fixed offset like "UTC+02:00"; None means DEFAULT_TIMEZONE.
    timezone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Why sends to the chat stopped (blocked, kicked, deactivated, not_found, migrated).
    inactive_reason: Mapped[str | None] = mapped_column(String(32))
    # The supergroup a group became; the chat's settings and subscriptions moved there.
    migrated_to: Mapped[int | None] = mapped_column(BigInteger)
    digest_enabled: Mapped[bool] = mapped_column(Boolean, server_default=true())
    # Local minute of the day of the digest; None means DIGEST__DEFAULT_TIME.
    digest_minute: Mapped[int | None] = mapped_column(SmallInteger)
    # The next digest slot in UTC, what the tick looks up; None when digests are off or the
    # chat is inactive. New chats start at the UNSCHEDULED sentinel: due at once, which makes
    # the next tick work out their first slot.
    digest_due_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, index=True, server_default=text(f"'{UNSCHEDULED_SQL}'")
    )
    # Where the previous digest's span ended: the next digest starts here.
    digest_through: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alerts: Mapped[bool] = mapped_column(Boolean, server_default=false())


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    label_id: Mapped[int] = mapped_column(
        ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryRow(Base):
    """The delivery ledger: one row per (chat, digest) and per (chat, article alert)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # A digest is identified by where its span ends, an alert by its article; each unique
        # index covers only its own kind of row.
        Index(
            "uq_deliveries_chat_digest",
            "chat_id",
            "span_end",
            unique=True,
            sqlite_where=text("span_end IS NOT NULL"),
            postgresql_where=text("span_end IS NOT NULL"),
        ),
        Index(
            "uq_deliveries_chat_alert",
            "chat_id",
            "article_id",
            unique=True,
            sqlite_where=text("article_id IS NOT NULL"),
            postgresql_where=text("article_id IS NOT NULL"),
        ),
        # Deleting an article finds its alerts.
        Index(
            "ix_deliveries_article_id",
            "article_id",
            sqlite_where=text("article_id IS NOT NULL"),
            postgresql_where=text("article_id IS NOT NULL"),
        ),
        # What the sender claims next.
        Index("ix_deliveries_pending", "state", "priority", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    # No foreign key to chats: chats are never deleted (they become inactive), and planning
    # inserts a row per due chat in one statement, where PostgreSQL's per-row foreign key
    # check costs more than the insert itself.
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))  # digest | alert
    article_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("articles.id", ondelete="CASCADE")
    )
    span_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    span_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # planned | sending | sent | ambiguous | failed | empty
    state: Mapped[str] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(SmallInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Which sender run marked the row "sending"; rows another run left there are ambiguous.
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    # Until when the claim holds: a row still "sending" after that is taken over (see
    # LedgerRepository.recover). NULL for rows claimed before leases existed.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SenderRow(Base):
    """A process that sends (polling, webhook or worker) and its last heartbeat.

    The bot's flood budget is shared out evenly among the senders whose heartbeat is recent
    (see delivery.heartbeat)."""

    __tablename__ = "senders"
    __table_args__ = (Index("ix_senders_heartbeat_at", "heartbeat_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestItemRow(Base):
    """Every article of a planned digest, worked out when it is planned.

    No foreign keys, for the same reason as deliveries.chat_id: planning inserts one row per
    (chat, article) match in one statement. The sender skips articles deleted since."""

    __tablename__ = "digest_items"

    delivery_id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=False)
    # How many of the chat's labels the article carries: what the digest ranks by first.
    matched: Mapped[int] = mapped_column(SmallInteger)


class AlertQueueRow(Base):
    """Articles ingested since the last alert planning; the tick turns them into alerts."""

    __tablename__ = "alert_queue"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessedUpdateRow(Base):
    """Update ids a webhook process has taken: Telegram redelivers an update whose answer it
    did not see, and any process may receive the copy."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # When a process took the update (rows older than Telegram keeps an update, 24 hours,
    # are pruned), and when it had handled it: a take without a handled_at past its lease
    # was a process that stopped mid-way.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
