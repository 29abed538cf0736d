"""Callback data: short, stateless, within 64 bytes, parsed by the pattern that registers it."""

from __future__ import annotations

import pytest

from bot.domain.callbacks import LIMIT, PATTERNS, decode, decode_ids, encode, parse
from bot.domain.messages import Action, Button

BIGGEST = 2**63 - 1
LONGEST_ZONE = "America/Argentina/ComodRivadavia"

WIDEST = [
    Button("x", Action.RETELL, (BIGGEST, 999_999)),
    Button("x", Action.TAKEAWAYS, (BIGGEST,)),
    Button("x", Action.MORE, (BIGGEST, 999_999)),
    Button("x", Action.SUBSCRIBE, (BIGGEST,)),
    Button("x", Action.FOLLOW, (BIGGEST, BIGGEST)),
    Button("x", Action.UNSUBSCRIBE, (BIGGEST,)),
    Button("x", Action.TOPIC, (BIGGEST,)),
    Button("x", Action.ACTIVE),
    Button("x", Action.HELP),
    Button("x", Action.NOTHING),
    Button("x", Action.DIGEST_OPEN, (BIGGEST,)),
    Button("x", Action.DIGEST_MORE, (BIGGEST, 999_999)),
    Button("x", Action.DIGEST_TIME, ("2359",)),
    Button("x", Action.DIGEST_ZONE, ("Z" * 58,)),
    Button("x", Action.ALERTS, ("off",)),
]


def test_every_action_has_a_pattern() -> None:
    assert set(PATTERNS) == set(Action)
    assert {button.action for button in WIDEST} == set(Action)


@pytest.mark.parametrize("button", WIDEST, ids=lambda b: b.action.value)
def test_the_widest_data_fits_and_parses_back(button: Button) -> None:
    data = encode(button)
    assert len(data.encode()) <= LIMIT
    assert decode(button.action, data) == tuple(str(arg) for arg in button.args)
    assert parse(data) == (button.action, tuple(str(arg) for arg in button.args))


# The data buttons already in chats carry: it keeps its meaning.
@pytest.mark.parametrize(
    ("button", "data"),
    [
        (Button("x", Action.RETELL, (42, 1)), "ret:42:1"),
        (Button("x", Action.TAKEAWAYS, (42,)), "tak:42"),
        (Button("x", Action.MORE, (7, 3)), "more:7:3"),
        (Button("x", Action.SUBSCRIBE, (7,)), "sub:7"),
        (Button("x", Action.FOLLOW, (7, 8)), "fol:7:8"),
        (Button("x", Action.UNSUBSCRIBE, (7,)), "uns:7"),
        (Button("x", Action.TOPIC, (7,)), "top:7"),
        (Button("x", Action.ACTIVE), "act"),
        (Button("x", Action.HELP), "hlp"),
        (Button("x", Action.NOTHING), "nop"),
        (Button("x", Action.DIGEST_OPEN, (42,)), "dg:o:42"),
        (Button("x", Action.DIGEST_MORE, (5, 11)), "dg:m:5:11"),
        (Button("x", Action.DIGEST_TIME, ("0730",)), "dg:t:0730"),
        (Button("x", Action.DIGEST_TIME, ("now",)), "dg:t:now"),
        (Button("x", Action.DIGEST_ZONE, (LONGEST_ZONE,)), f"dg:z:{LONGEST_ZONE}"),
        (Button("x", Action.DIGEST_ZONE, ("Etc/GMT+5",)), "dg:z:Etc/GMT+5"),
        (Button("x", Action.ALERTS, ("on",)), "dg:a:on"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_data_keeps_the_format_of_buttons_in_chats(button: Button, data: str) -> None:
    assert encode(button) == data
    assert decode(button.action, data) == tuple(str(arg) for arg in button.args)


def test_ids_come_back_as_numbers() -> None:
    assert decode_ids(Action.RETELL, "ret:42:1") == (42, 1)
    assert decode_ids(Action.HELP, "hlp") == ()
    assert decode_ids(Action.ALERTS, "dg:a:on") is None


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (Action.RETELL, "ret:1"),
        (Action.RETELL, "ret:1:2:3"),
        (Action.RETELL, "ret:-1:1"),
        (Action.RETELL, "ret:12345678901234567890:1"),
        (Action.RETELL, "ret:١:1"),  # digits of another script
        (Action.RETELL, " ret:1:1"),
        (Action.TAKEAWAYS, "tak:1\n"),
        (Action.TAKEAWAYS, "tak:"),
        (Action.SUBSCRIBE, "sub:kyiv"),
        (Action.MORE, "more:1:1234567"),
        (Action.HELP, "hlp:1"),
        (Action.TOPIC, None),
        (Action.TOPIC, ""),
        (Action.DIGEST_TIME, "dg:t:7:30"),
        (Action.DIGEST_TIME, "dg:t:soon"),
        (Action.DIGEST_ZONE, "dg:z:Europe/Kyiv;drop"),
        (Action.DIGEST_ZONE, "dg:z:" + "Z" * 59),
        (Action.ALERTS, "dg:a:maybe"),
        (Action.DIGEST_OPEN, "dg:m:1:1"),
    ],
)
def test_foreign_data_does_not_parse(action: Action, data: str | None) -> None:
    assert decode(action, data) is None
    assert decode_ids(action, data) is None


@pytest.mark.parametrize("data", ["", "x", "ret", "dg", "dg:x:1", "retell:1:1", "🔥", None])
def test_garbage_is_no_action(data: str | None) -> None:
    assert parse(data) is None


@pytest.mark.parametrize(
    "button",
    [
        Button("x", Action.RETELL, (1,)),
        Button("x", Action.RETELL, (1, 2, 3)),
        Button("x", Action.RETELL, (-1, 1)),
        Button("x", Action.TOPIC, ("kyiv",)),
        Button("x", Action.HELP, (1,)),
        Button("x", Action.ALERTS, ("maybe",)),
        Button("x", Action.DIGEST_ZONE, ("Europe Kyiv",)),
    ],
    ids=repr,
)
def test_arguments_an_action_does_not_take_are_refused(button: Button) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        encode(button)


@pytest.mark.parametrize(
    "button",
    [
        Button("x", Action.DIGEST_ZONE, ("Z" * 60,)),
        Button("x", Action.RETELL, (10**60, 1)),
        Button("x", Action.DIGEST_ZONE, ("é" * 40,)),  # 40 characters, 80 bytes
    ],
    ids=["long-name", "huge-id", "multibyte"],
)
def test_data_over_64_bytes_is_refused(button: Button) -> None:
    with pytest.raises(ValueError, match="longer than 64 bytes"):
        encode(button)
