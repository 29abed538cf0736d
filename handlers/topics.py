"""/topic: the newest articles for a hashtag or theme, a few cards at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.domain.cards import Action, Card, render_card
from bot.domain.commands import parse_labels, rank_suggestions
from bot.domain.labels import Label, LabelKind
from bot.domain.records import StoredArticle
from bot.domain.replies import (
    LABEL_GONE,
    MAX_LABEL_BUTTONS,
    LabelProblems,
    topic_more,
    topic_more_done,
    topic_not_found,
    topic_text_matches,
    topic_usage_card,
    topic_usage_one_label,
    unusable_labels,
)
from bot.runtime.deps import Deps
from handlers.common import (
    COMMAND_UPDATES,
    argument_of,
    chat_and_message,
    edit,
    record_chat,
    reply,
    send,
)
from handlers.keyboards import PATTERNS, parse_ids
from storage.repos import Repos

if TYPE_CHECKING:
    from bot.runtime.types import BotApp

# Cards per /topic message burst: enough to read, few enough not to flood the chat.
PAGE_SIZE = 3
# "The most active labels of the last days".
ACTIVE_DAYS = 7


async def active_labels(repos: Repos, now: datetime, limit: int) -> list[tuple[Label, int]]:
    """Return the labels with the most articles of the last days (of all time if none)."""
    recent = await repos.labels.active(now - timedelta(days=ACTIVE_DAYS), limit=limit)
    return recent or await repos.labels.active(None, limit=limit)


def primary(labels: Sequence[Label]) -> Label:
    """Return the label that names a group of labels sharing one key: the hashtag first."""
    return min(labels, key=lambda label: (label.kind is not LabelKind.TAG, label.id))


class TopicHandlers:
    """/topic and the buttons that lead to topics."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def topic(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = chat_and_message(update)
        if found is None:
            return
        chat, message = found
        argument = argument_of(message)
        now = self._deps.clock()
        await record_chat(self._deps.db, chat, now)
        if not argument:
            async with self._deps.db.read() as repos:
                active = await active_labels(repos, now, MAX_LABEL_BUTTONS)
            await reply(message, topic_usage_card(active, ACTIVE_DAYS))
            return
        parsed = parse_labels(argument)
        request = parsed.labels[0] if len(parsed.labels) == 1 else None
        labels: list[Label] = []
        page: tuple[list[StoredArticle], int] | None = None
        matches: list[StoredArticle] = []
        suggestions: list[Label] = []
        async with self._deps.db.read() as repos:
            if request is not None:
                labels = _ordered(await repos.labels.find(request.key))
            if labels:
                page = await _page(repos, labels, 0)
            elif not parsed.too_long:
                # Not a known hashtag or theme: search the articles' text instead.
                matches = await repos.articles.search_text(argument, limit=PAGE_SIZE)
            if not labels and not matches and request is not None:
                candidates = await repos.labels.similar(request.key)
                suggestions = rank_suggestions(request.key, candidates, limit=MAX_LABEL_BUTTONS)
        if labels and page is not None:
            await self._send_page(context, chat.id, labels, page, 0)
            return
        if matches:
            for stored in matches:
                await send(context.bot, chat.id, render_card(stored))
            await send(context.bot, chat.id, topic_text_matches(argument, len(matches)))
            return
        if request is not None:
            await reply(message, topic_not_found(request.text, suggestions))
        elif len(parsed.labels) > 1:
            await reply(message, topic_usage_one_label())
        else:
            problems = LabelProblems(not_labels=parsed.not_labels, too_long=parsed.too_long)
            await reply(message, unusable_labels(problems, "topic"))

    async def open_topic(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A topic button (`top:<label id>`): the first page of cards."""
        query = update.callback_query
        if query is None or query.message is None:
            return
        ids = parse_ids(Action.TOPIC, query.data)
        if ids is None:
            await query.answer()
            return
        async with self._deps.db.read() as repos:
            labels = await _siblings(repos, ids[0])
            page = await _page(repos, labels, 0) if labels else None
        if not labels or page is None:
            await query.answer(LABEL_GONE)
            return
        await query.answer()
        await self._send_page(context, query.message.chat.id, labels, page, 0)

    async def more(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The "More" button (`more:<label id>:<offset>`): the next few cards."""
        query = update.callback_query
        if query is None or query.message is None:
            return
        ids = parse_ids(Action.MORE, query.data)
        if ids is None:
            await query.answer()
            return
        label_id, offset = ids
        async with self._deps.db.read() as repos:
            labels = await _siblings(repos, label_id)
            page = await _page(repos, labels, offset) if labels else None
        if not labels or page is None:
            await query.answer(LABEL_GONE)
            return
        await query.answer()
        total = page[1]
        # The old footer keeps its count but loses its button: "More" is pressed once.
        await edit(query, topic_more_done(labels, min(offset, total), total))
        await self._send_page(context, query.message.chat.id, labels, page, offset)

    async def active(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The "Active topics" button."""
        query = update.callback_query
        if query is None or query.message is None:
            return
        now = self._deps.clock()
        async with self._deps.db.read() as repos:
            active = await active_labels(repos, now, MAX_LABEL_BUTTONS)
        await query.answer()
        await send(context.bot, query.message.chat.id, topic_usage_card(active, ACTIVE_DAYS))

    async def _send_page(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        chat_id: int,
        labels: Sequence[Label],
        page: tuple[list[StoredArticle], int],
        offset: int,
    ) -> None:
        articles, total = page
        if not articles:
            await send(context.bot, chat_id, _no_more(labels, total))
            return
        for stored in articles:
            await send(context.bot, chat_id, render_card(stored))
        shown = offset + len(articles)
        if shown < total:
            more = topic_more(labels, primary(labels).id, shown, total)
            await send(context.bot, chat_id, more)


def _no_more(labels: Sequence[Label], total: int) -> Card:
    if total:
        return topic_more_done(labels, total, total)
    return topic_not_found(labels[0].name, ())


async def _siblings(repos: Repos, label_id: int) -> list[Label]:
    """Return a label and the label of the other kind with the same key, if any (hashtag
    first)."""
    label = await repos.labels.get(label_id)
    if label is None:
        return []
    return _ordered(await repos.labels.find(label.key))


def _ordered(labels: Sequence[Label]) -> list[Label]:
    return sorted(labels, key=lambda label: (label.kind is not LabelKind.TAG, label.id))


async def _page(
    repos: Repos, labels: Sequence[Label], offset: int
) -> tuple[list[StoredArticle], int]:
    ids = [label.id for label in labels]
    articles = await repos.articles.latest_for_labels(ids, limit=PAGE_SIZE, offset=offset)
    return articles, await repos.articles.count_for_labels(ids)


def register(app: BotApp, deps: Deps) -> None:
    """Add /topic and its buttons."""
    topics = TopicHandlers(deps)
    app.add_handler(CommandHandler("topic", topics.topic, filters=COMMAND_UPDATES))
    app.add_handler(CallbackQueryHandler(topics.open_topic, pattern=PATTERNS[Action.TOPIC]))
    app.add_handler(CallbackQueryHandler(topics.more, pattern=PATTERNS[Action.MORE]))
    app.add_handler(CallbackQueryHandler(topics.active, pattern=PATTERNS[Action.ACTIVE]))
