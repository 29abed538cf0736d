"""/topic: the newest articles for a hashtag or theme, or the best matches for words in the
articles' text, a few cards at a time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

import telegram
from telegram.ext import ExtBot

from bot.domain.cards import page, render_card
from bot.domain.commands import parse_labels, rank_suggestions
from bot.domain.labels import Label, LabelKind
from bot.domain.messages import Message
from bot.domain.records import StoredArticle
from bot.domain.replies import (
    LABEL_GONE,
    MAX_LABEL_BUTTONS,
    MORE_SHOWN,
    LabelProblems,
    plain_text_reply,
    topic_more,
    topic_more_done,
    topic_not_found,
    topic_usage_card,
    topic_usage_one_label,
    unusable_labels,
)
from bot.domain.results import (
    RESULTS_GONE,
    query_too_long,
    searched_query,
    text_results,
)
from bot.domain.search import MAX_QUERY_CHARS
from bot.runtime.deps import Deps
from handlers.incoming import Command, Press
from handlers.messages import retire, send, send_all, typing
from storage.repos import Repos

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

    async def topic(self, said: Command) -> None:
        await self.show(said.bot, said.chat.id, said.argument, said.zone, said.reply)

    async def answer(self, said: Command, text: str) -> None:
        """Plain text in a private chat: answered as `/topic <text>`."""
        await self.show(said.bot, said.chat.id, text, said.zone, said.reply, plain=True)

    async def show(
        self,
        bot: ExtBot[Any],
        chat_id: int,
        argument: str,
        zone: tzinfo,
        reply: Callable[[Message], Awaitable[object]],
        *,
        plain: bool = False,
    ) -> None:
        """Answer `/topic <argument>` (or `plain` text) in a chat: the page of the label the
        text names, else the best matches for its words in the articles' text, or `reply` with
        why there are none. Also what an entity's button on a card opens (see handlers.cards)."""
        if not argument:
            async with self._deps.db.read() as repos:
                active = await active_labels(repos, self._deps.clock(), MAX_LABEL_BUTTONS)
            await reply(topic_usage_card(active, ACTIVE_DAYS))
            return
        parsed = parse_labels(argument)
        request = parsed.labels[0] if len(parsed.labels) == 1 else None
        too_long = len(argument) > MAX_QUERY_CHARS
        labels: list[Label] = []
        page: tuple[list[StoredArticle], int] | None = None
        found: tuple[list[StoredArticle], int] = ([], 0)
        suggestions: list[Label] = []
        async with self._deps.db.read() as repos:
            if request is not None:
                labels = _ordered(await repos.labels.find(request.key))
            if labels:
                page = await _page(repos, labels, 0)
            elif not too_long:
                # Not a known hashtag or theme: search the articles' text instead.
                async with typing(bot, chat_id):
                    found = await repos.articles.search_page(argument, limit=PAGE_SIZE)
            if not labels and not found[0] and request is not None and not too_long:
                candidates = await repos.labels.similar(request.key)
                suggestions = rank_suggestions(request.key, candidates, limit=MAX_LABEL_BUTTONS)
        if labels and page is not None:
            await _send_page(bot, chat_id, labels, page, 0, zone=zone)
        elif found[0]:
            await _send_results(bot, chat_id, argument, found, 0, zone=zone)
        elif too_long and len(parsed.labels) <= 1:
            await reply(query_too_long(len(argument)))
        elif request is not None:
            await reply(topic_not_found(request.text, suggestions))
        elif len(parsed.labels) > 1:
            await reply(topic_usage_one_label())
        elif plain:
            await reply(plain_text_reply(argument, ()))
        else:
            problems = LabelProblems(not_labels=parsed.not_labels, too_long=parsed.too_long)
            await reply(unusable_labels(problems, "topic"))

    async def text_more(self, press: Press) -> None:
        """The "More" button under free-text results (`tm:<offset>`): the next few cards of
        the query the message quotes (see bot.domain.results), once (see `more`)."""
        if not await retire(press.query):
            await press.answer(MORE_SHOWN)
            return
        (offset,) = press.ids
        message = press.query.message
        query = searched_query(message.text if isinstance(message, telegram.Message) else None)
        if query is None:
            await press.gone(RESULTS_GONE, drop=True)
            return
        async with self._deps.db.read() as repos:
            found = await repos.articles.search_page(query, limit=PAGE_SIZE, offset=offset)
        await press.answer()
        await _send_results(press.bot, press.chat.id, query, found, offset, zone=press.zone)

    async def open_topic(self, press: Press) -> None:
        """A topic button (`top:<label id>`): the first page of cards."""
        found = await self._topic_page(press, press.ids[0], 0)
        if found is not None:
            await _send_page(press.bot, press.chat.id, *found, 0, zone=press.zone)

    async def more(self, press: Press) -> None:
        """The "More" button (`more:<label id>:<offset>`): the next few cards, once.

        The button leaves the card it rides on first (the card keeps its "Showing…" line):
        a second press, a double tap or one queued behind the first, finds it gone and sends
        nothing. Its answer waits for that one edit, since the answer says which press it was."""
        if not await retire(press.query):
            await press.answer(MORE_SHOWN)
            return
        label_id, offset = press.ids
        found = await self._topic_page(press, label_id, offset)
        if found is not None:
            await _send_page(press.bot, press.chat.id, *found, offset, zone=press.zone)

    async def active(self, press: Press) -> None:
        """The "Active topics" button."""
        async with self._deps.db.read() as repos:
            active = await active_labels(repos, self._deps.clock(), MAX_LABEL_BUTTONS)
        await press.answer()
        await send(press.bot, press.chat.id, topic_usage_card(active, ACTIVE_DAYS))

    async def _topic_page(
        self, press: Press, label_id: int, offset: int
    ) -> tuple[list[Label], tuple[list[StoredArticle], int]] | None:
        """Return a topic's labels and a page of it and answer the press, or say it is gone."""
        async with self._deps.db.read() as repos:
            labels = await _siblings(repos, label_id)
            page = await _page(repos, labels, offset) if labels else None
        if not labels or page is None:
            await press.gone(LABEL_GONE)
            return None
        await press.answer()
        return labels, page


