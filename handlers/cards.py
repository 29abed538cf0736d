"""The buttons of an article card: the full retelling in pages, and back to the takeaways.

Both edit the card's own message in place, so a retelling never floods the chat. A retelling
short enough to fit in the card needs neither: it is in the card already, as a collapsed
quote (see bot.domain.cards)."""

from __future__ import annotations

from bot.domain.cards import render_card, render_retelling, with_footer
from bot.domain.messages import Action, Message
from bot.domain.records import StoredArticle
from bot.domain.replies import ARTICLE_GONE
from bot.runtime.deps import Deps
from handlers.incoming import Press
from handlers.messages import carried, edit
from handlers.topics import page_footer


class CardHandlers:
    """Buttons on article cards."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def retell(self, press: Press) -> None:
        """`ret:<article id>:<page>`: show that page of the retelling in place.

        On a page's last card the "More" stays under the retelling (its line does not: a
        retelling page fills a message)."""
        article_id, number = press.ids
        stored, _ = await self._article(press, article_id)
        if stored is not None:
            shown = render_retelling(stored, number)
            more = carried(press.query, Action.MORE)
            await edit(press.query, Message(shown.text, shown.buttons + more))

    async def takeaways(self, press: Press) -> None:
        """`tak:<article id>`: back to the card with the key takeaways, in place (with the
        page's footer again if it is a page's last card)."""
        stored, footer = await self._article(press, press.ids[0], with_footer=True)
        if stored is None:
            return
        card = render_card(stored)
        if footer is not None:
            card = with_footer(card, footer) or Message(card.text, card.buttons + footer.buttons)
        await edit(press.query, card)

    async def nothing(self, press: Press) -> None:
        """A button that only shows something, like the page number: answered, it stays."""

    async def _article(
        self, press: Press, article_id: int, *, with_footer: bool = False
    ) -> tuple[StoredArticle | None, Message | None]:
        """Return the article (and, if asked, the footer of the page the card ends) and answer
        the press, or say the article is gone and drop the buttons."""
        more = carried(press.query, Action.MORE) if with_footer else ()
        footer = None
        async with self._deps.db.read() as repos:
            stored = await repos.articles.get(article_id)
            if stored is not None and more:
                label_id, shown = more[0][0].args
                footer = await page_footer(repos, int(label_id), int(shown))
        if stored is None:
            await press.gone(ARTICLE_GONE, drop=True)
        else:
            await press.answer()
        return stored, footer
