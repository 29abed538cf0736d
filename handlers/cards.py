"""The buttons of an article card: the retelling and the analysis in pages, the connections,
and back to the takeaways; an entity's button opens its topic.

All but the entity buttons edit the card's own message in place, so a card never floods the
chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import tzinfo
from functools import partial
from typing import Any

from telegram.ext import ExtBot

from bot.domain.card_sections import entity_names, render_analysis, render_connections
from bot.domain.cards import render_card, render_retelling
from bot.domain.messages import Message
from bot.domain.records import StoredArticle
from bot.domain.replies import ARTICLE_GONE
from bot.runtime.deps import Deps
from handlers.incoming import Press
from handlers.messages import edit, send

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
        """`ret:<article id>:<page>`: show that page of the retelling in place."""
        article_id, page = press.ids
        stored = await self._article(press, article_id)
        if stored is not None:
            await edit(press.query, render_retelling(stored, page))

    async def takeaways(self, press: Press) -> None:
        """`tak:<article id>`: back to the card with the key takeaways, in place."""
        stored = await self._article(press, press.ids[0])
        if stored is not None:
            await edit(press.query, render_card(stored, press.zone))

    async def connections(self, press: Press) -> None:
        """`cx:<article id>`: the entity graph and the article's entities, in place."""
        stored = await self._article(press, press.ids[0])
        if stored is not None:
            await edit(press.query, render_connections(stored))

    async def analysis(self, press: Press) -> None:
        """`ana:<article id>:<page>`: that page of the deep analysis, in place."""
        article_id, page = press.ids
        stored = await self._article(press, article_id)
        if stored is not None:
            await edit(press.query, render_analysis(stored, page))

    async def entity(self, press: Press) -> None:
        """`ent:<article id>:<number>`: the topic of one of the article's entities, as
        `/topic <name>` shows it (its label's cards, or a search for its name)."""
        article_id, number = press.ids
        stored = await self._article(press, article_id)
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

    async def _article(self, press: Press, article_id: int) -> StoredArticle | None:
        """Return the article and answer the press, or say it is gone and drop the buttons."""
        async with self._deps.db.read() as repos:
            stored = await repos.articles.get(article_id)
        if stored is None:
            await press.gone(ARTICLE_GONE, drop=True)
        else:
            await press.answer()
        return stored
