"""/subscribe, /unsubscribe, /subscriptions and their buttons."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.domain.cards import Action
from bot.domain.commands import (
    Ambiguous,
    ParsedLabels,
    Resolved,
    parse_labels,
    rank_suggestions,
    resolve,
)
from bot.domain.labels import Label
from bot.domain.replies import (
    LABEL_GONE,
    LabelProblems,
    SubscribeReport,
    UnsubscribeReport,
    label_title,
    refusal_not_admin,
    subscribe_reply,
    subscribe_usage,
    subscriptions_card,
    unsubscribe_reply,
    unsubscribe_usage,
    unusable_labels,
)
from bot.runtime.deps import Deps
from handlers.common import (
    COMMAND_UPDATES,
    argument_of,
    chat_and_message,
    edit,
    may_change_subscriptions,
    record_chat,
    reply,
    send,
)
from handlers.keyboards import PATTERNS, parse_ids
from handlers.topics import active_labels
from storage.repos import Repos

if TYPE_CHECKING:
    from bot.runtime.types import BotApp

# A chat follows at most this many labels: /subscriptions shows one button per label, and
# Telegram keyboards hold about a hundred buttons.
MAX_SUBSCRIPTIONS = 50
SUGGESTIONS_PER_LABEL = 3


def _problems(parsed: ParsedLabels) -> LabelProblems:
    return LabelProblems(
        not_labels=parsed.not_labels, too_long=parsed.too_long, too_many=parsed.too_many
    )


class SubscriptionHandlers:
    """What a chat follows: commands and buttons."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = chat_and_message(update)
        if found is None:
            return
        chat, message = found
        argument = argument_of(message)
        now = self._deps.clock()
        if not argument:
            await record_chat(self._deps.db, chat, now)
            async with self._deps.db.read() as repos:
                active = await active_labels(repos, now, 6)
            await reply(message, subscribe_usage([label for label, _ in active]))
            return
        if not await may_change_subscriptions(
            context.bot, chat, message.from_user, message.sender_chat
        ):
            await message.reply_text(refusal_not_admin())
            return
        parsed = parse_labels(argument)
        if not parsed.labels:
            await reply(message, unusable_labels(_problems(parsed), "subscribe"))
            return
        report = SubscribeReport(problems=_problems(parsed))
        async with self._deps.db.transaction() as repos:
            await repos.chats.ensure(chat.id, chat.type, chat.title, now)
            chosen: list[Label] = []
            for request in parsed.labels:
                resolution = resolve(request, await repos.labels.find(request.key))
                if isinstance(resolution, Resolved):
                    chosen.append(resolution.label)
                elif isinstance(resolution, Ambiguous):
                    report.problems.ambiguous.append((request, resolution.tag, resolution.theme))
                else:
                    candidates = await repos.labels.similar(request.key)
                    suggestions = rank_suggestions(
                        request.key, candidates, limit=SUGGESTIONS_PER_LABEL
                    )
                    report.problems.unknown.append((request, suggestions))
            await _add(repos, chat.id, chosen, report, now)
        await reply(message, subscribe_reply(report, MAX_SUBSCRIPTIONS))

    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = chat_and_message(update)
        if found is None:
            return
        chat, message = found
        argument = argument_of(message)
        now = self._deps.clock()
        if not argument:
            await record_chat(self._deps.db, chat, now)
            async with self._deps.db.read() as repos:
                following = await repos.subscriptions.for_chat(chat.id)
            await reply(message, unsubscribe_usage(following))
            return
        if not await may_change_subscriptions(
            context.bot, chat, message.from_user, message.sender_chat
        ):
            await message.reply_text(refusal_not_admin())
            return
        parsed = parse_labels(argument)
        if not parsed.labels:
            await reply(message, unusable_labels(_problems(parsed), "unsubscribe"))
            return
        report = UnsubscribeReport(problems=_problems(parsed))
        async with self._deps.db.transaction() as repos:
            await repos.chats.ensure(chat.id, chat.type, chat.title, now)
            following = await repos.subscriptions.for_chat(chat.id)
            chosen: list[Label] = []
            for request in parsed.labels:
                # Only the chat's own labels can be removed, so they are all that is matched.
                resolution = resolve(request, following)
                if isinstance(resolution, Resolved):
                    chosen.append(resolution.label)
                elif isinstance(resolution, Ambiguous):
                    report.problems.ambiguous.append((request, resolution.tag, resolution.theme))
                else:
                    known = resolve(request, await repos.labels.find(request.key))
                    if isinstance(known, Resolved):
                        report.not_followed.append(known.label)
                    elif isinstance(known, Ambiguous):
                        report.not_followed.append(known.tag)
                    else:
                        suggestions = rank_suggestions(
                            request.key, following, limit=SUGGESTIONS_PER_LABEL
                        )
                        report.problems.unknown.append((request, suggestions))
            removed = set(await repos.subscriptions.remove(chat.id, [x.id for x in chosen]))
            report.removed = [label for label in chosen if label.id in removed]
            report.following = [label for label in following if label.id not in removed]
        await reply(message, unsubscribe_reply(report))

    async def subscriptions(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = chat_and_message(update)
        if found is None:
            return
        chat, message = found
        await record_chat(self._deps.db, chat, self._deps.clock())
        async with self._deps.db.read() as repos:
            following = await repos.subscriptions.for_chat(chat.id)
        await reply(message, subscriptions_card(following))

    async def subscribe_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A suggestion button (`sub:<label id>`): subscribe, and say so in the chat."""
        query = update.callback_query
        if query is None or query.message is None:
            return
        ids = parse_ids(Action.SUBSCRIBE, query.data)
        chat = query.message.chat
        if ids is None:
            await query.answer()
            return
        if not await may_change_subscriptions(context.bot, chat, query.from_user, None):
            await query.answer(refusal_not_admin(), show_alert=True)
            return
        now = self._deps.clock()
        report = SubscribeReport()
        async with self._deps.db.transaction() as repos:
            label = await repos.labels.get(ids[0])
            if label is not None:
                await repos.chats.ensure(chat.id, chat.type, chat.title, now)
                await _add(repos, chat.id, [label], report, now)
        if label is None:
            await query.answer(LABEL_GONE)
            return
        if report.added:
            await query.answer(f"Subscribed to {label_title(label)}")
        else:
            await query.answer(f"Already subscribed to {label_title(label)}")
        await send(context.bot, chat.id, subscribe_reply(report, MAX_SUBSCRIPTIONS))

    async def unsubscribe_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A "✖ label" button (`uns:<label id>`): remove it; the list updates in place."""
        query = update.callback_query
        if query is None or query.message is None:
            return
        ids = parse_ids(Action.UNSUBSCRIBE, query.data)
        chat = query.message.chat
        if ids is None:
            await query.answer()
            return
        if not await may_change_subscriptions(context.bot, chat, query.from_user, None):
            await query.answer(refusal_not_admin(), show_alert=True)
            return
        async with self._deps.db.transaction() as repos:
            label = await repos.labels.get(ids[0])
            removed = await repos.subscriptions.remove(chat.id, ids)
            following = await repos.subscriptions.for_chat(chat.id)
        name = label_title(label) if label is not None else "that label"
        if removed:
            await query.answer(f"Unsubscribed from {name}")
        else:
            await query.answer(f"This chat doesn't follow {name}")
        await edit(query, subscriptions_card(following))


async def _add(
    repos: Repos, chat_id: int, chosen: list[Label], report: SubscribeReport, now: datetime
) -> None:
    """Subscribe to the chosen labels as far as the chat's limit allows; fill in the report."""
    current = {label.id for label in await repos.subscriptions.for_chat(chat_id)}
    fresh = list({label.id: label for label in chosen if label.id not in current}.values())
    report.already += [label for label in chosen if label.id in current]
    room = max(MAX_SUBSCRIPTIONS - len(current), 0)
    report.over_limit += fresh[room:]
    fresh = fresh[:room]
    added = set(await repos.subscriptions.add(chat_id, [label.id for label in fresh], now))
    report.added += [label for label in fresh if label.id in added]


def register(app: BotApp, deps: Deps) -> None:
    """Add the subscription commands and their buttons."""
    subs = SubscriptionHandlers(deps)
    app.add_handler(CommandHandler("subscribe", subs.subscribe, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("unsubscribe", subs.unsubscribe, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("subscriptions", subs.subscriptions, filters=COMMAND_UPDATES))
    app.add_handler(
        CallbackQueryHandler(subs.subscribe_button, pattern=PATTERNS[Action.SUBSCRIBE])
    )
    app.add_handler(
        CallbackQueryHandler(subs.unsubscribe_button, pattern=PATTERNS[Action.UNSUBSCRIBE])
    )
