"""What people type after a command: labels to parse, and known labels to suggest."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from bot.domain.labels import Label, LabelKind, clean_label, fold_label

# A command changes at most this many labels at once, and a label has at most this many
# characters: anything longer is pasted text, not a label.
MAX_LABELS_PER_COMMAND = 10
MAX_LABEL_LENGTH = 100
# Suggestions closer than this (0..1, difflib's ratio with the boosts below) are offered.
SUGGESTION_CUTOFF = 0.6

# Words a command's labels are read from, and the most words one label spans: enough for ten
# labels of a few words each, and together they bound the keys looked up to a few hundred.
MAX_WORDS = 40
MAX_LABEL_WORDS = 8

# Labels are separated by commas, semicolons, line ends, and a '#' that starts a word: tags
# contain spaces ("#Power grid"), so a tag runs until the next " #".
_SEPARATORS = re.compile(r"[,;\n]|(?:^|\s)#")
# What /subscribe and /unsubscribe also split at: a '#' between two words, as in "#Kyiv#Odesa"
# ("C# news" keeps its '#').
_FOLLOW_SEPARATORS = re.compile(r"[,;\n]|(?:^|\s)#|(?<=\w)#(?=\w)")


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


def _pieces(argument: str, separators: re.Pattern[str] = _SEPARATORS) -> list[tuple[str, bool]]:
    """Return the raw pieces of an argument, each with whether it was typed as a hashtag."""
    pieces: list[tuple[str, bool]] = []
    start = 0
    hashtag = False
    for match in separators.finditer(argument):
        pieces.append((argument[start : match.start()], hashtag))
        hashtag = match.group().endswith("#")
        start = match.end()
    pieces.append((argument[start:], hashtag))
    # "Kyiv,#Odesa": a '#' right after a comma also marks a hashtag.
    return [
        (text, tagged or text.lstrip().startswith("#")) for text, tagged in pieces if text.strip()
    ]


# --- Labels as people type them: "Kyiv Odesa", "#Kyiv#Odesa" -----------------------------


def _word_runs(argument: str) -> tuple[list[tuple[list[str], bool]], bool]:
    """Return each piece's words with whether it was typed as a hashtag, at most MAX_WORDS
    words in all, and whether words were left unread."""
    runs: list[tuple[list[str], bool]] = []
    left = MAX_WORDS
    for text, hashtag in _pieces(argument, _FOLLOW_SEPARATORS):
        words = clean_label(text).split()
        if not words:
            continue
        if left <= 0:
            return runs, True
        runs.append((words[:left], hashtag))
        if len(words) > left:
            return runs, True
        left -= len(words)
    return runs, False


def label_candidates(argument: str) -> set[str]:
    """Return every key a run of the argument's words could name: what split_labels may match,
    looked up at once."""
    keys: set[str] = set()
    for words, _ in _word_runs(argument)[0]:
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + MAX_LABEL_WORDS) + 1):
                text = " ".join(words[start:end])
                key = fold_label(text) if len(text) <= MAX_LABEL_LENGTH else ""
                if key:
                    keys.add(key)
    return keys


def split_labels(argument: str, known: Collection[str]) -> ParsedLabels:
    """Split an argument into the known labels it names and the runs of words between them.

    Within each piece the longest run of words that folds to a known key is a label ("Power
    grid" stays one); the words between known labels make one label each run, as typed."""
    labels: list[LabelRequest] = []
    not_labels: list[str] = []
    too_long: list[str] = []
    runs, unread = _word_runs(argument)
    for words, hashtag in runs:
        found = _split_words(words, known)
        if not any(key for _, key in found):
            not_labels.append(" ".join(words))
            continue
        for index, (text, key) in enumerate(found):
            if not key:
                continue  # "Kyiv & Odesa": a symbol between labels only separates them
            if len(text) > MAX_LABEL_LENGTH:
                too_long.append(text)
            elif all(key != label.key for label in labels):
                # Only the first label of a piece follows the '#' the person typed.
                labels.append(LabelRequest(text=text, key=key, hashtag=hashtag and index == 0))
    return ParsedLabels(
        labels=tuple(labels[:MAX_LABELS_PER_COMMAND]),
        not_labels=tuple(not_labels),
        too_long=tuple(too_long),
        too_many=unread or len(labels) > MAX_LABELS_PER_COMMAND,
    )


def _split_words(words: Sequence[str], known: Collection[str]) -> list[tuple[str, str]]:
    """Return (text, key) for the known labels in `words`, longest first, and the runs of
    words between them; a run with no letter or digit has an empty key."""
    found: list[tuple[str, str]] = []
    unknown: list[str] = []
    start = 0
    while start < len(words):
        # A label starts and ends with a word: "Kyiv &" is "Kyiv" and a separator.
        last = min(len(words), start + MAX_LABEL_WORDS) if fold_label(words[start]) else start
        for end in (end for end in range(last, start, -1) if fold_label(words[end - 1])):
            key = fold_label(" ".join(words[start:end]))
            if key in known:
                break
        else:
            unknown.append(words[start])
            start += 1
            continue
        if unknown:
            found.append(_run(unknown))
            unknown = []
        found.append((" ".join(words[start:end]), key))
        start = end
    if unknown:
        found.append(_run(unknown))
    return found


def _run(words: Sequence[str]) -> tuple[str, str]:
    text = clean_label(" ".join(words))
    return text, fold_label(text)


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
