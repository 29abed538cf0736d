"""search index with id ranges on PostgreSQL

The GIN index over `article_search.document` becomes one over the document plus six lexemes
naming the blocks of 2**10, 2**12 ... 2**20 consecutive ids the article is in (see
storage.fulltext.RANGED_SQL, which must stay the very expression indexed here). A query ANDed
with the blocks of the newest ids then reads the index entries of those ids only, instead of
every entry of its words: a word in one article of ten costs a tenth of a million entries at a
million articles. The table is unchanged; building the index takes about a minute per million
articles, during which ingest waits. SQLite is unchanged.

Revision ID: 0104
Revises: 0103
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0104"
down_revision: str | None = "0103"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RANGED = (
    "(document || array_to_tsvector(ARRAY["
    "'_10_' || (article_id >> 10)::text, '_12_' || (article_id >> 12)::text, "
    "'_14_' || (article_id >> 14)::text, '_16_' || (article_id >> 16)::text, "
    "'_18_' || (article_id >> 18)::text, '_20_' || (article_id >> 20)::text]))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_article_search_ranged ON article_search USING gin ({_RANGED})")
    op.drop_index("ix_article_search_document", table_name="article_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        "ix_article_search_document", "article_search", ["document"], postgresql_using="gin"
    )
    op.drop_index("ix_article_search_ranged", table_name="article_search")
