"""labels followed before any article carries them

A chat may follow a hashtag or theme no article carries yet ("/subscribe #Football"): the label
is stored at once, marked provisional, so the subscription has a label id to refer to. The first
article that carries it makes it an ordinary label. Until then it is no known label: lookups,
suggestions and /topic pass it by, so one chat's follows never show up in another's answers.

Revision ID: 0106
Revises: 0105
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0106"
down_revision: str | None = "0105"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite need not rebuild `labels`, which two tables refer to.
    op.add_column(
        "labels",
        sa.Column("provisional", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("labels", "provisional")
