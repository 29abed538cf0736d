"""What people type after a command: label parsing, resolution and suggestions."""

from __future__ import annotations

import pytest

from bot.domain.commands import (
    MAX_LABEL_WORDS,
    MAX_LABELS_PER_COMMAND,
    MAX_WORDS,
    Ambiguous,
    LabelRequest,
    Resolved,
    Unknown,
    closest_command,
    command_argument,
    label_candidates,
    parse_labels,
    rank_suggestions,
    resolve,
    split_labels,
    suggestion_patterns,
)
from bot.domain.labels import Label, LabelKind, fold_label


@pytest.mark.parametrize(
    ("text", "argument"),
    [
        ("/subscribe #Kyiv", "#Kyiv"),
        ("/subscribe@digest_bot   #Kyiv #Power grid ", "#Kyiv #Power grid"),
        ("/topic\nKyiv", "Kyiv"),
        ("/topic", ""),
        ("/topic@digest_bot", ""),
    ],
)
def test_command_argument(text: str, argument: str) -> None:
    assert command_argument(text) == argument


@pytest.mark.parametrize(
    ("argument", "labels"),
    [
        ("#Kyiv", [("Kyiv", "kyiv", True)]),
        ("#Kyiv #Power grid", [("Kyiv", "kyiv", True), ("Power grid", "power_grid", True)]),
        (
            "Kyiv, Energy Security; #Peace_talks",
            [
                ("Kyiv", "kyiv", False),
                ("Energy Security", "energy_security", False),
                ("Peace_talks", "peace_talks", True),
            ],
        ),
        ("Kyiv,#Odesa", [("Kyiv", "kyiv", False), ("Odesa", "odesa", True)]),
        ("PEACE-TALKS", [("PEACE-TALKS", "peace_talks", False)]),
        ("  #Київ   #КИЇВ ", [("Київ", "київ", True)]),
        ("##Kyiv", [("Kyiv", "kyiv", True)]),
        ("C# news", [("C# news", "c_news", False)]),
        ('"Kyiv"', [('"Kyiv"', "kyiv", False)]),
        ("🔥Kyiv🔥", [("🔥Kyiv🔥", "kyiv", False)]),
        ("NEAR(Kyiv, Odesa)", [("NEAR(Kyiv", "near_kyiv", False), ("Odesa)", "odesa", False)]),
    ],
)
def test_parse_labels(argument: str, labels: list[tuple[str, str, bool]]) -> None:
    parsed = parse_labels(argument)
    assert [(r.text, r.key, r.hashtag) for r in parsed.labels] == labels
    assert not parsed.not_labels
    assert not parsed.too_long


@pytest.mark.parametrize("argument", ["%", "*", '"', "🔥", "#", "-- ;", "( *)"])
def test_symbols_are_not_labels(argument: str) -> None:
    parsed = parse_labels(argument)
    assert parsed.labels == ()
    assert parsed.not_labels or argument.strip("#; ") == ""


def test_long_and_many_labels_are_reported() -> None:
    assert parse_labels("a" * 5000).too_long == ("a" * 5000,)
    many = parse_labels(" ".join(f"#tag{n}" for n in range(700)))
    assert many.too_many
    assert len(many.labels) == MAX_LABELS_PER_COMMAND


KYIV_TAG = Label(1, LabelKind.TAG, "kyiv", "Kyiv")
ENERGY_TAG = Label(2, LabelKind.TAG, "energy_security", "Energy Security")
ENERGY_THEME = Label(3, LabelKind.THEME, "energy_security", "Energy Security")
WAR_THEME = Label(4, LabelKind.THEME, "war", "War")
POWER_GRID = Label(5, LabelKind.TAG, "power_grid", "Power grid")


def request(text: str) -> LabelRequest:
    return parse_labels(text).labels[0]


@pytest.mark.parametrize(
    ("typed", "labels", "expected"),
    [
        ("Kyiv", [KYIV_TAG], Resolved(KYIV_TAG)),
        ("war", [WAR_THEME], Resolved(WAR_THEME)),
        ("Energy Security", [ENERGY_TAG, ENERGY_THEME], Ambiguous(ENERGY_TAG, ENERGY_THEME)),
        ("#Energy_Security", [ENERGY_THEME, ENERGY_TAG], Resolved(ENERGY_TAG)),
        ("#War", [WAR_THEME], Resolved(WAR_THEME)),
        ("Odesa", [KYIV_TAG], Unknown()),
    ],
)
def test_resolve(typed: str, labels: list[Label], expected: object) -> None:
    assert resolve(request(typed), labels) == expected


@pytest.mark.parametrize(
    ("typed", "best"),
    [("Kiev", KYIV_TAG), ("kyi", KYIV_TAG), ("grid", POWER_GRID), ("Energy securty", ENERGY_TAG)],
)
def test_suggestions_rank_the_closest_first(typed: str, best: Label) -> None:
    known = [KYIV_TAG, ENERGY_TAG, ENERGY_THEME, WAR_THEME, POWER_GRID]
    assert rank_suggestions(fold_label(typed), known)[0] == best


