"""Compose: the message of each claimed delivery, a digest or an alert's card."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.cards import render_card
from bot.domain.deliveries import Delivery, DeliveryKind
from bot.domain.digest import DigestEntry, compose_digest, rank_entries
from bot.domain.messages import Message
from bot.domain.preferences import nothing_new
from bot.domain.records import StoredArticle
from bot.domain.schedule import zone_for
from bot.runtime.config import Settings
from storage.repos import Repos


def digest_entry(stored: StoredArticle, matched: int) -> DigestEntry:
    """Return what a digest lists of a stored article."""
    article = stored.article
    return DigestEntry(
        article_id=stored.id,
        title=article.title,
        takeaway=article.takeaways[0] if article.takeaways else None,
        tags=article.tags,
        themes=article.themes,
        matched=matched,
        sort_at=stored.published_at,
    )


async def compose(
    repos: Repos, batch: Sequence[Delivery], settings: Settings
) -> dict[int, Message]:
    """Build the message of each delivery (none when there is nothing to send)."""
    if not batch:
        return {}
    digests = [d for d in batch if d.kind is DeliveryKind.DIGEST]
    items = await repos.ledger.digest_items([d.id for d in digests])
    chat_ids = [d.chat_id for d in digests]
    # Alerts too: their cards show when the article was published, in the chat's zone.
    zones = await repos.schedules.zones([d.chat_id for d in batch])
    followed = await repos.ledger.followed_keys(chat_ids)
    wanted = [article_id for rows in items.values() for article_id, _ in rows]
    wanted += [d.article_id for d in batch if d.article_id is not None]
    articles = {stored.id: stored for stored in await repos.articles.get_many(wanted)}
    contents: dict[int, Message] = {}
    for delivery in batch:
        if delivery.kind is DeliveryKind.ALERT:
            stored = articles.get(delivery.article_id or 0)
            if stored is not None:
                zone = zone_for(zones.get(delivery.chat_id) or settings.default_timezone)
                contents[delivery.id] = render_card(stored, zone)
            continue
        # Articles deleted since the digest was planned are left out.
        entries = rank_entries(
            [
                digest_entry(articles[article_id], matched)
                for article_id, matched in items.get(delivery.id, [])
                if article_id in articles
            ]
        )
        zone = zone_for(zones.get(delivery.chat_id) or settings.default_timezone)
        assert delivery.span_start is not None
        if not entries:
            if settings.digest.send_empty:
                contents[delivery.id] = nothing_new(delivery.span_start, zone)
            continue
        message = compose_digest(
            entries,
            total=len(entries),
            since=delivery.span_start,
            zone=zone,
            followed=followed.get(delivery.chat_id, set()),
            delivery_id=delivery.id,
            max_items=settings.digest.max_items,
        )
        contents[delivery.id] = message
    return contents
