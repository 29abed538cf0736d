"""leaner delivery ledger

Planning inserts a ledger row per due chat and a row per (chat, article) match in single
statements; per-row foreign key checks and index entries for the other kind of row cost more
than the inserts. So: partial unique indexes (a digest's and an alert's each cover only their
own rows), no foreign key from the ledger to chats (chats are never deleted), and digest items
that hold every match of a digest without foreign keys (ranked when the digest is composed).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("fk_deliveries_chat_id_chats", type_="foreignkey")
        batch_op.drop_constraint("uq_deliveries_chat_alert", type_="unique")
        batch_op.drop_constraint("uq_deliveries_chat_digest", type_="unique")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "uq_deliveries_chat_alert",
            ["chat_id", "article_id"],
            unique=True,
            sqlite_where=sa.text("article_id IS NOT NULL"),
            postgresql_where=sa.text("article_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_deliveries_chat_digest",
            ["chat_id", "span_end"],
            unique=True,
            sqlite_where=sa.text("span_end IS NOT NULL"),
            postgresql_where=sa.text("span_end IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_deliveries_article_id",
            ["article_id"],
            unique=False,
            sqlite_where=sa.text("article_id IS NOT NULL"),
            postgresql_where=sa.text("article_id IS NOT NULL"),
        )

    op.create_table(
        "digest_items_new",
        sa.Column("delivery_id", _ID, autoincrement=False, nullable=False),
        sa.Column("article_id", _ID, autoincrement=False, nullable=False),
        sa.Column("matched", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", "article_id", name=op.f("pk_digest_items_new")),
    )
    op.execute(
        "INSERT INTO digest_items_new (delivery_id, article_id, matched) "
        "SELECT delivery_id, article_id, matched FROM digest_items"
    )
    op.drop_table("digest_items")
    op.rename_table("digest_items_new", "digest_items")
    _rename_primary_key("digest_items_new", "digest_items")


def downgrade() -> None:
    op.create_table(
        "digest_items_old",
        sa.Column("delivery_id", _ID, nullable=False),
        sa.Column("rank", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("article_id", _ID, nullable=False),
        sa.Column("matched", sa.SmallInteger(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_digest_items_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_digest_items_delivery_id_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", "rank", name=op.f("pk_digest_items_old")),
    )
    # The ranking the old table stored is worked out again: most matched labels first.
    op.execute(
        "INSERT INTO digest_items_old (delivery_id, rank, article_id, matched, total) "
        "SELECT i.delivery_id, row_number() OVER (PARTITION BY i.delivery_id "
        "ORDER BY i.matched DESC, a.sort_at DESC, i.article_id DESC), i.article_id, i.matched, "
        "count(*) OVER (PARTITION BY i.delivery_id) "
        "FROM digest_items i JOIN articles a ON a.id = i.article_id"
    )
    op.drop_table("digest_items")
    op.rename_table("digest_items_old", "digest_items")
    _rename_primary_key("digest_items_old", "digest_items")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_article_id")
        batch_op.drop_index("uq_deliveries_chat_digest")
        batch_op.drop_index("uq_deliveries_chat_alert")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_deliveries_chat_digest", ["chat_id", "span_end"])
        batch_op.create_unique_constraint("uq_deliveries_chat_alert", ["chat_id", "article_id"])
        batch_op.create_foreign_key(
            "fk_deliveries_chat_id_chats", "chats", ["chat_id"], ["id"], ondelete="CASCADE"
        )


def _rename_primary_key(old_table: str, table: str) -> None:
    """Give a renamed table's primary key the name the naming convention expects."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} RENAME CONSTRAINT pk_{old_table} TO pk_{table}")
