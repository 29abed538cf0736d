"""/subscribe, /unsubscribe, /subscriptions and their buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.domain.commands import (
    Ambiguous,
    ParsedLabels,
    Resolved,
    parse_labels,
    rank_suggestions,
    resolve,
)
from bot.domain.labels import Label
from bot.domain.messages import Message
from bot.domain.replies import (
    LABEL_GONE,
    AdminsOnly,
    LabelProblems,
    SubscribeReport,
    UnsubscribeReport,
    label_title,
    subscribe_reply,
    subscribe_usage,
    subscriptions_card,
    unsubscribe_reply,
    unsubscribe_usage,
    unusable_labels,
)
from bot.runtime.deps import Deps
from handlers.incoming import Command, Press
from handlers.messages import edit, send
from handlers.topics import active_labels
from storage.repos import Repos

# A chat follows at most this many labels: /subscriptions shows one button per label, and
# Telegram keyboards hold about a hundred buttons.
MAX_SUBSCRIPTIONS = 50
SUGGESTIONS_PER_LABEL = 3


def _problems(parsed: ParsedLabels) -> LabelProblems:
    return LabelProblems(
        not_labels=parsed.not_labels, too_long=parsed.too_long, too_many=parsed.too_many
    )


async def _labels_to_change(
    said: Command, command: str, usage: Callable[[], Awaitable[Message]]
) -> ParsedLabels | None:
    """Return the labels a command changes, or None once it has answered otherwise: with
    `usage` when it names no labels, a refusal to a non-admin, or why no label is usable."""
    if not said.argument:
        await said.reply(await usage())
        return None
    if not await said.admins_only(AdminsOnly.SUBSCRIPTIONS):
        return None
    parsed = parse_labels(said.argument)
    if not parsed.labels:
        await said.reply(unusable_labels(_problems(parsed), command))
        return None
    return parsed


class SubscriptionHandlers:
    """What a chat follows: commands and buttons."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def subscribe(self, said: Command) -> None:
        now = self._deps.clock()

        async def usage() -> Message:
            async with self._deps.db.read() as repos:
                active = await active_labels(repos, now, 6)
            return subscribe_usage([label for label, _ in active])

        parsed = await _labels_to_change(said, "subscribe", usage)
        if parsed is None:
            return
        report = SubscribeReport(problems=_problems(parsed))
        async with self._deps.db.transaction() as repos:
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
            await _add(repos, said.chat.id, chosen, report, now)
        await said.reply(subscribe_reply(report, MAX_SUBSCRIPTIONS))

    async def unsubscribe(self, said: Command) -> None:
        chat = said.chat

        async def usage() -> Message:
            async with self._deps.db.read() as repos:
                return unsubscribe_usage(await repos.subscriptions.for_chat(chat.id))

        parsed = await _labels_to_change(said, "unsubscribe", usage)
        if parsed is None:
            return
        report = UnsubscribeReport(problems=_problems(parsed))
        async with self._deps.db.transaction() as repos:
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
        await said.reply(unsubscribe_reply(report))

    async def subscriptions(self, said: Command) -> None:
        async with self._deps.db.read() as repos:
            following = await repos.subscriptions.for_chat(said.chat.id)
        await said.reply(subscriptions_card(following))

    async def subscribe_button(self, press: Press) -> None:
        """A suggestion button (`sub:<label id>`): subscribe, and say so in the chat."""
        if not await press.admins_only(AdminsOnly.SUBSCRIPTIONS):
            return
        chat_id = press.chat.id
        now = self._deps.clock()
        report = SubscribeReport()
        async with self._deps.db.transaction() as repos:
            label = await repos.labels.get(press.ids[0])
            if label is not None:
                await _add(repos, chat_id, [label], report, now)
        if label is None:
            await press.gone(LABEL_GONE)
            return
        if report.added:
            await press.answer(f"Subscribed to {label_title(label)}")
        else:
            await press.answer(f"Already subscribed to {label_title(label)}")
        await send(press.bot, chat_id, subscribe_reply(report, MAX_SUBSCRIPTIONS))

    async def unsubscribe_button(self, press: Press) -> None:
        """A "✖ label" button (`uns:<label id>`): remove it; the list updates in place."""
        if not await press.admins_only(AdminsOnly.SUBSCRIPTIONS):
            return
        chat_id = press.chat.id
        async with self._deps.db.transaction() as repos:
            label = await repos.labels.get(press.ids[0])
            removed = await repos.subscriptions.remove(chat_id, press.ids)
            following = await repos.subscriptions.for_chat(chat_id)
        name = label_title(label) if label is not None else "that label"
        if removed:
            await press.answer(f"Unsubscribed from {name}")
        else:
            await press.answer(f"This chat doesn't follow {name}")
        await edit(press.query, subscriptions_card(following))


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
