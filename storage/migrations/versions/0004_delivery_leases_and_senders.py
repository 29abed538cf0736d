"""delivery leases and senders

A claim on a ledger row holds until `claimed_until`: while several workers share one
PostgreSQL database, a row left "sending" is taken over only once its lease has run out.
`senders` lists the processes that send, each with its last heartbeat: the bot's flood budget
is shared out among the live ones.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "senders",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_senders")),
    )
    op.create_index("ix_senders_heartbeat_at", "senders", ["heartbeat_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_senders_heartbeat_at", table_name="senders")
    op.drop_table("senders")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
