"""Everything the bot says besides article cards and settings: `Message`s and answer texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.commands import MAX_LABEL_LENGTH, MAX_LABELS_PER_COMMAND
from bot.domain.labels import Label, LabelKind, hashtag_form
from bot.domain.messages import Action, Button, Message, rows
from bot.domain.text import clip, escape

# How much of a person's own text a reply quotes back.
QUOTE_LIMIT = 60
# Suggestion and topic buttons per reply; more would bury the message under its keyboard.
MAX_LABEL_BUTTONS = 8


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """A command as /help and the command menu describe it."""

    name: str
    summary: str  # the menu's one-line description
    usage: str = ""  # the argument, as /help shows it: "<label>"
    examples: tuple[str, ...] = ()


# /help lists these in this order; the command menu (setMyCommands) shows the same.
COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo(
        "topic",
        "Newest articles on a hashtag or theme",
        "<label>",
        ("/topic Kyiv", "/topic #Power grid", "/topic Energy Security", "/topic"),
    ),
    CommandInfo(
        "subscribe",
        "Follow hashtags or themes in this chat",
        "<labels>",
        (
            "/subscribe #Kyiv",
            "/subscribe Kyiv Odesa",
            "/subscribe #Kyiv #Power grid, Energy Security",
        ),
    ),
    CommandInfo(
        "unsubscribe", "Stop following hashtags or themes", "<labels>", ("/unsubscribe #Kyiv",)
    ),
    CommandInfo("subscriptions", "What this chat follows", "", ("/subscriptions",)),
    CommandInfo(
        "digest",
        "Your daily digest: its time, off, or now",
        "<HH:MM | off | now>",
        ("/digest", "/digest 07:30", "/digest off", "/digest now"),
    ),
    CommandInfo(
        "timezone",
        "The time zone of the digest time",
        "<zone>",
        ("/timezone Europe/Kyiv", "/timezone UTC+2"),
    ),
    CommandInfo("alerts", "New articles as they arrive, on or off", "<on | off>", ("/alerts on",)),
    CommandInfo("start", "What this bot is and what to try first", "", ("/start",)),
    CommandInfo("help", "Every command with an example", "", ("/help",)),
)


def quoted(text: str) -> str:
    """Return a person's text quoted back in a reply: shortened and escaped."""
    return f"“{escape(clip(' '.join(text.split()), QUOTE_LIMIT))}”"


def label_title(label: Label) -> str:
    """Return how a reply names a label: `#Power_grid` for a hashtag, the name for a theme."""
    if label.kind is LabelKind.TAG:
        return hashtag_form(label.name)
    return f"{label.name} (theme)"


def titles(labels: Sequence[Label]) -> str:
    """Return labels as a reply names them, escaped and separated by commas."""
    return ", ".join(escape(label_title(label)) for label in labels)


def topic_button(label: Label, count: int | None = None) -> Button:
    """A button that shows the newest articles for a label."""
    suffix = f" · {count}" if count is not None else ""
    return Button(f"🔎 {label_title(label)}{suffix}", Action.TOPIC, (label.id,))


def subscribe_button(label: Label) -> Button:
    """A button that subscribes the chat to a label."""
    return Button(f"➕ {label_title(label)}", Action.SUBSCRIBE, (label.id,))


def unsubscribe_button(label: Label) -> Button:
    """A button that removes a label from the chat's subscriptions."""
    return Button(f"✖ {label_title(label)}", Action.UNSUBSCRIBE, (label.id,))


# --- /start and /help -------------------------------------------------------------------------


# How /start and /help mention that plain text is a search.
JUST_TYPE = "or just type what you're looking for (in a private chat), e.g. power grid"


def start_card(active: Sequence[Label], settings_line: str = "") -> Message:
    """Return the greeting: who the bot is, what to try first, and buttons for it.

    `settings_line` states the chat's digest, time zone and alerts (see preferences)."""
    text = "\n".join(
        [
            "👋 <b>Hi! I'm Digestbot.</b>",
            "I bring you the news as short cards: the key takeaways first, the full retelling "
            "one tap away, right in the same message.",
            *([settings_line] if settings_line else []),
            "",
            "<b>Try first</b>",
            "• /topic Kyiv: the newest articles on a hashtag or theme",
            f"• {escape(JUST_TYPE)}",
            "• /subscribe #Kyiv: follow a hashtag or theme in this chat",
            "• /help: every command with an example",
        ]
    )
    laid_out: list[tuple[Button, ...]] = list(rows([topic_button(label) for label in active[:4]]))
    laid_out.append((Button("🔥 Active topics", Action.ACTIVE), Button("❓ Help", Action.HELP)))
    return Message(text, tuple(laid_out))


def help_card(settings_line: str = "", commands: Sequence[CommandInfo] = COMMANDS) -> Message:
    """Return every command with an example, and the chat's settings (`settings_line`, see
    preferences)."""
    lines = ["<b>What I understand</b>", ""]
    for command in commands:
        usage = f" <i>{escape(command.usage)}</i>" if command.usage else ""
        lines.append(f"/{command.name}{usage}: {escape(command.summary)}.")
        examples = [example for example in command.examples if example != f"/{command.name}"]
        if examples:
            lines.append(f"   e.g. {escape('  ·  '.join(examples))}")
    lines.append(f"Or {escape(JUST_TYPE.removeprefix('or '))}.")
    if settings_line:
        lines += ["", settings_line]
    lines += [
        "",
        "Labels match whatever their case or separators: #Peace_talks, Peace talks and "
        "PEACE-TALKS are the same. Several at once: separate them with spaces, # or commas.",
        "In groups, only admins change what the group follows; anyone can use /topic.",
    ]
    return Message("\n".join(lines), ((Button("🔥 Active topics", Action.ACTIVE),),))


