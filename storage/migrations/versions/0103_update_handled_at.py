"""when an update was handled

A webhook process takes an update, handles it, then records that it did. An update taken but
never recorded as handled belongs to a process that stopped mid-way: once its lease is over,
the next copy Telegram delivers is handled again instead of being lost. Updates taken before
this migration were handled the old way (taken and handled at once).

Revision ID: 0103
Revises: 0102
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0103"
down_revision: str | None = "0102"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("handled_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE processed_updates SET handled_at = received_at")


def downgrade() -> None:
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.drop_column("handled_at")
