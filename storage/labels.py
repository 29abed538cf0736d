"""Hashtags and themes: the labels articles carry and chats follow."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.commands import suggestion_patterns
from bot.domain.labels import Label, LabelKind, fold_label
from storage.dialect import ROWS_PER_STATEMENT, insert_ignoring_conflicts
from storage.models import ArticleLabelRow, ArticleRow, LabelRow, table_of

LabelKey = tuple[str, str]  # (kind, folded key)

# A label is known once an article carries it; a provisional one (followed ahead of its first
# article) is no one else's business, so lookups and suggestions pass it by.
_KNOWN = LabelRow.provisional == false()


class LabelRepository:
    """Hashtags and themes, looked up by their folded key."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def ensure(
        self, wanted: dict[LabelKey, str], known: dict[LabelKey, int] | None = None
    ) -> dict[LabelKey, int]:
        """Return ids for (kind, key) -> display name, creating missing labels; `known` caches.

        A provisional label becomes a known one here, named as its first article names it."""
        cache = known if known is not None else {}
        missing = {k: name for k, name in wanted.items() if k not in cache}
        if missing:
            provisional = await self._insert(missing, provisional=False, into=cache)
            if provisional:
                table = table_of(LabelRow)
                await self._session.execute(
                    update(table)
                    .where(table.c.id == bindparam("label_id"))
                    .values(name=bindparam("label_name"), provisional=False),
                    [{"label_id": cache[k], "label_name": missing[k]} for k in provisional],
                )
        return {k: cache[k] for k in wanted}

    async def reserve(self, wanted: dict[LabelKey, str]) -> dict[LabelKey, Label]:
        """Return the labels (kind, key) -> display name, creating missing ones as provisional:
        labels a chat may follow before any article carries them."""
        ids: dict[LabelKey, int] = {}
        await self._insert(wanted, provisional=True, into=ids)
        labels = await self._session.scalars(
            select(LabelRow).where(LabelRow.id.in_([ids[k] for k in wanted]))
        )
        return {(row.kind, row.key): label_of(row) for row in labels}

    async def _insert(
        self, missing: dict[LabelKey, str], *, provisional: bool, into: dict[LabelKey, int]
    ) -> list[LabelKey]:
        """Insert the labels that do not exist yet; put every label's id into `into` and return
        those of `missing` that are provisional."""
        stmt = insert_ignoring_conflicts(self._dialect, LabelRow, "kind", "key")
        rows = [
            {"kind": kind, "key": key, "name": name, "provisional": provisional}
            for (kind, key), name in missing.items()
        ]
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            await self._session.execute(stmt, rows[start : start + ROWS_PER_STATEMENT])
        found: list[LabelKey] = []
        keys = list(missing)
        for start in range(0, len(keys), ROWS_PER_STATEMENT):
            part = keys[start : start + ROWS_PER_STATEMENT]
            result = await self._session.execute(
                select(LabelRow.kind, LabelRow.key, LabelRow.id, LabelRow.provisional).where(
                    LabelRow.key.in_({key for _, key in part})
                )
            )
            for kind, key, label_id, pending in result:
                into[(kind, key)] = label_id
                if pending and (kind, key) in missing:
                    found.append((kind, key))
        return found

    async def find(self, text: str, kind: LabelKind | None = None) -> list[Label]:
        """Return the known labels whose folded key equals that of `text` (tags before
        themes)."""
        key = fold_label(text)
        if not key:
            return []
        stmt = select(LabelRow).where(LabelRow.key == key, _KNOWN)
        if kind is not None:
            stmt = stmt.where(LabelRow.kind == kind.value)
        rows = (await self._session.scalars(stmt.order_by(LabelRow.kind))).all()
        return [label_of(row) for row in rows]

    async def with_keys(self, keys: Collection[str]) -> list[Label]:
        """Return the known labels whose folded key is one of `keys`."""
        wanted = sorted(keys)
        found: list[Label] = []
        for start in range(0, len(wanted), ROWS_PER_STATEMENT):
            part = wanted[start : start + ROWS_PER_STATEMENT]
            rows = await self._session.scalars(
                select(LabelRow).where(LabelRow.key.in_(part), _KNOWN).order_by(LabelRow.id)
            )
            found += [label_of(row) for row in rows]
        return found

    async def get(self, label_id: int) -> Label | None:
        """Return one label by id, provisional or not."""
        row = await self._session.get(LabelRow, label_id)
        return None if row is None else label_of(row)

    async def similar(self, key: str, *more: str, limit: int = 2000) -> list[Label]:
        """Return up to `limit` known labels that may be close to any of the folded keys, for
        suggestions.

        The LIKE prefilter (see suggestion_patterns) keeps the candidates few however many
        labels there are; the caller ranks them."""
        patterns = list(dict.fromkeys(p for k in (key, *more) for p in suggestion_patterns(k)))
        if not patterns:
            return []
        stmt = (
            select(LabelRow)
            .where(or_(*(LabelRow.key.like(pattern, escape="\\") for pattern in patterns)))
            .where(_KNOWN)
            .limit(limit)
        )
        return [label_of(row) for row in (await self._session.scalars(stmt)).all()]

    async def active(self, since: datetime | None, *, limit: int) -> list[tuple[Label, int]]:
        """Return the labels with the most articles since `since` (all time if None)."""
        articles = func.count(ArticleLabelRow.article_id).label("articles")
        stmt = select(LabelRow, articles).join(
            ArticleLabelRow, ArticleLabelRow.label_id == LabelRow.id
        )
        if since is not None:
            # ingested_at is indexed and narrows the scan; sort_at is what "of the last days"
            # means for an article whose source gave its publication time.
            stmt = stmt.join(ArticleRow, ArticleRow.id == ArticleLabelRow.article_id).where(
                ArticleRow.ingested_at >= since, ArticleRow.sort_at >= since
            )
        stmt = stmt.group_by(LabelRow.id).order_by(articles.desc(), LabelRow.key, LabelRow.id)
        result = await self._session.execute(stmt.limit(limit))
        return [(label_of(row), int(count)) for row, count in result]


def label_of(row: LabelRow) -> Label:
    """Return a label row as the domain's Label."""
    return Label(
        id=row.id,
        kind=LabelKind(row.kind),
        key=row.key,
        name=row.name,
        provisional=bool(row.provisional),
    )
