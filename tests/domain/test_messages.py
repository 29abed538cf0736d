"""The message type: escaped HTML and rows of buttons, checked when built."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.messages import Action, Button, Message, rows
from bot.domain.text import clip, escape, escape_attribute, local_time, utf16_len

A, B, C = (Button(name, Action.HELP) for name in "abc")


@pytest.mark.parametrize(
    ("buttons", "per_row", "laid_out"),
    [
        ([], 2, ()),
        ([A], 2, ((A,),)),
        ([A, B], 2, ((A, B),)),
        ([A, B, C], 2, ((A, B), (C,))),
        ([A, B, C], 1, ((A,), (B,), (C,))),
        ([A, B, C], 5, ((A, B, C),)),
    ],
)
def test_rows_keep_order_and_width(
    buttons: list[Button], per_row: int, laid_out: tuple[tuple[Button, ...], ...]
) -> None:
    assert rows(buttons, per_row) == laid_out


def test_a_row_holds_at_least_one_button() -> None:
    with pytest.raises(ValueError, match="at least one"):
        rows([A], 0)


@pytest.mark.parametrize(
    ("text", "buttons", "problem"),
    [
        ("", (), "needs some text"),
        (" \n", (), "needs some text"),
        ("text", ((),), "at least one button"),
        ("text", ((A,), ()), "at least one button"),
    ],
)
def test_a_message_telegram_would_refuse_cannot_be_built(
    text: str, buttons: tuple[tuple[Button, ...], ...], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Message(text, buttons)


def test_messages_are_values() -> None:
    message = Message("<b>hi</b>", ((A, B),))
    assert message == Message("<b>hi</b>", ((A, B),))
    assert message.buttons == ((A, B),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.text = "other"  # type: ignore[misc]
    assert Message("hi").buttons == ()


@pytest.mark.parametrize(
    ("raw", "text", "attribute"),
    [
        ("a < b & c > d", "a &lt; b &amp; c &gt; d", "a &lt; b &amp; c &gt; d"),
        ('say "hi"', 'say "hi"', "say &quot;hi&quot;"),
        ("it's", "it's", "it&#x27;s"),
    ],
)
def test_escaping_for_text_and_for_attributes(raw: str, text: str, attribute: str) -> None:
    assert escape(raw) == text
    assert escape_attribute(raw) == attribute


@pytest.mark.parametrize(
    ("text", "units"), [("", 0), ("abc", 3), ("Київ", 4), ("🔥", 2), ("a🔥b", 4)]
)
def test_utf16_len_counts_what_telegram_counts(text: str, units: int) -> None:
    assert utf16_len(text) == units


def test_clip_and_local_time() -> None:
    assert clip("one two three", 8) == "one two…"
    moment = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
    assert local_time(moment, ZoneInfo("Europe/Kyiv")) == "Mon 2 Nov, 07:00"