async def _send_results(
    bot: ExtBot[Any],
    chat_id: int,
    query: str,
    found: tuple[list[StoredArticle], int],
    offset: int,
    *,
    zone: tzinfo,
) -> None:
    articles, total = found
    cards = [render_card(stored, zone) for stored in articles]
    await send_page(bot, chat_id, cards, text_results(query, offset + len(articles), total))


async def send_page(
    bot: ExtBot[Any], chat_id: int, cards: Sequence[Message], footer: Message | None
) -> None:
    """Send a page of cards whose footer (a count, a "More") rides on the last card: a page
    of three cards is three messages, within the burst a chat's reply goes out in at once."""
    await send_all(bot, chat_id, page(cards, footer))


async def page_footer(repos: Repos, label_id: int, shown: int) -> Message | None:
    """Return the footer of a topic's page that ends after `shown` articles, None if the topic
    is gone or has no more."""
    labels = await _siblings(repos, label_id)
    if not labels:
        return None
    total = await repos.articles.count_for_labels([label.id for label in labels])
    return topic_more(labels, primary(labels).id, shown, total) if shown < total else None


async def _send_page(
    bot: ExtBot[Any],
    chat_id: int,
    labels: Sequence[Label],
    found: tuple[list[StoredArticle], int],
    offset: int,
    *,
    zone: tzinfo,
) -> None:
    articles, total = found
    if not articles:
        await send(bot, chat_id, _no_more(labels, total))
        return
    shown = offset + len(articles)
    footer = topic_more(labels, primary(labels).id, shown, total) if shown < total else None
    await send_page(bot, chat_id, [render_card(stored, zone) for stored in articles], footer)


def _no_more(labels: Sequence[Label], total: int) -> Message:
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
