"""contentless search index on SQLite

SQLite's FTS5 table kept a full copy of every article's folded text beside the index, so
ingest wrote each article twice. The index alone answers every query (rowid, MATCH, bm25):
`article_search` becomes contentless and is rebuilt from the stored articles. A contentless
table cannot forget a row by itself, so the delete trigger goes too: ArticleRepository.delete
takes the article out of the index with the text it was indexed with. PostgreSQL is unchanged.

Revision ID: 0102
Revises: 0101
"""

from collections.abc import Sequence

from alembic import op

from storage.fulltext import rebuild_index

revision: str = "0102"
down_revision: str | None = "0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOKENIZER = "tokenize = 'unicode61 remove_diacritics 0'"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS article_search_forget")
    op.execute("DROP TABLE article_search")
    op.execute(
        f"CREATE VIRTUAL TABLE article_search USING fts5("
        f"title, takeaways, retelling, content = '', {_TOKENIZER})"
    )
    rebuild_index(op.get_bind(), "sqlite")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE article_search")
    op.execute(
        "CREATE VIRTUAL TABLE article_search USING fts5("
        f"title, takeaways, retelling, {_TOKENIZER})"
    )
    op.execute(
        "CREATE TRIGGER article_search_forget AFTER DELETE ON articles "
        "BEGIN DELETE FROM article_search WHERE rowid = old.id; END"
    )
    rebuild_index(op.get_bind(), "sqlite")
