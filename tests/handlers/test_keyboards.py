"""Callback data: short, stateless, within 64 bytes, parsed by the pattern that registers it."""

from __future__ import annotations

import pytest

from bot.domain.cards import Action, Button, Card
from handlers.keyboards import CALLBACK_DATA_LIMIT, PATTERNS, callback_data, keyboard, parse_ids

BIGGEST = 2**63 - 1

WIDEST = [
    Button("x", Action.RETELL, (BIGGEST, 999_999)),
    Button("x", Action.TAKEAWAYS, (BIGGEST,)),
    Button("x", Action.MORE, (BIGGEST, 999_999)),
    Button("x", Action.SUBSCRIBE, (BIGGEST,)),
    Button("x", Action.UNSUBSCRIBE, (BIGGEST,)),
    Button("x", Action.TOPIC, (BIGGEST,)),
    Button("x", Action.ACTIVE),
    Button("x", Action.HELP),
    Button("x", Action.NOTHING),
]


def test_every_action_has_a_pattern() -> None:
    assert set(PATTERNS) == set(Action)


@pytest.mark.parametrize("button", WIDEST, ids=lambda b: b.action.value)
def test_callback_data_fits_and_parses_back(button: Button) -> None:
    data = callback_data(button)
    assert len(data.encode()) <= CALLBACK_DATA_LIMIT
    assert parse_ids(button.action, data) == button.args


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (Action.RETELL, "ret:1"),
        (Action.RETELL, "ret:1:2:3"),
        (Action.RETELL, "ret:-1:1"),
        (Action.RETELL, "ret:12345678901234567890:1"),
        (Action.TAKEAWAYS, "tak:1\n"),
        (Action.SUBSCRIBE, "sub:kyiv"),
        (Action.MORE, "more:1:1234567"),
        (Action.HELP, "hlp:1"),
        (Action.TOPIC, None),
    ],
)
def test_foreign_data_does_not_parse(action: Action, data: str | None) -> None:
    assert parse_ids(action, data) is None


def test_a_button_that_cannot_be_encoded_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        callback_data(Button("x", Action.RETELL, (1,)))


def test_keyboard_rows_follow_the_card() -> None:
    card = Card("text", ((Button("a", Action.HELP), Button("b", Action.ACTIVE)),))
    markup = keyboard(card)
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["hlp", "act"]]
    assert keyboard(Card("text")) is None
