"""Replies: people's text quoted back escaped, labels named the way they are typed."""

from __future__ import annotations

from bot.domain.labels import Label, LabelKind
from bot.domain.replies import (
    COMMANDS,
    help_card,
    label_title,
    quoted,
    topic_name,
)
from bot.domain.subscriptions import subscriptions_card

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