# --- What in a command's argument is no label -------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelProblems:
    """What in a command's argument could not be read as a label at all."""

    not_labels: Sequence[str] = ()
    too_long: Sequence[str] = ()
    too_many: bool = False


def problem_lines(problems: LabelProblems, command: str) -> list[str]:
    """Return a line for each kind of piece of an argument that is no label."""
    lines: list[str] = []
    if problems.not_labels:
        shown = ", ".join(quoted(text) for text in problems.not_labels[:3])
        lines.append(
            f"{shown} {'is not a label' if len(problems.not_labels) == 1 else 'are not labels'}: "
            "a label has letters or digits, like #Kyiv or Energy Security."
        )
    if problems.too_long:
        lines.append(
            f"{quoted(problems.too_long[0])} is too long for a label "
            f"(at most {MAX_LABEL_LENGTH} characters)."
        )
    if problems.too_many:
        lines.append(
            f"Only the first {MAX_LABELS_PER_COMMAND} labels were read; send the rest with "
            f"another /{command}."
        )
    return lines


def unusable_labels(problems: LabelProblems, command: str) -> Message:
    """Return the answer to a command whose argument holds no usable label."""
    lines = problem_lines(problems, command)
    return Message("\n".join(lines or [f"Which label? e.g. /{command} Kyiv"]))


# --- /topic ------------------------------------------------------------------------------------


def topic_usage_card(active: Sequence[tuple[Label, int]], days: int) -> Message:
    """Return the answer to /topic without a label: the most active topics as buttons."""
    if not active:
        return Message(
            "There are no articles yet, so no topics either. Once articles arrive, try "
            "/topic Kyiv."
        )
    text = (
        f"🔥 <b>Most active topics of the last {days} days</b>\n"
        "Tap one for its newest articles, or send /topic with a label, e.g. /topic Kyiv"
    )
    buttons = [topic_button(label, count) for label, count in active[:MAX_LABEL_BUTTONS]]
    return Message(text, rows(buttons))


def topic_not_found(typed: str, suggestions: Sequence[Label]) -> Message:
    """Return the answer to /topic for a label with no articles."""
    text = f"🤷 No articles on {quoted(typed)}."
    if suggestions:
        text += " Did you mean:"
    else:
        text += " Send /topic alone to see the active topics."
    return Message(text, rows([topic_button(label) for label in suggestions[:MAX_LABEL_BUTTONS]]))


def topic_usage_one_label() -> Message:
    """Return the answer to /topic with several labels."""
    return Message("One topic at a time, please, e.g. /topic Kyiv")


def topic_name(labels: Sequence[Label]) -> str:
    """Return how a topic is named: its label, or just the name when a hashtag and a theme
    share it (the topic then shows the articles of both)."""
    if len(labels) == 1:
        return label_title(labels[0])
    return labels[0].name


def topic_more(labels: Sequence[Label], label_id: int, shown: int, total: int) -> Message:
    """Return the line under a page of cards, with the button for the next few."""
    text = f"Showing {shown} of {total} articles on {escape(topic_name(labels))}."
    more = Button(f"⏬ More ({total - shown} left)", Action.MORE, (label_id, shown))
    return Message(text, ((more,),))


def topic_more_done(labels: Sequence[Label], shown: int, total: int) -> Message:
    """Return the line under a page of cards once its "More" was pressed."""
    return Message(f"Showing {shown} of {total} articles on {escape(topic_name(labels))}.")


# --- Anything else ------------------------------------------------------------------------


def unknown_command(command: str, suggestion: str | None) -> Message:
    """Return the answer to a command the bot does not have."""
    text = f"I don't know the command {quoted('/' + command)}."
    if suggestion:
        text += f" Did you mean /{suggestion}?"
    text += "\nSend /help for everything I understand."
    return Message(text)


def plain_text_reply(typed: str, labels: Sequence[Label]) -> Message:
    """Return the answer to a message that is no command, in a private chat."""
    if labels:
        text = f"{quoted(typed)} is a topic I know. Read its newest articles or follow it here:"
        buttons = [topic_button(labels[0]), subscribe_button(labels[0])]
        return Message(text, (tuple(buttons),))
    return Message(
        "I answer commands. To read the news on a topic, send e.g. /topic Kyiv\n"
        "Send /help for everything I understand."
    )


class AdminsOnly(StrEnum):
    """What only a group's admins may change, as the refusal names it."""

    SUBSCRIPTIONS = "what it follows. Anyone can use /topic."
    SCHEDULE = "its digest, time zone and alerts."


def refusal_not_admin(what: AdminsOnly) -> str:
    """Return the refusal for a group member who is not an admin (HTML with nothing to
    escape)."""
    return f"Only admins of this chat can change {what}"


def apology() -> str:
    """Return the reply when handling an update failed (HTML with nothing to escape)."""
    return "😕 Sorry, something went wrong on my side. Please try again in a moment."


ARTICLE_GONE = "This article is no longer available."
LABEL_GONE = "This topic is no longer available."
MORE_SHOWN = "Already shown below."
BUTTON_EXPIRED = "This button no longer works. Send /help to start again."
