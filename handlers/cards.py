"""The buttons of an article card: the retelling and the analysis in pages, the connections,
and back to the takeaways; an entity's button opens its topic.

All but the entity buttons edit the card's own message in place, so a card never floods the
chat. A retelling short enough to fit in the card needs no button: it is in the card already,
as a collapsed quote (see bot.domain.cards)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import tzinfo
from functools import partial
from typing import Any

from telegram.ext import ExtBot

from bot.domain.card_sections import entity_names, render_analysis, render_connections
from bot.domain.cards import render_card, render_retelling, with_footer
from bot.domain.messages import Action, Message
from bot.domain.records import StoredArticle
from bot.domain.replies import ARTICLE_GONE
from bot.runtime.deps import Deps
from handlers.incoming import Press
from handlers.messages import carried, edit, send
from handlers.topics import page_footer

# What /topic answers, given the bot, chat, argument, zone and how to reply (TopicHandlers.show).
ShowTopic = Callable[
    [ExtBot[Any], int, str, tzinfo, Callable[[Message], Awaitable[object]]], Awaitable[None]
]


class CardHandlers:
    """Buttons on article cards."""

    def __init__(self, deps: Deps, show_topic: ShowTopic) -> None:
        self._deps = deps
        self._show_topic = show_topic

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
        card = render_card(stored, press.zone)
        if footer is not None:
            card = with_footer(card, footer) or Message(card.text, card.buttons + footer.buttons)
        await edit(press.query, card)

    async def connections(self, press: Press) -> None:
        """`cx:<article id>`: the entity graph and the article's entities, in place."""
        stored, _ = await self._article(press, press.ids[0])
        if stored is not None:
            await edit(press.query, render_connections(stored))

    async def analysis(self, press: Press) -> None:
        """`ana:<article id>:<page>`: that page of the deep analysis, in place."""
        article_id, page = press.ids
        stored, _ = await self._article(press, article_id)
        if stored is not None:
            await edit(press.query, render_analysis(stored, page))

    async def entity(self, press: Press) -> None:
        """`ent:<article id>:<number>`: the topic of one of the article's entities, as
        `/topic <name>` shows it (its label's cards, or a search for its name)."""
        article_id, number = press.ids
        stored, _ = await self._article(press, article_id)
        if stored is None:
            return
        names = entity_names(stored.article)
        if number >= len(names):
            return  # the article changed since the button was drawn; nothing to open
        bot, chat_id = press.bot, press.chat.id
        await self._show_topic(
            bot, chat_id, names[number], press.zone, partial(send, bot, chat_id)
        )

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
