"""The buttons of an article card: the full retelling in pages, and back to the takeaways.

Both edit the card's own message in place, so a retelling never floods the chat."""

from __future__ import annotations

from bot.domain.cards import render_card, render_retelling
from bot.domain.records import StoredArticle
from bot.domain.replies import ARTICLE_GONE
from bot.runtime.deps import Deps
from handlers.incoming import Press
from handlers.messages import edit


class CardHandlers:
    """Buttons on article cards."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def retell(self, press: Press) -> None:
        """`ret:<article id>:<page>`: show that page of the retelling in place."""
        article_id, page = press.ids
        stored = await self._article(press, article_id)
        if stored is not None:
            await edit(press.query, render_retelling(stored, page))

    async def takeaways(self, press: Press) -> None:
        """`tak:<article id>`: back to the card with the key takeaways, in place."""
        stored = await self._article(press, press.ids[0])
        if stored is not None:
            await edit(press.query, render_card(stored))

    async def nothing(self, press: Press) -> None:
        """A button that only shows something, like the page number: answered, it stays."""

    async def _article(self, press: Press, article_id: int) -> StoredArticle | None:
        """Return the article and answer the press, or say it is gone and drop the buttons."""
        async with self._deps.db.read() as repos:
            stored = await repos.articles.get(article_id)
        if stored is None:
            await press.gone(ARTICLE_GONE, drop=True)
        else:
            await press.answer()
        return stored
