"""What /subscribe, /unsubscribe and /subscriptions answer.

One command gets one message: a line for what went through (subscribed, already followed),
then a line for each label that needs an answer, with its own row of buttons, in the order the
labels were typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.domain.commands import LabelRequest
from bot.domain.labels import Label, hashtag_form
from bot.domain.messages import Action, Button, Message, rows
from bot.domain.replies import (
    MAX_LABEL_BUTTONS,
    LabelProblems,
    label_title,
    problem_lines,
    quoted,
    subscribe_button,
    titles,
    unsubscribe_button,
)
from bot.domain.text import clip, escape

# A name typed as a label may be long; a button shows this much of it (a phone shows less).
FOLLOW_NAME_LIMIT = 40


@dataclass(frozen=True, slots=True)
class Question:
    """A label the command could not act on alone, and the labels that answer it.

    `choices`: the hashtag and the theme it names alike (`ambiguous`), else the closest known
    labels. `new`: the labels to follow before any article carries them (/subscribe only)."""

    request: LabelRequest
    choices: tuple[Label, ...] = ()
    ambiguous: bool = False
    new: tuple[Label, ...] = ()


@dataclass(slots=True)
class SubscribeReport:
    """What /subscribe did."""

    added: list[Label] = field(default_factory=list)
    already: list[Label] = field(default_factory=list)
    over_limit: list[Label] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    problems: LabelProblems = field(default_factory=LabelProblems)


@dataclass(slots=True)
class UnsubscribeReport:
    """What /unsubscribe did."""

    removed: list[Label] = field(default_factory=list)
    not_followed: list[Label] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    problems: LabelProblems = field(default_factory=LabelProblems)
    following: list[Label] = field(default_factory=list)


def typed_name(request: LabelRequest) -> str:
    """Return a typed label as a reply shows it, escaped: `#Football` if typed as a hashtag."""
    return escape(hashtag_form(request.text)) if request.hashtag else quoted(request.text)


def follow_button(request: LabelRequest, new: Sequence[Label]) -> Button:
    """The button that follows a label no article carries yet: one label, or the hashtag and
    the theme of that name (`fol:<tag id>:<theme id>`)."""
    if len(new) == 1:
        text = f"✓ Follow {clip(label_title(new[0]), FOLLOW_NAME_LIMIT)}"
        return Button(text, Action.SUBSCRIBE, (new[0].id,))
    text = f"✓ Follow {clip(request.text, FOLLOW_NAME_LIMIT)}"
    return Button(text, Action.FOLLOW, tuple(label.id for label in new))


def subscribe_usage(active: Sequence[Label]) -> Message:
    """Return the answer to /subscribe without labels."""
    text = (
        "Which hashtag or theme should this chat follow? Put it after the command, e.g.\n"
        "/subscribe #Kyiv\n"
        "Several at once: /subscribe #Kyiv #Power grid, Energy Security"
    )
    if active:
        text += "\n\nOr tap one of the active topics:"
    buttons = [subscribe_button(label) for label in active[:MAX_LABEL_BUTTONS]]
    return Message(text, rows(buttons))


def unsubscribe_usage(following: Sequence[Label]) -> Message:
    """Return the answer to /unsubscribe without labels."""
    text = "Which label should this chat stop following? e.g. /unsubscribe #Kyiv"
    if following:
        text += "\n\nOr tap one to remove it:"
    else:
        text += "\n\nThis chat follows nothing yet. Try /subscribe #Kyiv"
    return Message(text, rows([unsubscribe_button(label) for label in following]))


def subscribe_reply(report: SubscribeReport, limit: int) -> Message:
    """Return the answer to /subscribe: what was added, and a line per label that was not."""
    lines: list[str] = []
    if report.added:
        lines.append(f"✅ Subscribed to {titles(report.added)}.")
    if report.already:
        lines.append(f"Already subscribed to {titles(report.already)}.")
    if report.over_limit:
        lines.append(
            f"⚠️ Not added: {titles(report.over_limit)}. A chat follows at most {limit} "
            "labels; remove some in /subscriptions first."
        )
    laid_out: list[tuple[Button, ...]] = []
    for question in report.questions:
        line, buttons = _subscribe_question(question)
        lines.append(line)
        if buttons:
            laid_out.append(tuple(buttons))
    lines += problem_lines(report.problems, "subscribe")
    if not lines:
        return subscribe_usage(())
    return Message("\n".join(lines), tuple(laid_out))


def _subscribe_question(question: Question) -> tuple[str, list[Button]]:
    request, choices = question.request, question.choices
    if question.ambiguous:
        line = f"❓ {quoted(request.text)} is both a hashtag and a theme. Which one do you mean?"
        return line, [subscribe_button(label) for label in choices]
    buttons = [subscribe_button(label) for label in choices]
    if question.new:
        buttons.append(follow_button(request, question.new))
    if choices:
        line = f"🤷 I don't know the label {typed_name(request)}. Did you mean {_or(choices)}?"
        if question.new:
            line += " Or follow it anyway: I'll include its articles when they come."
        return line, buttons
    if question.new:
        line = f"🆕 No articles on {typed_name(request)} yet. Follow it? "
        return line + "I'll include them when they come.", buttons
    return f"🤷 I don't know the label {typed_name(request)}.", buttons


def unsubscribe_reply(report: UnsubscribeReport) -> Message:
    """Return the answer to /unsubscribe: what was removed, and a line per label that was
    not."""
    lines: list[str] = []
    if report.removed:
        lines.append(f"✅ Unsubscribed from {titles(report.removed)}.")
    if report.not_followed:
        lines.append(f"This chat doesn't follow {titles(report.not_followed)}.")
    laid_out: list[tuple[Button, ...]] = []
    for question in report.questions:
        request, choices = question.request, question.choices
        if question.ambiguous:
            lines.append(
                f"❓ {quoted(request.text)} is both a hashtag and a theme. Which one do you mean?"
            )
        elif choices:
            lines.append(
                f"🤷 I don't know the label {typed_name(request)}. Did you mean {_or(choices)}?"
            )
        else:
            lines.append(f"🤷 I don't know the label {typed_name(request)}.")
        if choices:
            laid_out.append(tuple(unsubscribe_button(label) for label in choices))
    lines += problem_lines(report.problems, "unsubscribe")
    if (report.not_followed or report.questions) and not laid_out:
        # Nothing to suggest: what the chat follows is what it can remove.
        if report.following:
            lines.append("Tap one to remove it:")
            laid_out += rows([unsubscribe_button(label) for label in report.following])
        else:
            lines.append("This chat follows nothing yet.")
    if not lines:
        return unsubscribe_usage(report.following)
    return Message("\n".join(lines), tuple(laid_out))


def _or(labels: Sequence[Label]) -> str:
    names = [escape(label_title(label)) for label in labels]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def subscriptions_card(labels: Sequence[Label]) -> Message:
    """Return the chat's subscriptions, each with one button to remove it."""
    if not labels:
        return Message(
            "This chat follows nothing yet.\nTry /subscribe #Kyiv, or /topic to see what is "
            "being written about."
        )
    lines = [f"📋 <b>This chat follows {len(labels)} label{'s' if len(labels) > 1 else ''}</b>"]
    lines += [
        f"• {escape(label_title(label))}{' (no articles yet)' if label.provisional else ''}"
        for label in labels
    ]
    lines += ["", "Tap a button to unsubscribe."]
    return Message("\n".join(lines), rows([unsubscribe_button(label) for label in labels]))
