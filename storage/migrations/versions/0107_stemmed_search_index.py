"""search index of stems

The search index held each article's folded words; it now holds their stems
(bot.domain.stems: Snowball English and Russian, a small Ukrainian rule set), the same text on
both databases, so `drone` finds `drones`. The index is emptied and rebuilt from the stored
articles (storage.fulltext.rebuild_index); on PostgreSQL its GIN index is dropped for the
rebuild and made again after, which is faster than updating it row by row. Tables keep their
form. Downgrading rebuilds the index of folded words.

Revision ID: 0107
Revises: 0106
"""

from collections.abc import Sequence

from alembic import op

from bot.domain.search import fold_text, search_words
from storage.fulltext import RANGED_SQL, rebuild_index

revision: str = "0107"
down_revision: str | None = "0106"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _rebuild(stemmed=True)


def downgrade() -> None:
    _rebuild(stemmed=False)


def _rebuild(*, stemmed: bool) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # A contentless FTS5 table cannot be told what to forget row by row without the old
        # text; 'delete-all' empties it at once.
        op.execute("INSERT INTO article_search (article_search) VALUES ('delete-all')")
    else:
        op.drop_index("ix_article_search_ranged", table_name="article_search")
        op.execute("TRUNCATE article_search")
    if stemmed:
        rebuild_index(op.get_bind(), dialect)
    else:
        rebuild_index(op.get_bind(), dialect, fields=_folded_words)
    if dialect != "sqlite":
        # The expression of migration 0104, which storage.fulltext.RANGED_SQL still is.
        op.execute(
            f"CREATE INDEX ix_article_search_ranged ON article_search USING gin ({RANGED_SQL})"
        )


def _folded_words(
    dialect: str, title: str, takeaways: Sequence[str], retelling: Sequence[str]
) -> tuple[str, str, str]:
    """The index text of revision 0105: folded text on SQLite, its words on PostgreSQL."""

    def fold(text: str) -> str:
        return fold_text(text) if dialect == "sqlite" else " ".join(search_words(text))

    return (fold(title), fold("\n".join(takeaways)), fold("\n".join(retelling)))
