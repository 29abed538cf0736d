"""full-text search

The search index over each article's title, takeaways and retelling, filled from the
articles already stored. SQLite: an FTS5 table `article_search` whose rowid is the article
id, and a trigger that forgets deleted articles (a batch migration that rebuilds `articles`
drops the trigger and must create it again). PostgreSQL: `article_search` with a tsvector
per article and a GIN index; deleted articles go by the foreign key. The ingest path adds new
articles (storage.fulltext); the text is folded in Python, never by the database's locale.

Revision ID: 0100
Revises: 0004
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.fulltext import index_row, index_sql

revision: str = "0100"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL_BATCH = 2000


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.create_table(
            "article_search",
            sa.Column("article_id", sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column("document", postgresql.TSVECTOR(), nullable=False),
            sa.ForeignKeyConstraint(
                ["article_id"],
                ["articles.id"],
                name=op.f("fk_article_search_article_id_articles"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_search")),
        )
    else:
        # Text arrives folded (see storage.fulltext), so the tokenizer only splits words.
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5("
            "title, takeaways, retelling, tokenize = 'unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER article_search_forget AFTER DELETE ON articles "
            "BEGIN DELETE FROM article_search WHERE rowid = old.id; END"
        )
    _backfill(dialect)
    if dialect == "postgresql":
        # Built after the backfill: one bulk build is far quicker than row-by-row updates.
        op.create_index(
            "ix_article_search_document",
            "article_search",
            ["document"],
            postgresql_using="gin",
        )


def _backfill(dialect: str) -> None:
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, title, takeaways, retelling FROM articles "
                "WHERE id > :after ORDER BY id LIMIT :batch"
            ),
            {"after": after, "batch": _BACKFILL_BATCH},
        ).all()
        if not rows:
            return
        batch = []
        for article_id, title, takeaways, retelling in rows:
            listed = json.loads(takeaways) if isinstance(takeaways, str) else takeaways
            batch.append(index_row(dialect, article_id, title, listed, retelling.split("\n")))
        connection.exec_driver_sql(index_sql(dialect), batch)
        after = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_article_search_document", table_name="article_search")
        op.drop_table("article_search")
    else:
        op.execute("DROP TRIGGER article_search_forget")
        op.execute("DROP TABLE article_search")
