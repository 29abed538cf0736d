"""/subscribe, /unsubscribe, /subscriptions and their buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.domain.commands import (
    Ambiguous,
    LabelRequest,
    ParsedLabels,
    Resolved,
    Unknown,
    label_candidates,
    rank_suggestions,
    resolve,
    split_labels,
)
from bot.domain.labels import Label, LabelKind
from bot.domain.messages import Message
from bot.domain.replies import (
    LABEL_GONE,
    AdminsOnly,
    LabelProblems,
    label_title,
    unusable_labels,
)
from bot.domain.subscriptions import (
    Question,
    SubscribeReport,
    UnsubscribeReport,
    subscribe_reply,
    subscribe_usage,
    subscriptions_card,
    unsubscribe_reply,
    unsubscribe_usage,
)
from bot.runtime.deps import Deps
from handlers.incoming import Command, Press
from handlers.messages import edit, retire
from handlers.topics import active_labels
from storage.repos import Repos

# A chat follows at most this many labels: /subscriptions shows one button per label, and
# Telegram keyboards hold about a hundred buttons.
MAX_SUBSCRIPTIONS = 50
# Suggestions for a label /subscribe does not know: with the button that follows it as typed,
# a row of three, which a phone still shows readably.
SUGGESTIONS_PER_LABEL = 2
# Followed labels offered for one /unsubscribe does not find.
REMOVALS_PER_LABEL = 3


def _problems(parsed: ParsedLabels) -> LabelProblems:
    return LabelProblems(
        not_labels=parsed.not_labels, too_long=parsed.too_long, too_many=parsed.too_many
    )


async def _may_change(
    said: Command, command: str, usage: Callable[[], Awaitable[Message]]
) -> bool:
    """Whether a command goes on to change labels; if not, it has answered: with `usage`
    when it names no labels, a refusal to a non-admin, or why no label is usable."""
    if not said.argument:
        await said.reply(await usage())
        return False
    if not await said.admins_only(AdminsOnly.SUBSCRIPTIONS):
        return False
    # Which words are known labels changes how they split, never whether any label is left.
    parsed = split_labels(said.argument, ())
    if not parsed.labels:
        await said.reply(unusable_labels(_problems(parsed), command))
        return False
    return True


async def _read(
    repos: Repos, chat_id: int, argument: str
) -> tuple[ParsedLabels, list[Label], list[Label]]:
    """Return the argument split into labels; the known labels and those the chat follows
    that it may name (the chat's own provisional labels included); and what the chat
    follows."""
    following = await repos.subscriptions.for_chat(chat_id)
    known = await repos.labels.with_keys(label_candidates(argument))
    labels = list({label.id: label for label in [*following, *known]}.values())
    return split_labels(argument, {label.key for label in labels}), labels, following


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

        if not await _may_change(said, "subscribe", usage):
            return
        chat_id = said.chat.id
        async with self._deps.db.transaction() as repos:
            parsed, labels, following = await _read(repos, chat_id, said.argument)
            report = SubscribeReport(problems=_problems(parsed))
            followed = {label.id for label in following}
            await _subscribe(
                repos, chat_id, parsed.labels, labels, followed=followed, report=report, now=now
            )
        await said.reply(subscribe_reply(report, MAX_SUBSCRIPTIONS))

    async def unsubscribe(self, said: Command) -> None:
        chat = said.chat

        async def usage() -> Message:
            async with self._deps.db.read() as repos:
                return unsubscribe_usage(await repos.subscriptions.for_chat(chat.id))

        if not await _may_change(said, "unsubscribe", usage):
            return
        async with self._deps.db.transaction() as repos:
            parsed, labels, following = await _read(repos, chat.id, said.argument)
            report = UnsubscribeReport(problems=_problems(parsed))
            chosen: list[Label] = []
            for request in parsed.labels:
                # Only the chat's own labels can be removed, so they are all that is matched.
                resolution = resolve(request, following)
                if isinstance(resolution, Resolved):
                    chosen.append(resolution.label)
                elif isinstance(resolution, Ambiguous):
                    choices = (resolution.tag, resolution.theme)
                    report.questions.append(Question(request, choices, ambiguous=True))
                else:
                    known = resolve(request, labels)
                    if isinstance(known, Resolved):
                        report.not_followed.append(known.label)
                    elif isinstance(known, Ambiguous):
                        report.not_followed.append(known.tag)
                    else:
                        close = rank_suggestions(request.key, following, limit=REMOVALS_PER_LABEL)
                        report.questions.append(Question(request, tuple(close)))
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
        await self._follow(press, press.ids[:1])

    async def follow_button(self, press: Press) -> None:
        """The button that follows a name no article carries yet as a hashtag and a theme
        (`fol:<tag id>:<theme id>`)."""
        await self._follow(press, press.ids)

    async def _follow(self, press: Press, label_ids: Sequence[int]) -> None:
        if not await press.admins_only(AdminsOnly.SUBSCRIPTIONS):
            return
        chat_id = press.chat.id
        now = self._deps.clock()
        report = SubscribeReport()
        async with self._deps.db.transaction() as repos:
            found = [await repos.labels.get(label_id) for label_id in label_ids]
            labels = [label for label in found if label is not None]
            if len(labels) == len(label_ids):
                followed = {label.id for label in await repos.subscriptions.for_chat(chat_id)}
                await _add(repos, chat_id, labels, current=followed, report=report, now=now)
        if len(labels) != len(label_ids):
            await press.gone(LABEL_GONE)
            return
        # Both kinds of a name read as the name itself: "Subscribed to Football".
        name = label_title(labels[0]) if len(labels) == 1 else labels[0].name
        # Done: the pressed button goes, so it cannot be pressed again, and the notice says
        # what happened; the chat gets no new message.
        await retire(press.query)
        if report.added:
            await press.answer(f"Subscribed to {name}")
        else:
            await press.answer(f"Already subscribed to {name}")

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


def _kinds(request: LabelRequest) -> tuple[LabelKind, ...]:
    """The kinds a label no article carries yet is followed as: typed "#Football", the
    hashtag; typed "Football", both, since its first article may carry it either way."""
    return (LabelKind.TAG,) if request.hashtag else (LabelKind.TAG, LabelKind.THEME)


async def _subscribe(
    repos: Repos,
    chat_id: int,
    requests: Sequence[LabelRequest],
    labels: Sequence[Label],
    *,
    followed: set[int],
    report: SubscribeReport,
    now: datetime,
) -> None:
    """Subscribe to the labels the requests name; a question for each of the others, with
    the labels that answer it (close known labels, and the label reserved to follow as
    typed), all looked up at once."""
    unknown = [r for r in requests if isinstance(resolve(r, labels), Unknown)]
    pool: list[Label] = []
    reserved: dict[tuple[str, str], Label] = {}
    if unknown:
        pool = await repos.labels.similar(*(request.key for request in unknown))
        reserved = await repos.labels.reserve(
            {(kind.value, r.key): r.text for r in unknown for kind in _kinds(r)}
        )
    chosen: list[Label] = []
    for request in requests:
        resolution = resolve(request, labels)
        if isinstance(resolution, Resolved):
            chosen.append(resolution.label)
        elif isinstance(resolution, Ambiguous):
            both = (resolution.tag, resolution.theme)
            if all(label.id in followed for label in both):
                chosen += both
            else:
                report.questions.append(Question(request, both, ambiguous=True))
        else:
            close = rank_suggestions(request.key, pool, limit=SUGGESTIONS_PER_LABEL)
            new = tuple(reserved[(kind.value, request.key)] for kind in _kinds(request))
            report.questions.append(Question(request, tuple(close), new=new))
    await _add(repos, chat_id, chosen, current=followed, report=report, now=now)


async def _add(
    repos: Repos,
    chat_id: int,
    chosen: list[Label],
    *,
    current: set[int],
    report: SubscribeReport,
    now: datetime,
) -> None:
    """Subscribe to the chosen labels (`current`: those the chat follows) as far as the chat's
    limit allows; fill in the report."""
    fresh = list({label.id: label for label in chosen if label.id not in current}.values())
    report.already += [label for label in chosen if label.id in current]
    room = max(MAX_SUBSCRIPTIONS - len(current), 0)
    report.over_limit += fresh[room:]
    fresh = fresh[:room]
    added = set(await repos.subscriptions.add(chat_id, [label.id for label in fresh], now))
    report.added += [label for label in fresh if label.id in added]
