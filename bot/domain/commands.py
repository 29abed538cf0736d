"""What people type after a command: labels to parse, and known labels to suggest."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from bot.domain.labels import Label, LabelKind, clean_label, fold_label

# A command changes at most this many labels at once, and a label has at most this many
# characters: anything longer is pasted text, not a label.
MAX_LABELS_PER_COMMAND = 10
MAX_LABEL_LENGTH = 100
# Suggestions closer than this (0..1, difflib's ratio with the boosts below) are offered.
SUGGESTION_CUTOFF = 0.6

# Labels are separated by commas, semicolons, line ends, and a '#' that starts a word: tags
# contain spaces ("#Power grid"), so a tag runs until the next " #".
_SEPARATORS = re.compile(r"[,;\n]|(?:^|\s)#")


@dataclass(frozen=True, slots=True)
class LabelRequest:
    """One label as a person typed it: `text` for replies, `key` to look it up."""

    text: str
    key: str
    hashtag: bool  # typed with a leading '#': a tag is meant when both kinds exist


@dataclass(frozen=True, slots=True)
class ParsedLabels:
    """The labels of a command's argument, and the pieces that are no labels at all."""

    labels: tuple[LabelRequest, ...]
    not_labels: tuple[str, ...] = ()  # pieces with no letter or digit: "%", "*", "🔥"
    too_long: tuple[str, ...] = ()
    too_many: bool = False


def command_argument(text: str) -> str:
    """Return what follows the command (`/subscribe@bot #Kyiv` -> `#Kyiv`), exactly as typed."""
    parts = text.strip().split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


def parse_labels(argument: str) -> ParsedLabels:
    """Split a command's argument into labels: `#Kyiv #Power grid, Energy Security`."""
    labels: list[LabelRequest] = []
    not_labels: list[str] = []
    too_long: list[str] = []
    seen: set[str] = set()
    pieces = _pieces(argument)
    for typed, hashtag in pieces:
        text = clean_label(typed)
        if not text:
            continue
        if len(text) > MAX_LABEL_LENGTH:
            too_long.append(text)
            continue
        key = fold_label(text)
        if not key:
            not_labels.append(text)
        elif key not in seen:
            seen.add(key)
            labels.append(LabelRequest(text=text, key=key, hashtag=hashtag))
    too_many = len(labels) > MAX_LABELS_PER_COMMAND
    return ParsedLabels(
        labels=tuple(labels[:MAX_LABELS_PER_COMMAND]),
        not_labels=tuple(not_labels),
        too_long=tuple(too_long),
        too_many=too_many,
    )


def _pieces(argument: str) -> list[tuple[str, bool]]:
    """Return the raw pieces of an argument, each with whether it was typed as a hashtag."""
    pieces: list[tuple[str, bool]] = []
    start = 0
    hashtag = False
    for match in _SEPARATORS.finditer(argument):
        pieces.append((argument[start : match.start()], hashtag))
        hashtag = match.group().endswith("#")
        start = match.end()
    pieces.append((argument[start:], hashtag))
    # "Kyiv,#Odesa": a '#' right after a comma also marks a hashtag.
    return [
        (text, tagged or text.lstrip().startswith("#")) for text, tagged in pieces if text.strip()
    ]


# --- Which known label a request names ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolved:
    """The request names exactly this label."""

    label: Label


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """The request names a hashtag and a theme alike: the person must choose."""

    tag: Label
    theme: Label


@dataclass(frozen=True, slots=True)
class Unknown:
    """No known label has this key."""


Resolution = Resolved | Ambiguous | Unknown


def resolve(request: LabelRequest, labels: Iterable[Label]) -> Resolution:
    """Decide which of the labels with the request's key it names."""
    matching = [label for label in labels if label.key == request.key]
    tag = next((label for label in matching if label.kind is LabelKind.TAG), None)
    theme = next((label for label in matching if label.kind is LabelKind.THEME), None)
    if tag is not None and theme is not None:
        # "#Energy Security" is plainly the hashtag; "Energy Security" could be either.
        return Resolved(tag) if request.hashtag else Ambiguous(tag, theme)
    if tag is not None:
        return Resolved(tag)
    if theme is not None:
        return Resolved(theme)
    return Unknown()


# --- Suggestions ---------------------------------------------------------------------------


def similarity(key: str, candidate: str) -> float:
    """Return how close a candidate key is to a typed key (0..1), for suggestions."""
    if not key or not candidate:
        return 0.0
    score = SequenceMatcher(None, key, candidate, autojunk=False).ratio()
    words = candidate.split("_")
    if key in words:
        # "grid" names a word of "power_grid": a strong hint.
        score = max(score, 0.85)
    elif candidate.startswith(key) and len(key) >= 3:
        # "kyi" is the start of "kyiv": someone still typing.
        score = max(score, 0.8)
    return score


def rank_suggestions(
    key: str, candidates: Iterable[Label], *, limit: int = 5, cutoff: float = SUGGESTION_CUTOFF
) -> list[Label]:
    """Return the known labels closest to a typed key, best first (hashtags before themes)."""
    scored: list[tuple[float, int, str, int, Label]] = []
    for label in candidates:
        if label.key == key:
            continue
        score = similarity(key, label.key)
        if score >= cutoff:
            kind_order = 0 if label.kind is LabelKind.TAG else 1
            scored.append((-score, kind_order, label.key, label.id, label))
    scored.sort(key=lambda item: item[:4])
    return [item[4] for item in scored[:limit]]


def suggestion_patterns(key: str, *, limit: int = 12) -> list[str]:
    """Return LIKE patterns (with `\\` as the escape) that prefilter candidate keys in SQL.

    A candidate shares the key's first letter, or one of its words' three-letter runs:
    enough to catch typos ("kiev" -> "kyiv") without reading every label."""
    if not key:
        return []
    patterns = [_like_escape(key[0]) + "%"]
    for word in key.split("_"):
        if len(word) < 3:
            continue
        for start in range(len(word) - 2):
            pattern = "%" + _like_escape(word[start : start + 3]) + "%"
            if pattern not in patterns:
                patterns.append(pattern)
            if len(patterns) >= limit:
                return patterns
    return patterns


def _like_escape(text: str) -> str:
    # Folded keys use "_" between words, which LIKE reads as "any character".
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def closest_command(typed: str, commands: Sequence[str]) -> str | None:
    """Return the known command closest to a mistyped one (`subscibe` -> `subscribe`)."""
    best: tuple[float, str] | None = None
    for command in commands:
        score = SequenceMatcher(None, typed.lower(), command).ratio()
        if score >= 0.7 and (best is None or score > best[0]):
            best = (score, command)
    return best[1] if best else None