def test_nothing_close_suggests_nothing() -> None:
    assert rank_suggestions("zzzzqqq", [KYIV_TAG, WAR_THEME]) == []


def test_suggestion_patterns_escape_like_wildcards() -> None:
    patterns = suggestion_patterns("power_grid")
    assert patterns[0] == "p%"
    assert "%pow%" in patterns
    assert all("_" not in p.replace("\\_", "") for p in patterns)
    assert suggestion_patterns("") == []


@pytest.mark.parametrize(
    ("typed", "command"),
    [("subscibe", "subscribe"), ("TOPICS", "topic"), ("unsubscrbe", "unsubscribe"), ("xyz", None)],
)
def test_closest_command(typed: str, command: str | None) -> None:
    known = ["topic", "subscribe", "unsubscribe", "subscriptions", "start", "help"]
    assert closest_command(typed, known) == command


# --- Labels as people type them: split into the known labels they name --------------------

KNOWN = {"kyiv", "odesa", "power_grid", "power", "grid", "energy_security", "peace_talks"}


@pytest.mark.parametrize(
    ("argument", "labels"),
    [
        ("Kyiv Odesa", [("Kyiv", "kyiv", False), ("Odesa", "odesa", False)]),
        ("#Kyiv#Odesa", [("Kyiv", "kyiv", True), ("Odesa", "odesa", True)]),
        ("#Kyiv #Odesa", [("Kyiv", "kyiv", True), ("Odesa", "odesa", True)]),
        (
            "Kyiv, Energy Security",
            [("Kyiv", "kyiv", False), ("Energy Security", "energy_security", False)],
        ),
        # The longest known label first: "Power grid" stays one though "Power" is known.
        ("Power grid", [("Power grid", "power_grid", False)]),
        ("power-GRID kyiv", [("power-GRID", "power_grid", False), ("kyiv", "kyiv", False)]),
        (
            "Kyiv Power grid Odesa",
            [
                ("Kyiv", "kyiv", False),
                ("Power grid", "power_grid", False),
                ("Odesa", "odesa", False),
            ],
        ),
        # Words no known label spans make one label per run, as typed.
        ("Football", [("Football", "football", False)]),
        ("#Football", [("Football", "football", True)]),
        (
            "Kyiv Champions League Odesa",
            [
                ("Kyiv", "kyiv", False),
                ("Champions League", "champions_league", False),
                ("Odesa", "odesa", False),
            ],
        ),
        ("Kyiv Odessa", [("Kyiv", "kyiv", False), ("Odessa", "odessa", False)]),
        # The '#' marks the first label of its piece only.
        (
            "#Kyiv Energy Security",
            [("Kyiv", "kyiv", True), ("Energy Security", "energy_security", False)],
        ),
        # A symbol between labels only separates them.
        ("Kyiv & Odesa", [("Kyiv", "kyiv", False), ("Odesa", "odesa", False)]),
        ("- Kyiv -", [("Kyiv", "kyiv", False)]),
        # Every spelling of a label is one label.
        ("Kyiv KYIV #kyiv", [("Kyiv", "kyiv", False)]),
        ("Peace_talks", [("Peace_talks", "peace_talks", False)]),
        ("  #Київ   #КИЇВ ", [("Київ", "київ", True)]),
        # A '#' inside a word is no separator.
        ("C# news", [("C# news", "c_news", False)]),
    ],
)
def test_split_labels_into_the_known_labels_they_name(
    argument: str, labels: list[tuple[str, str, bool]]
) -> None:
    parsed = split_labels(argument, KNOWN)
    assert [(r.text, r.key, r.hashtag) for r in parsed.labels] == labels
    assert not parsed.not_labels
    assert not parsed.too_long
    assert not parsed.too_many
    # Every label it may match is among the keys looked up beforehand.
    matched = {r.key for r in parsed.labels} & KNOWN
    assert matched <= label_candidates(argument)


@pytest.mark.parametrize(
    ("argument", "not_labels"),
    [("%", ("%",)), ("Kyiv, %", ("%",)), ("-- ;", ("--",)), ("🔥", ("🔥",))],
)
def test_split_labels_reports_pieces_without_letters(
    argument: str, not_labels: tuple[str, ...]
) -> None:
    assert split_labels(argument, KNOWN).not_labels == not_labels


def test_split_labels_bounds_what_it_reads() -> None:
    assert split_labels("a" * 5000, KNOWN).too_long == ("a" * 5000,)
    many = split_labels(" ".join(f"#tag{n}" for n in range(700)), KNOWN)
    assert many.too_many
    assert len(many.labels) == MAX_LABELS_PER_COMMAND
    # However long the argument, the keys looked up stay few.
    assert len(label_candidates(" ".join(f"w{n}" for n in range(700)))) <= (
        MAX_WORDS * MAX_LABEL_WORDS
    )
