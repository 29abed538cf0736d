"""Replies: people's text quoted back escaped, labels named the way they are typed."""

from __future__ import annotations

from bot.domain.callbacks import encode
from bot.domain.commands import MAX_LABELS_PER_COMMAND, LabelRequest
from bot.domain.labels import Label, LabelKind
from bot.domain.replies import (
    COMMANDS,
    help_card,
    label_title,
    quoted,
    topic_name,
)
from bot.domain.subscriptions import (
    FOLLOW_NAME_LIMIT,
    Question,
    SubscribeReport,
    subscribe_reply,
    subscriptions_card,
)
from bot.domain.text import utf16_len

TAG = Label(1, LabelKind.TAG, "energy_security", "Energy Security")
THEME = Label(2, LabelKind.THEME, "energy_security", "Energy Security")


def test_quoted_escapes_and_shortens() -> None:
    assert quoted("<b>x</b> & y") == "“&lt;b&gt;x&lt;/b&gt; &amp; y”"
    assert quoted("word " * 100).endswith("…”")
    assert quoted("a\n  b") == "“a b”"


def test_labels_are_named_as_hashtags_or_themes() -> None:
    assert label_title(TAG) == "#Energy_Security"
    assert label_title(THEME) == "Energy Security (theme)"
    assert topic_name([TAG]) == "#Energy_Security"
    assert topic_name([TAG, THEME]) == "Energy Security"


def test_help_names_every_command() -> None:
    text = help_card().text
    for command in COMMANDS:
        assert f"/{command.name}" in text
        assert command.summary in text


def test_subscriptions_have_one_remove_button_each_told_apart_by_kind() -> None:
    card = subscriptions_card([TAG, THEME])
    assert [b.text for row in card.buttons for b in row] == [
        "✖ #Energy_Security",
        "✖ Energy Security (theme)",
    ]
    assert [b.args for row in card.buttons for b in row] == [(1,), (2,)]


def test_a_reply_about_ten_long_labels_stays_within_telegrams_limits() -> None:
    report = SubscribeReport()
    for n in range(MAX_LABELS_PER_COMMAND):
        text = f"<b>{n}</b> " + "word " * 19
        request = LabelRequest(text=text.strip(), key=f"k{n}", hashtag=n % 2 == 0)
        tag = Label(10 * n, LabelKind.TAG, f"k{n}", text.strip(), provisional=True)
        theme = Label(10 * n + 1, LabelKind.THEME, f"k{n}", text.strip(), provisional=True)
        new = (tag,) if request.hashtag else (tag, theme)
        report.questions.append(Question(request, (TAG, THEME), new=new))
    reply = subscribe_reply(report, 50)
    assert utf16_len(reply.text) <= 4096
    assert "<b>" not in reply.text  # what people typed is escaped
    assert len(reply.buttons) == MAX_LABELS_PER_COMMAND
    for row in reply.buttons:
        assert len(row) == 3
        assert len(row[-1].text) <= len("✓ Follow ") + FOLLOW_NAME_LIMIT
        for button in row:
            encode(button)
