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

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.fulltext import rebuild_index

revision: str = "0100"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
    rebuild_index(op.get_bind(), dialect)
    if dialect == "postgresql":
        # Built after the backfill: one bulk build is far quicker than row-by-row updates.
        op.create_index(
            "ix_article_search_document",
            "article_search",
            ["document"],
            postgresql_using="gin",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_article_search_document", table_name="article_search")
        op.drop_table("article_search")
    else:
        op.execute("DROP TRIGGER article_search_forget")
        op.execute("DROP TABLE article_search")
