"""the whole article: identity, source, analysis, sections, entities and graph rows

Articles get the identity that a later file of the same article shares (a re-export updates
the stored article), the Source section, the deep analysis and the sections only shown (JSON),
and two tables of rows: the related and mentioned entities, and the entity graph's rows.

Stored articles get their identity here, computed as ingest computes it: they were stored
without a Source section, so it comes from their JSON Lines URL and title, or their title and
retelling. Where several stored articles share one identity (files of one article stored
before identities existed), only the first stored keeps it: later files update that one, and
the others stay as they were.

Revision ID: 0108
Revises: 0107
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.domain.articles import Article, identity_key

revision: str = "0108"
down_revision: str | None = "0107"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 2000


def upgrade() -> None:
    op.add_column("articles", sa.Column("identity_key", sa.String(64), nullable=True))
    op.add_column("articles", sa.Column("source", sa.Text(), nullable=True))
    op.add_column("articles", sa.Column("analysis", sa.JSON(), nullable=True))
    op.add_column("articles", sa.Column("sections", sa.JSON(), nullable=True))
    _store_identities()
    op.create_index("uq_articles_identity_key", "articles", ["identity_key"], unique=True)
    op.create_table(
        "article_entities",
        sa.Column("article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_entities_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "role", "position", name="pk_article_entities"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "article_connections",
        sa.Column("article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("main", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("shared", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_connections_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "position", name="pk_article_connections"),
        sqlite_with_rowid=False,
    )


def _store_identities() -> None:
    connection = op.get_bind()
    seen: set[str] = set()
    after = 0
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, title, retelling, url FROM articles WHERE id > :after "
                "ORDER BY id LIMIT :batch"
            ),
            {"after": after, "batch": _BATCH},
        ).all()
        if not rows:
            return
        updates = []
        for article_id, title, retelling, url in rows:
            article = Article(
                title=title,
                tags=(),
                takeaways=(),
                retelling=tuple(retelling.split("\n")),
                url=url,
                content_hash="-",  # not needed here, and costly to compute
            )
            key = identity_key(article)
            if key not in seen:
                seen.add(key)
                updates.append({"id": article_id, "key": key})
        if updates:
            connection.execute(
                sa.text("UPDATE articles SET identity_key = :key WHERE id = :id"), updates
            )
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_table("article_connections")
    op.drop_table("article_entities")
    op.drop_index("uq_articles_identity_key", table_name="articles")
    # SQLite (3.35 and later) and PostgreSQL both drop a column in place.
    for column in ("sections", "analysis", "source", "identity_key"):
        op.drop_column("articles", column)
