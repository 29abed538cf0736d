"""article labels clustered on their key (SQLite)

On SQLite, `article_labels` becomes a WITHOUT ROWID table: its primary key (article, label) is
the table itself instead of an index beside a rowid table, so each link is written to two
B-trees, not three. An ingest writes about ten links per article; this is a good part of its
time. PostgreSQL has no such distinction and is left as it is.

Revision ID: 0105
Revises: 0104
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0105"
down_revision: str | None = "0104"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = """
    article_id INTEGER NOT NULL,
    label_id INTEGER NOT NULL,
    sort_key BIGINT NOT NULL,
    position INTEGER NOT NULL,
    CONSTRAINT pk_article_labels PRIMARY KEY (article_id, label_id),
    CONSTRAINT fk_article_labels_article_id_articles FOREIGN KEY(article_id)
        REFERENCES articles (id) ON DELETE CASCADE,
    CONSTRAINT fk_article_labels_label_id_labels FOREIGN KEY(label_id)
        REFERENCES labels (id) ON DELETE CASCADE
"""


def _rebuild(rowid: bool) -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    # Nothing refers to article_labels, so a plain copy-and-rename keeps every reference.
    op.execute(f"CREATE TABLE article_labels_new ({_COLUMNS}){'' if rowid else ' WITHOUT ROWID'}")
    op.execute(
        "INSERT INTO article_labels_new (article_id, label_id, sort_key, position) "
        "SELECT article_id, label_id, sort_key, position FROM article_labels "
        "ORDER BY article_id, label_id"
    )
    op.execute("DROP TABLE article_labels")
    op.execute("ALTER TABLE article_labels_new RENAME TO article_labels")
    op.execute(
        "CREATE INDEX ix_article_labels_label_newest "
        "ON article_labels (label_id, sort_key, article_id)"
    )


def upgrade() -> None:
    _rebuild(rowid=False)


def downgrade() -> None:
    _rebuild(rowid=True)
