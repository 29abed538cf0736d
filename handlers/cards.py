"""The buttons of an article card: the full retelling in pages, and back to the takeaways.

Both edit the card's own message in place, so a retelling never floods the chat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.domain.cards import Action, render_card, render_retelling
from bot.domain.replies import ARTICLE_GONE
from bot.runtime.deps import Deps
from handlers.common import drop_buttons, edit
from handlers.keyboards import PATTERNS, parse_ids

if TYPE_CHECKING:
    from bot.runtime.types import BotApp


class CardHandlers:
    """Buttons on article cards."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def retell(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`ret:<article id>:<page>`: show that page of the retelling in place."""
        query = update.callback_query
        if query is None:
            return
        ids = parse_ids(Action.RETELL, query.data)
        if ids is None:
            await query.answer()
            return
        article_id, page = ids
        async with self._deps.db.read() as repos:
            stored = await repos.articles.get(article_id)
        if stored is None:
            await query.answer(ARTICLE_GONE)
            await drop_buttons(query)
            return
        await query.answer()
        await edit(query, render_retelling(stored, page))

    async def takeaways(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """`tak:<article id>`: back to the card with the key takeaways, in place."""
        query = update.callback_query
        if query is None:
            return
        ids = parse_ids(Action.TAKEAWAYS, query.data)
        if ids is None:
            await query.answer()
            return
        async with self._deps.db.read() as repos:
            stored = await repos.articles.get(ids[0])
        if stored is None:
            await query.answer(ARTICLE_GONE)
            await drop_buttons(query)
            return
        await query.answer()
        await edit(query, render_card(stored))

    async def nothing(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button that only shows something, like the page number: answer and stay."""
        query = update.callback_query
        if query is not None:
            await query.answer()


def register(app: BotApp, deps: Deps) -> None:
    """Add the card buttons."""
    cards = CardHandlers(deps)
    app.add_handler(CallbackQueryHandler(cards.retell, pattern=PATTERNS[Action.RETELL]))
    app.add_handler(CallbackQueryHandler(cards.takeaways, pattern=PATTERNS[Action.TAKEAWAYS]))
    app.add_handler(CallbackQueryHandler(cards.nothing, pattern=PATTERNS[Action.NOTHING]))
